import MetricsCore
import MonotonicTime
import PushProtocol
import Synchronization

/// Where a pushed line came from, for `tally_push_lines_total{transport}`.
public enum PushTransport: String, CaseIterable, Sendable {
    case stream
    case datagram
}

/// The limits and defaults of pushed metrics that are not view rules (those live in the registry's views).
public struct PushLimits: Sendable, Equatable {
    /// The most pushed series stored in all; a line that would add one more is refused (`series_limit`).
    public var maxSeries: Int
    /// The time to live of series whose metric no rule gives one; nil keeps them.
    public var defaultTimeToLiveSeconds: Double?

    public init(maxSeries: Int = 250_000, defaultTimeToLiveSeconds: Double? = nil) {
        self.maxSeries = maxSeries
        self.defaultTimeToLiveSeconds = defaultTimeToLiveSeconds
    }
}

/// The pushed series: counters, gauges and histograms fed by StatsD lines, exposed through the registry.
///
/// Lines are applied in batches under one lock (a stream read or a datagram), so the hot path is a parse, a
/// lookup of the raw name and tag bytes in ``RawSeriesCache`` and an addition. A line that names a series for the
/// first time goes the slow way once: UTF-8 check, sanitizing, view rules, registration of a new family (refused on
/// a name or type conflict), the cardinality limit (overflow series) and the global series limit.
///
/// Refused lines change nothing but `tally_push_rejected_lines_total{reason}`. Every mutation bumps ``version``, which
/// the server uses to know what a durable write covers.
public final class PushStore: MetricProducer {
    public let producerName = "push"
    public let reportsCollectorStatus = false
    let registry: MetricRegistry
    private let clock: MonotonicClock
    private let start: MonotonicInstant
    private let ownFamilies: OwnFamilies
    private let state: Mutex<State>

    /// Creates an empty store that registers its families with `registry` and applies the registry's views.
    public init(
        registry: MetricRegistry, limits: PushLimits = PushLimits(), clock: MonotonicClock = .system
    )
        throws(MetricsError)
    {
        self.registry = registry
        self.clock = clock
        self.start = clock.now()
        self.ownFamilies = try OwnFamilies()
        for descriptor in ownFamilies.all { try registry.reserve(descriptor) }
        self.state = Mutex(State(limits: limits))
        registry.register(self)
    }

    /// The limits in force.
    public var limits: PushLimits {
        get { state.withLock { $0.limits } }
        set { state.withLock { $0.limits = newValue } }
    }

    /// How many mutations the store has seen; a durable copy taken at version `v` holds every mutation up to `v`.
    public var version: UInt64 { state.withLock { $0.version } }

    /// How many series are stored.
    public var seriesCount: Int { state.withLock { $0.seriesCount } }

    /// Applies lines under one lock: `body` gets a function that applies one line (without its `\n`) and returns
    /// its refusal, or nil when it was taken, and a function that deletes series as ``delete(name:labels:)`` does,
    /// so that a stream's `!delete` takes effect exactly between the lines around it.
    public func ingest<Result>(
        from transport: PushTransport?,
        _ body: (
            _ apply: (UnsafeRawBufferPointer) -> PushRejection?, _ delete: (String, [PushLabel]?) -> Int
        ) -> Result
    ) -> Result {
        let now = currentSecond()
        let views = registry.views
        return state.withLock { state in
            body(
                { line in state.apply(line, transport: transport, now: now, views: views, registry: registry) },
                { name, labels in state.delete(name: name, labels: labels, registry: registry) })
        }
    }

    /// Counts a line refused before it reached the store (a line over the length limit).
    public func countRejection(_ reason: PushRejectionReason, from transport: PushTransport) {
        state.withLock { state in
            state.linesReceived[transport.index] += 1
            state.rejectedLines[reason.index] += 1
        }
    }

    /// Deletes a metric's series: all of them when `labels` is nil, else the one with exactly those labels.
    /// `name` is sanitized; it may be the name as pushed, as exposed, or a counter's `_total` sample name.
    /// Returns how many series were removed.
    @discardableResult
    public func delete(name: String, labels: [PushLabel]?) -> Int {
        state.withLock { $0.delete(name: name, labels: labels, registry: registry) }
    }

    /// Removes series older than their time to live; returns how many.
    @discardableResult
    public func expireSeries() -> Int {
        let now = currentSecond()
        return state.withLock { state in
            var removed = 0
            for index in state.families.indices {
                guard let ttl = state.families[index].timeToLive, now >= ttl else { continue }
                removed += state.families[index].removeSeries(updatedBefore: now - ttl + 1)
            }
            for index in state.otlpFamilies.indices {
                guard let ttl = state.otlpFamilies[index].timeToLive, now >= ttl else { continue }
                removed += state.otlpFamilies[index].removeSeries(updatedBefore: now - ttl + 1)
            }
            if removed > 0 { state.seriesRemoved(removed, registry: registry) }
            return removed
        }
    }

    public func collect(into families: inout [MetricFamilySnapshot]) {
        let (copies, otlpCopies, counters) = state.withLock { state in
            for index in state.families.indices { state.families[index].prepareSnapshot() }
            for index in state.otlpFamilies.indices { state.otlpFamilies[index].prepareSnapshot() }
            return (state.families, state.otlpFamilies, state.counters)
        }
        for var family in copies where !family.isDropped && family.seriesCount > 0 {
            families.append(family.snapshot())
        }
        for var family in otlpCopies where !family.isDropped && family.seriesCount > 0 {
            families.append(family.snapshot())
        }
        families.append(contentsOf: ownFamilies.snapshots(counters))
    }

    /// Seconds since the store started, on its monotonic clock.
    func currentSecond() -> UInt32 {
        UInt32(clamping: (clock.now() - start).components.seconds)
    }

    /// Runs `body` on the state under the lock; for persistence.
    func withState<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        try state.withLock { try body(&$0) }
    }
}

extension PushStore {
    /// The store's own counters, copied out for a collection.
    struct Counters: Sendable {
        var linesReceived: [UInt64]
        var rejectedLines: [UInt64]
        var overflowLines: UInt64
        var series: Int
    }

    /// The families describing the push path itself.
    struct OwnFamilies: Sendable {
        let lines: MetricDescriptor
        let rejected: MetricDescriptor
        let overflow: MetricDescriptor
        let series: MetricDescriptor
        private let transportLabels: [LabelSet]
        private let reasonLabels: [LabelSet]

        init() throws(MetricsError) {
            lines = try MetricDescriptor(
                name: "tally_push_lines", type: .counter, help: "Lines received on the push sockets.")
            rejected = try MetricDescriptor(
                name: "tally_push_rejected_lines", type: .counter, help: "Pushed lines refused, by reason.")
            overflow = try MetricDescriptor(
                name: "tally_push_overflow_lines", type: .counter,
                help: "Pushed lines recorded into a metric's overflow series (cardinality limit reached).")
            series = try MetricDescriptor(name: "tally_push_series", type: .gauge, help: "Pushed series stored.")
            transportLabels = PushTransport.allCases.map { LabelSet([Label("transport", $0.rawValue)]) }
            reasonLabels = PushRejectionReason.allCases.map { LabelSet([Label("reason", $0.rawValue)]) }
        }

        var all: [MetricDescriptor] { [lines, rejected, overflow, series] }

        func snapshots(_ counters: Counters) -> [MetricFamilySnapshot] {
            [
                MetricFamilySnapshot(
                    descriptor: lines, labelSets: transportLabels, values: counters.linesReceived.map { Double($0) }),
                MetricFamilySnapshot(
                    descriptor: rejected, labelSets: reasonLabels.sortedWith(counters.rejectedLines).labels,
                    values: reasonLabels.sortedWith(counters.rejectedLines).values),
                MetricFamilySnapshot(
                    descriptor: overflow, labelSets: [.empty], values: [Double(counters.overflowLines)]),
                MetricFamilySnapshot(descriptor: series, labelSets: [.empty], values: [Double(counters.series)]),
            ]
        }
    }
}

extension [LabelSet] {
    /// These label sets sorted, with the values that go with them.
    fileprivate func sortedWith(_ values: [UInt64]) -> (labels: [LabelSet], values: [Double]) {
        let pairs = zip(self, values).sorted { $0.0 < $1.0 }
        return (pairs.map(\.0), pairs.map { Double($0.1) })
    }
}

extension PushTransport {
    var index: Int {
        switch self {
        case .stream: 0
        case .datagram: 1
        }
    }
}

extension PushRejectionReason {
    /// The reason's position in `allCases`, which indexes the rejection counters.
    var index: Int { Self.reasonIndex[self]! }

    private static let reasonIndex: [PushRejectionReason: Int] = Dictionary(
        uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })
}
