import MetricsCore
import PushProtocol

/// How a pushed metric is stored, decided by the StatsD type of the line that created it.
enum PushedKind: UInt8, CaseIterable, Sendable {
    /// `c` lines: a cumulative counter.
    case counter = 0
    /// `g` lines: a gauge set or changed by each line.
    case gauge = 1
    /// `ms` lines: observations converted to seconds, in a histogram named `..._seconds` with Prometheus'
    /// default buckets.
    case timer = 2
    /// `h` and `d` lines: observations as sent, in a histogram with OpenTelemetry's default buckets.
    case observation = 3

    init(_ type: PushMetricType) {
        switch type {
        case .counter: self = .counter
        case .gauge: self = .gauge
        case .timer: self = .timer
        case .histogram, .distribution: self = .observation
        }
    }

    var metricType: MetricType {
        switch self {
        case .counter: .counter
        case .gauge: .gauge
        case .timer, .observation: .histogram
        }
    }

    /// The UCUM unit the exposed name is derived with: timers are recorded in seconds.
    var unit: String { self == .timer ? "s" : "" }

    var defaultBuckets: [Double] {
        self == .timer ? HistogramBuckets.prometheusDefault : HistogramBuckets.openTelemetryDefault
    }

    @inline(__always) var isHistogram: Bool { self == .timer || self == .observation }

    /// The type byte of the raw cache key: lines of one kind share cached series.
    var cacheKeyByte: UInt8 { rawValue }

    var lineTypeDescription: String {
        switch self {
        case .counter: "a StatsD counter (c)"
        case .gauge: "a StatsD gauge (g)"
        case .timer: "a StatsD timer (ms)"
        case .observation: "a StatsD histogram (h or d)"
        }
    }
}

/// The histogram of a pushed timer or histogram series and when it last changed.
struct HistogramSeries: Sendable {
    var histogram: HistogramAccumulator
    /// Seconds on the store's clock.
    var updatedAt: UInt32
}

/// One pushed metric family: its exposition identity, the rule that shaped it, and its series.
struct PushFamily: Sendable {
    let descriptor: MetricDescriptor
    let kind: PushedKind
    /// The name as pushed, sanitized (before the unit and `_total` translation).
    let pushedName: String
    let upperBounds: [Double]
    /// Seconds a series lives without updates; nil keeps series.
    let timeToLive: UInt32?
    let rule: ViewRule?
    /// A rule dropped this metric: lines are accepted and discarded, and no names are reserved.
    let isDropped: Bool
    /// Counter and gauge values, a plain `Double` per slot so that a scrape can view the table without copying it.
    var scalars: SeriesTable<Double>
    /// When each counter or gauge slot last changed, in seconds on the store's clock.
    var scalarUpdatedAt: [UInt32] = []
    var histograms: SeriesTable<HistogramSeries>

    init(
        descriptor: MetricDescriptor, kind: PushedKind, pushedName: String, upperBounds: [Double],
        timeToLive: UInt32?, rule: ViewRule?, cardinalityLimit: Int
    ) {
        self.descriptor = descriptor
        self.kind = kind
        self.pushedName = pushedName
        self.upperBounds = upperBounds
        self.timeToLive = timeToLive
        self.rule = rule
        self.isDropped = rule?.drop ?? false
        scalars = SeriesTable(cardinalityLimit: cardinalityLimit, initialValue: 0)
        histograms = SeriesTable(
            cardinalityLimit: cardinalityLimit,
            initialValue: HistogramSeries(histogram: HistogramAccumulator(bucketCount: upperBounds.count), updatedAt: 0)
        )
    }

    var seriesCount: Int { kind.isHistogram ? histograms.count : scalars.count }

    /// Whether `name` (sanitized) names this family: as pushed, as exposed, or as a counter's sample.
    func isNamed(_ name: String) -> Bool {
        name == pushedName || name == descriptor.name || (kind == .counter && name == descriptor.name + "_total")
    }

    /// The slot of an existing series, or nil.
    func existingSlot(for labels: LabelSet) -> Int? {
        kind.isHistogram ? histograms.existingSlot(for: labels) : scalars.existingSlot(for: labels)
    }

    /// The slot for `labels`, created if needed (past the cardinality limit: the overflow series).
    mutating func slot(for labels: LabelSet) -> Int {
        if kind.isHistogram { return histograms.slot(for: labels) }
        let slot = scalars.slot(for: labels)
        if slot >= scalarUpdatedAt.count {
            scalarUpdatedAt.append(contentsOf: repeatElement(0, count: slot + 1 - scalarUpdatedAt.count))
        }
        return slot
    }

    /// Applies one accepted line to a series; returns whether the series is the overflow series. One mutating
    /// call does both, so that the family is never copied out of the store's array on the hot path.
    @inline(__always)
    mutating func apply(_ line: PushLine, toSlot slot: Int, now: UInt32) -> Bool {
        switch kind {
        case .counter:
            scalars[slot] += line.recordedValue
            scalarUpdatedAt[slot] = now
            return slot == scalars.overflowSlot
        case .gauge:
            if line.isRelative {
                scalars[slot] += line.recordedValue
            } else {
                scalars[slot] = line.recordedValue
            }
            scalarUpdatedAt[slot] = now
            return slot == scalars.overflowSlot
        case .timer, .observation:
            histograms[slot].histogram.record(
                line.recordedValue, upperBounds: upperBounds, weight: UInt64(line.repeatCount))
            histograms[slot].updatedAt = now
            return slot == histograms.overflowSlot
        }
    }

    /// Removes the series not updated since `deadline`; returns how many.
    mutating func removeSeries(updatedBefore deadline: UInt32) -> Int {
        if kind.isHistogram { return histograms.removeAll { _, series in series.updatedAt < deadline } }
        let updatedAt = scalarUpdatedAt
        return scalars.removeAll { slot, _ in updatedAt[slot] < deadline }
    }

    /// Removes the series with exactly these labels; returns whether it existed.
    mutating func remove(_ labels: LabelSet) -> Bool {
        kind.isHistogram ? histograms.remove(labels) : scalars.remove(labels)
    }

    /// Sorts what needs sorting, so that a copy taken now can be snapshotted without mutating the original.
    mutating func prepareSnapshot() {
        if kind.isHistogram { _ = histograms.sortedSlots() } else { _ = scalars.sortedSlots() }
    }

    /// The family's series for the exposition.
    mutating func snapshot() -> MetricFamilySnapshot {
        kind.isHistogram
            ? histograms.snapshot(descriptor, upperBounds: upperBounds) { $0.histogram }
            : scalars.snapshot(descriptor)
    }
}
