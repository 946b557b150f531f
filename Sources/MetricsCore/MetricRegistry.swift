import MonotonicTime
import Synchronization

/// Something that contributes metric families to every collection: a ``Meter`` of observable instruments, or a
/// store of series that creates families as data arrives (the push store).
public protocol MetricProducer: AnyObject, Sendable {
    /// The name under which the producer's success and duration are reported.
    var producerName: String { get }
    /// Whether the producer appears in the per-collector status families.
    var reportsCollectorStatus: Bool { get }
    /// Appends the producer's families. Throwing marks the producer failed for this collection and discards what
    /// it appended.
    func collect(into families: inout [MetricFamilySnapshot]) throws
}

/// The registry of every instrument and producer, and the single place that collects them.
///
/// Registration reserves the names each family writes (a counter `x` writes `x_total`, a histogram `x` writes
/// `x_bucket`, `x_sum` and `x_count`) and refuses a family that would write a name another one already writes, so
/// the exposition never holds two families or samples of one name. Registering the same instrument again (same
/// name, type, unit and help) returns the existing one.
///
/// ``collect()`` may run on several threads at once; each instrument and producer guards its own state.
public final class MetricRegistry: Sendable {
    private let clock: MonotonicClock
    private let collectorStatus: (duration: MetricDescriptor, success: MetricDescriptor)?
    private let state: Mutex<State>

    private struct State {
        var views: ViewSet
        var ownerByReservedName: [String: MetricDescriptor] = [:]
        var storages: [String: any CollectableStorage] = [:]
        var instruments: [String: AnyObject] = [:]
        var producers: [any MetricProducer] = []
        /// The name order of the last collection's families.
        var familyOrder = FamilyOrder()
        /// For the collector status families: the producers that report it, by name, and their label sets; nil
        /// until the first collection after a producer was added.
        var statusProducers: (positions: [Int], labelSets: [LabelSet])?
    }

    /// Creates a registry.
    ///
    /// - Parameters:
    ///   - views: rules applied to instruments as they are created.
    ///   - clock: the clock that times producers.
    ///   - collectorStatusPrefix: when set (e.g. `node_scrape_collector`), every collection also exposes the
    ///     gauges `<prefix>_duration_seconds{collector}` and `<prefix>_success{collector}` for the producers that
    ///     report their status, as node_exporter does with `node_scrape_collector_*`.
    public init(
        views: ViewSet = ViewSet(), clock: MonotonicClock = .system, collectorStatusPrefix: String? = nil
    )
        throws(MetricsError)
    {
        self.clock = clock
        var state = State(views: views)
        if let prefix = collectorStatusPrefix {
            let duration = try MetricDescriptor(
                name: prefix + "_duration_seconds", type: .gauge,
                help: "Seconds the collector took in the last collection.", unit: "seconds")
            let success = try MetricDescriptor(
                name: prefix + "_success", type: .gauge, help: "Whether the collector succeeded in the last collection."
            )
            for descriptor in [duration, success] {
                for name in descriptor.reservedNames { state.ownerByReservedName[name] = descriptor }
            }
            collectorStatus = (duration, success)
        } else {
            collectorStatus = nil
        }
        self.state = Mutex(state)
    }

    /// The view rules in force.
    public var views: ViewSet {
        state.withLock { $0.views }
    }

    /// Replaces the view rules; they apply to instruments and pushed metrics created from now on.
    public func updateViews(_ views: ViewSet) {
        state.withLock { $0.views = views }
    }

    // MARK: Synchronous instruments

    /// Creates (or returns the existing) counter.
    public func makeCounter(name: String, unit: String = "", help: String) throws(MetricsError) -> Counter {
        try makeSumInstrument(name: name, unit: unit, type: .counter, help: help) { descriptor, storage in
            Counter(descriptor: descriptor, storage: storage)
        }
    }

    /// Creates (or returns the existing) up-down counter.
    public func makeUpDownCounter(
        name: String, unit: String = "", help: String
    ) throws(MetricsError)
        -> UpDownCounter
    {
        try makeSumInstrument(name: name, unit: unit, type: .gauge, help: help) { descriptor, storage in
            UpDownCounter(descriptor: descriptor, storage: storage)
        }
    }

    /// Creates (or returns the existing) gauge.
    public func makeGauge(name: String, unit: String = "", help: String) throws(MetricsError) -> Gauge {
        try makeSumInstrument(name: name, unit: unit, type: .gauge, help: help) { descriptor, storage in
            Gauge(descriptor: descriptor, storage: storage)
        }
    }

    /// Creates (or returns the existing) histogram. A view rule's buckets take precedence over `buckets`.
    public func makeHistogram(
        name: String, unit: String = "", help: String, buckets: [Double]
    ) throws(MetricsError)
        -> Histogram
    {
        try HistogramBuckets.validate(buckets)
        let (descriptor, rule, limit) = try resolveAndReserve(
            instrumentName: name, unit: unit, type: .histogram, help: help, reusingExisting: Histogram.self)
        return try state.withLock { (state) throws(MetricsError) -> Histogram in
            if let existing = state.instruments[descriptor.name] as? Histogram { return existing }
            let bounds = rule?.buckets ?? buckets
            let storage =
                rule?.drop == true
                ? nil
                : HistogramStorage(descriptor: descriptor, rule: rule, upperBounds: bounds, cardinalityLimit: limit)
            let histogram = Histogram(descriptor: descriptor, upperBounds: bounds, storage: storage)
            state.instruments[descriptor.name] = histogram
            if let storage { state.storages[descriptor.name] = storage }
            return histogram
        }
    }

    private func makeSumInstrument<Instrument: AnyObject>(
        name: String, unit: String, type: MetricType, help: String,
        make: (MetricDescriptor, SumStorage?) -> Instrument
    ) throws(MetricsError) -> Instrument {
        let (descriptor, rule, limit) = try resolveAndReserve(
            instrumentName: name, unit: unit, type: type, help: help, reusingExisting: Instrument.self)
        return state.withLock { state in
            if let existing = state.instruments[descriptor.name] as? Instrument { return existing }
            let storage =
                rule?.drop == true ? nil : SumStorage(descriptor: descriptor, rule: rule, cardinalityLimit: limit)
            let instrument = make(descriptor, storage)
            state.instruments[descriptor.name] = instrument
            if let storage { state.storages[descriptor.name] = storage }
            return instrument
        }
    }

    // MARK: Producers

    /// Creates a meter, a producer of observable instruments.
    public func makeMeter(name: String, reportsCollectorStatus: Bool = false) -> Meter {
        let meter = Meter(name: name, reportsCollectorStatus: reportsCollectorStatus, registry: self)
        register(meter)
        return meter
    }

    /// Adds a producer to every collection.
    public func register(_ producer: any MetricProducer) {
        state.withLock { state in
            state.producers.append(producer)
            state.statusProducers = nil
        }
    }

    /// Reserves the names of a family that a producer creates on its own, refusing a conflict.
    public func reserve(_ descriptor: MetricDescriptor) throws(MetricsError) {
        try state.withLock { (state) throws(MetricsError) in
            try Self.reserve(descriptor, in: &state)
        }
    }

    /// Releases the names of a family reserved with ``reserve(_:)``.
    public func release(_ descriptor: MetricDescriptor) {
        state.withLock { state in
            for name in descriptor.reservedNames where state.ownerByReservedName[name] == descriptor {
                state.ownerByReservedName[name] = nil
            }
        }
    }

    /// Applies the view rules to an instrument and reserves its names. With `reusingExisting`, an identical
    /// instrument of that class already registered is not a conflict.
    func resolveAndReserve(
        instrumentName: String, unit: String, type: MetricType, help: String,
        reusingExisting existingClass: AnyObject.Type? = nil
    ) throws(MetricsError) -> (MetricDescriptor, ViewRule?, Int) {
        var descriptor = try MetricDescriptor(instrumentName: instrumentName, unit: unit, type: type, help: help)
        return try state.withLock { (state) throws(MetricsError) -> (MetricDescriptor, ViewRule?, Int) in
            let rule = state.views.rule(forNames: [instrumentName, descriptor.name], type: type)
            if let rule, rule.rename != nil || rule.help != nil {
                descriptor = try MetricDescriptor(
                    instrumentName: rule.rename ?? instrumentName, unit: unit, type: type, help: rule.help ?? help)
            }
            let limit = rule?.cardinalityLimit ?? state.views.defaultCardinalityLimit
            if let existingClass, let existing = state.instruments[descriptor.name],
                Swift.type(of: existing) == existingClass, state.ownerByReservedName[descriptor.name] == descriptor
            {
                return (descriptor, rule, limit)
            }
            if rule?.drop != true {
                try Self.reserve(descriptor, in: &state)
            }
            return (descriptor, rule, limit)
        }
    }

    private static func reserve(_ descriptor: MetricDescriptor, in state: inout State) throws(MetricsError) {
        for name in descriptor.reservedNames {
            if let owner = state.ownerByReservedName[name] {
                throw .conflict(name: descriptor.name, existing: "\(owner.type.rawValue) \"\(owner.name)\"")
            }
        }
        for name in descriptor.reservedNames { state.ownerByReservedName[name] = descriptor }
    }

    // MARK: Collection

    /// Collects every instrument and producer into one snapshot. Producers run one after another on the calling
    /// thread; a producer that throws is reported as failed and contributes nothing.
    public func collect() -> MetricsSnapshot {
        let (storages, producers, cachedOrder, cachedStatus) = state.withLock {
            (Array($0.storages.values), $0.producers, $0.familyOrder, $0.statusProducers)
        }
        var families: [MetricFamilySnapshot] = []
        families.reserveCapacity(storages.count + producers.count * 4)
        for storage in storages {
            families.append(storage.snapshot())
        }
        var results: [ProducerResult] = []
        results.reserveCapacity(producers.count)
        for producer in producers {
            let familyCount = families.count
            let start = clock.now()
            var failure: String?
            do {
                try producer.collect(into: &families)
            } catch {
                failure = String(describing: error)
                families.removeSubrange(familyCount...)
            }
            let seconds = Double((clock.now() - start).nanosecondsSaturated) / 1e9
            results.append(
                ProducerResult(
                    name: producer.producerName, succeeded: failure == nil, durationSeconds: seconds, error: failure))
        }
        if let collectorStatus {
            let status = cachedStatus ?? Self.statusProducers(producers)
            families.append(contentsOf: Self.statusFamilies(collectorStatus, results: results, producers: status))
            if cachedStatus == nil {
                // Producers are only ever appended: the same count is the same list this status was made for.
                state.withLock { if $0.producers.count == producers.count { $0.statusProducers = status } }
            }
        }
        var order = cachedOrder
        let snapshot = MetricsSnapshot(families: families, producerResults: results, order: &order)
        if !order.names.elementsEqual(cachedOrder.names) { state.withLock { $0.familyOrder = order } }
        return snapshot
    }

    /// The producers that report their status, in the order of their names, and their `collector` label sets.
    private static func statusProducers(_ producers: [any MetricProducer]) -> (positions: [Int], labelSets: [LabelSet])
    {
        let positions = producers.indices.filter { producers[$0].reportsCollectorStatus }.sorted {
            producers[$0].producerName < producers[$1].producerName
        }
        return (positions, positions.map { LabelSet([Label("collector", producers[$0].producerName)]) })
    }

    private static func statusFamilies(
        _ descriptors: (duration: MetricDescriptor, success: MetricDescriptor), results: [ProducerResult],
        producers: (positions: [Int], labelSets: [LabelSet])
    ) -> [MetricFamilySnapshot] {
        [
            MetricFamilySnapshot(
                descriptor: descriptors.duration, labelSets: producers.labelSets,
                values: producers.positions.map { results[$0].durationSeconds }),
            MetricFamilySnapshot(
                descriptor: descriptors.success, labelSets: producers.labelSets,
                values: producers.positions.map { results[$0].succeeded ? 1 : 0 }),
        ]
    }
}
