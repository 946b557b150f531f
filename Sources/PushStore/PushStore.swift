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
            if removed > 0 { state.seriesRemoved(removed, registry: registry) }
            return removed
        }
    }

    public func collect(into families: inout [MetricFamilySnapshot]) {
        let (copies, counters) = state.withLock { state in
            for index in state.families.indices { state.families[index].prepareSnapshot() }
            return (state.families, state.counters)
        }
        for var family in copies where !family.isDropped && family.seriesCount > 0 {
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
    /// Everything the store keeps, guarded by its mutex.
    struct State: Sendable {
        var limits: PushLimits
        var families: [PushFamily] = []
        /// The family of each (sanitized pushed name, kind).
        var familyIndexByKey: [FamilyKey: Int] = [:]
        var cache = RawSeriesCache()
        var seriesCount = 0
        var version: UInt64 = 0
        var linesReceived = [UInt64](repeating: 0, count: PushTransport.allCases.count)
        var rejectedLines = [UInt64](repeating: 0, count: PushRejectionReason.allCases.count)
        var overflowLines: UInt64 = 0

        init(limits: PushLimits) {
            self.limits = limits
        }

        struct FamilyKey: Hashable, Sendable {
            var name: String
            var kind: PushedKind
        }

        var counters: Counters {
            Counters(
                linesReceived: linesReceived, rejectedLines: rejectedLines, overflowLines: overflowLines,
                series: seriesCount)
        }

        /// Applies one line; the hot path for series seen before.
        @inline(__always)
        mutating func apply(
            _ bytes: UnsafeRawBufferPointer, transport: PushTransport?, now: UInt32, views: ViewSet,
            registry: MetricRegistry
        ) -> PushRejection? {
            if let transport { linesReceived[transport.index] += 1 }
            let line: PushLine
            do {
                line = try PushLine.parse(bytes)
            } catch {
                return rejected(error)
            }
            let kind = PushedKind(line.type)
            if kind.isHistogram, line.value < 0 {
                return rejected(PushRejection(.invalidValue, "a histogram observation must not be negative"))
            }
            let name = line.nameBytes(in: bytes)
            let tags = line.tagBytes(in: bytes)
            let hash = RawSeriesCache.hash(name: name, type: kind.cacheKeyByte, tags: tags)
            if let location = cache.find(hash: hash, name: name, type: kind.cacheKeyByte, tags: tags) {
                record(line, at: location, now: now)
                return nil
            }
            let location: RawSeriesCache.Location
            do {
                location = try locate(name: name, tags: tags, kind: kind, views: views, registry: registry)
            } catch {
                return rejected(error)
            }
            cache.insert(hash: hash, name: name, type: kind.cacheKeyByte, tags: tags, location: location)
            record(line, at: location, now: now)
            return nil
        }

        @inline(__always)
        private mutating func record(_ line: PushLine, at location: RawSeriesCache.Location, now: UInt32) {
            version &+= 1
            guard location.slot >= 0 else { return }
            if families[Int(location.family)].apply(line, toSlot: Int(location.slot), now: now) {
                overflowLines &+= 1
            }
        }

        private mutating func rejected(_ rejection: PushRejection) -> PushRejection {
            rejectedLines[rejection.reason.index] += 1
            return rejection
        }

        /// The slow path: checks and sanitizes the name and tags, finds or creates the family and the series.
        /// A slot of -1 means the family is dropped by a rule.
        private mutating func locate(
            name: UnsafeRawBufferPointer, tags: UnsafeRawBufferPointer, kind: PushedKind, views: ViewSet,
            registry: MetricRegistry
        ) throws(PushRejection) -> RawSeriesCache.Location {
            let key = try PushSeriesKey(name: name, tags: tags)
            let familyIndex = try family(named: key.name, kind: kind, views: views, registry: registry)
            guard !families[familyIndex].isDropped else { return .init(family: Int32(familyIndex), slot: -1) }
            for label in key.labels {
                if label.name == "le" && kind.isHistogram || label.name == "otel_metric_overflow" {
                    throw PushRejection(.invalidTagKey, "the label name '\(label.name)' is reserved")
                }
            }
            var labels = LabelSet(key.labels.map { Label($0.name, $0.value) })
            if let rule = families[familyIndex].rule { labels = rule.filteredLabels(labels) }
            let isNew = families[familyIndex].existingSlot(for: labels) == nil
            if isNew, seriesCount >= limits.maxSeries {
                throw PushRejection(
                    .seriesLimit, "tally already stores \(limits.maxSeries) pushed series (push.max_series)")
            }
            let before = families[familyIndex].seriesCount
            let slot = families[familyIndex].slot(for: labels)
            seriesCount += families[familyIndex].seriesCount - before
            return .init(family: Int32(familyIndex), slot: Int32(slot))
        }

        /// Finds the family for a sanitized name and kind, creating and registering it when new.
        private mutating func family(
            named name: String, kind: PushedKind, views: ViewSet, registry: MetricRegistry
        )
            throws(PushRejection) -> Int
        {
            if let index = familyIndexByKey[FamilyKey(name: name, kind: kind)] { return index }
            if let other = families.first(where: { $0.pushedName == name && $0.kind != kind }) {
                throw PushRejection(
                    .typeConflict,
                    "'\(name)' is \(other.kind.lineTypeDescription), this line is \(kind.lineTypeDescription)")
            }
            let family: PushFamily
            do {
                family = try Self.makeFamily(name: name, kind: kind, views: views, limits: limits)
            } catch {
                throw PushRejection(.malformedLine, "cannot expose '\(name)': \(error)")
            }
            if let existing = families.firstIndex(where: { $0.descriptor.name == family.descriptor.name }) {
                guard families[existing].kind == kind else {
                    throw PushRejection(
                        .typeConflict,
                        "'\(family.descriptor.name)' is \(families[existing].kind.lineTypeDescription), this line is \(kind.lineTypeDescription)"
                    )
                }
                familyIndexByKey[FamilyKey(name: name, kind: kind)] = existing
                return existing
            }
            if !family.isDropped {
                do {
                    try registry.reserve(family.descriptor)
                } catch {
                    throw PushRejection(.typeConflict, String(describing: error))
                }
            }
            families.append(family)
            familyIndexByKey[FamilyKey(name: name, kind: kind)] = families.count - 1
            return families.count - 1
        }

        /// Builds a family for a sanitized pushed name: the exposed name, help, buckets, time to live and
        /// cardinality limit from the first view rule that selects it.
        static func makeFamily(
            name: String, kind: PushedKind, views: ViewSet, limits: PushLimits, upperBounds: [Double]? = nil
        ) throws(MetricsError) -> PushFamily {
            let help = "\(name), pushed to tally as \(kind.lineTypeDescription)."
            var descriptor = try MetricDescriptor(
                instrumentName: name, unit: kind.unit, type: kind.metricType, help: help)
            var names = [name, descriptor.name]
            if kind == .counter { names.append(descriptor.name + "_total") }
            let rule = views.rule(forNames: names, type: kind.metricType)
            if let rule, rule.rename != nil || rule.help != nil {
                descriptor = try MetricDescriptor(
                    instrumentName: rule.rename ?? name, unit: kind.unit, type: kind.metricType,
                    help: rule.help ?? help)
            }
            let timeToLive = (rule?.timeToLiveSeconds ?? limits.defaultTimeToLiveSeconds).map {
                UInt32(clamping: Int(max(1, $0.rounded(.up))))
            }
            return PushFamily(
                descriptor: descriptor, kind: kind, pushedName: name,
                upperBounds: upperBounds ?? rule?.buckets ?? kind.defaultBuckets, timeToLive: timeToLive, rule: rule,
                cardinalityLimit: rule?.cardinalityLimit ?? views.defaultCardinalityLimit)
        }

        mutating func delete(name: String, labels: [PushLabel]?, registry: MetricRegistry) -> Int {
            let labelSet = labels.map { LabelSet($0.map { Label($0.name, $0.value) }) }
            var removed = 0
            for index in families.indices where families[index].isNamed(name) {
                if let labelSet {
                    removed += families[index].remove(labelSet) ? 1 : 0
                } else {
                    removed += families[index].removeSeries(updatedBefore: .max)
                }
            }
            if removed > 0 { seriesRemoved(removed, registry: registry) }
            return removed
        }

        /// Bookkeeping after series were removed: families left empty are forgotten and their names released,
        /// and the raw cache, whose slots may now be reused, is cleared.
        mutating func seriesRemoved(_ count: Int, registry: MetricRegistry) {
            seriesCount -= count
            version &+= 1
            let emptied = families.filter { $0.seriesCount == 0 }
            if !emptied.isEmpty {
                for family in emptied where !family.isDropped { registry.release(family.descriptor) }
                families.removeAll { $0.seriesCount == 0 }
                familyIndexByKey = [:]
                for (index, family) in families.enumerated() {
                    familyIndexByKey[FamilyKey(name: family.pushedName, kind: family.kind)] = index
                }
            }
            cache.removeAll()
        }
    }

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
