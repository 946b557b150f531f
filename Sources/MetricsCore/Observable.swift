import Synchronization

/// An asynchronous instrument (OpenTelemetry ObservableCounter, ObservableUpDownCounter or ObservableGauge): its
/// values are observed by its meter's callbacks, which run exactly once per collection. A label set not observed
/// in a collection is not exposed by it, so vanished devices and mounts disappear by themselves.
public final class ObservableInstrument: Sendable {
    public let descriptor: MetricDescriptor
    let rule: ViewRule?
    let cardinalityLimit: Int
    /// The instrument's position in its meter, which indexes the recorder's buffers.
    let index: Int
    let meterIdentifier: ObjectIdentifier

    init(descriptor: MetricDescriptor, rule: ViewRule?, cardinalityLimit: Int, index: Int, meter: ObjectIdentifier) {
        self.descriptor = descriptor
        self.rule = rule
        self.cardinalityLimit = cardinalityLimit
        self.index = index
        self.meterIdentifier = meter
    }

    var isDropped: Bool { rule?.drop ?? false }
}

/// Collects the observations a meter's callbacks make during one collection, column-wise per instrument: the columns
/// of an instrument observed in label order, as collectors usually observe, become its family snapshot as they are.
public struct ObservationRecorder: ~Copyable {
    fileprivate var labelSets: [[LabelSet]]
    fileprivate var values: [[Double]]
    private let meterIdentifier: ObjectIdentifier

    /// A recorder whose buffers have room for as many observations per instrument as `expectedCounts` says
    /// (what the previous collection observed), so that a steady collection does not grow them step by step.
    fileprivate init(expectedCounts: [Int], instrumentCount: Int, meter: ObjectIdentifier) {
        func columns<Element>(of _: Element.Type) -> [[Element]] {
            (0..<instrumentCount).map { index in
                var column: [Element] = []
                column.reserveCapacity(index < expectedCounts.count ? expectedCounts[index] : 0)
                return column
            }
        }
        labelSets = columns(of: LabelSet.self)
        values = columns(of: Double.self)
        meterIdentifier = meter
    }

    /// Records that `instrument` has `value` for `labels` now. Observing the same labels twice in one collection
    /// keeps the last value. Instruments of other meters are ignored, and so are instruments created after this
    /// collection began (a collector that learns a new name while collecting): they are collected from the next
    /// collection on.
    public mutating func observe(_ instrument: ObservableInstrument, _ value: Double, labels: LabelSet = .empty) {
        guard instrument.meterIdentifier == meterIdentifier, instrument.index < values.count, !instrument.isDropped
        else { return }
        labelSets[instrument.index].append(instrument.rule?.filteredLabels(labels) ?? labels)
        values[instrument.index].append(value)
    }
}

/// A group of observable instruments and the callbacks that observe them: one producer, such as one host
/// collector. If a callback throws, none of the meter's observations of that collection are exposed and the
/// collection reports the meter as failed; the rest of the collection is unaffected.
public final class Meter: Sendable, MetricProducer {
    public let producerName: String
    public let reportsCollectorStatus: Bool
    private let registry: MetricRegistry
    private let state = Mutex(State())

    private struct State {
        var instruments: [ObservableInstrument] = []
        var callbacks: [@Sendable (inout ObservationRecorder) throws -> Void] = []
        /// How many observations each instrument had in the last collection.
        var lastObservationCounts: [Int] = []
    }

    init(name: String, reportsCollectorStatus: Bool, registry: MetricRegistry) {
        self.producerName = name
        self.reportsCollectorStatus = reportsCollectorStatus
        self.registry = registry
    }

    /// Creates an instrument observing monotonic sums, exposed as a counter.
    public func makeObservableCounter(
        name: String, unit: String = "", help: String
    ) throws(MetricsError)
        -> ObservableInstrument
    {
        try makeInstrument(name: name, unit: unit, type: .counter, help: help)
    }

    /// Creates an instrument observing sums that go up and down, exposed as a gauge.
    public func makeObservableUpDownCounter(
        name: String, unit: String = "", help: String
    ) throws(MetricsError)
        -> ObservableInstrument
    {
        try makeInstrument(name: name, unit: unit, type: .gauge, help: help)
    }

    /// Creates an instrument observing current values, exposed as a gauge.
    public func makeObservableGauge(
        name: String, unit: String = "", help: String
    ) throws(MetricsError)
        -> ObservableInstrument
    {
        try makeInstrument(name: name, unit: unit, type: .gauge, help: help)
    }

    /// Creates an instrument observing values whose kind the source does not say, exposed as untyped (OpenMetrics'
    /// `unknown`). Not an OpenTelemetry instrument: it exists for node_exporter's untyped families.
    public func makeObservableUntyped(
        name: String, unit: String = "", help: String
    ) throws(MetricsError)
        -> ObservableInstrument
    {
        try makeInstrument(name: name, unit: unit, type: .untyped, help: help)
    }

    /// Adds a callback that observes this meter's instruments at every collection.
    public func addCallback(_ callback: @escaping @Sendable (inout ObservationRecorder) throws -> Void) {
        state.withLock { $0.callbacks.append(callback) }
    }

    public func collect(into families: inout [MetricFamilySnapshot]) throws {
        let (instruments, callbacks, expectedCounts) = state.withLock {
            ($0.instruments, $0.callbacks, $0.lastObservationCounts)
        }
        var recorder = ObservationRecorder(
            expectedCounts: expectedCounts, instrumentCount: instruments.count, meter: ObjectIdentifier(self))
        for callback in callbacks {
            try callback(&recorder)
        }
        let counts = recorder.values.map { $0.count }
        state.withLock { $0.lastObservationCounts = counts }
        for instrument in instruments where !instrument.isDropped {
            let index = instrument.index
            guard !recorder.values[index].isEmpty else { continue }
            families.append(
                Self.family(instrument, labelSets: recorder.labelSets[index], values: recorder.values[index]))
        }
    }

    private func makeInstrument(
        name: String, unit: String, type: MetricType, help: String
    ) throws(MetricsError)
        -> ObservableInstrument
    {
        let (descriptor, rule, limit) = try registry.resolveAndReserve(
            instrumentName: name, unit: unit, type: type, help: help)
        return state.withLock { state in
            let instrument = ObservableInstrument(
                descriptor: descriptor, rule: rule, cardinalityLimit: limit, index: state.instruments.count,
                meter: ObjectIdentifier(self))
            state.instruments.append(instrument)
            return instrument
        }
    }

    /// Sorts one instrument's observations by labels (skipping the sort when they came in order, as collectors
    /// usually observe them), keeps the last of duplicates, and applies the cardinality limit preferring the
    /// label sets observed first. Columns observed in strictly ascending label order become the snapshot as they are.
    private static func family(
        _ instrument: ObservableInstrument, labelSets: [LabelSet], values: [Double]
    )
        -> MetricFamilySnapshot
    {
        if labelSets.count > instrument.cardinalityLimit {
            var table = SeriesTable<Double>(cardinalityLimit: instrument.cardinalityLimit, initialValue: 0)
            for (labels, value) in zip(labelSets, values) {
                let slot = table.slot(for: labels)
                if slot == table.overflowSlot, instrument.descriptor.type == .counter {
                    table[slot] += value
                } else {
                    table[slot] = value
                }
            }
            return table.snapshot(instrument.descriptor)
        }
        if zip(labelSets, labelSets.dropFirst()).allSatisfy({ $0 < $1 }) {
            return MetricFamilySnapshot(descriptor: instrument.descriptor, labelSets: labelSets, values: values)
        }
        // Stable: duplicates keep their observation order, so the last one wins below.
        let order = labelSets.indices.sorted { lhs, rhs in
            if labelSets[lhs] == labelSets[rhs] { return lhs < rhs }
            return labelSets[lhs] < labelSets[rhs]
        }
        var uniqueLabelSets: [LabelSet] = []
        var uniqueValues: [Double] = []
        uniqueLabelSets.reserveCapacity(order.count)
        uniqueValues.reserveCapacity(order.count)
        for position in order {
            if let last = uniqueLabelSets.last, last == labelSets[position] {
                uniqueValues[uniqueValues.count - 1] = values[position]
            } else {
                uniqueLabelSets.append(labelSets[position])
                uniqueValues.append(values[position])
            }
        }
        return MetricFamilySnapshot(descriptor: instrument.descriptor, labelSets: uniqueLabelSets, values: uniqueValues)
    }
}
