import Synchronization

/// A monotonic sum of non-negative increments (OpenTelemetry Counter), exposed as a Prometheus counter.
public final class Counter: Sendable {
    public let descriptor: MetricDescriptor
    let storage: SumStorage?

    init(descriptor: MetricDescriptor, storage: SumStorage?) {
        self.descriptor = descriptor
        self.storage = storage
    }

    /// Adds `value` to the series with `labels`. Negative and non-finite increments are ignored: a counter never
    /// goes backwards.
    public func add(_ value: Double = 1, labels: LabelSet = .empty) {
        guard value >= 0, value.isFinite else { return }
        storage?.update(labels) { $0 += value }
    }
}

/// A sum that goes up and down (OpenTelemetry UpDownCounter), exposed as a Prometheus gauge.
public final class UpDownCounter: Sendable {
    public let descriptor: MetricDescriptor
    let storage: SumStorage?

    init(descriptor: MetricDescriptor, storage: SumStorage?) {
        self.descriptor = descriptor
        self.storage = storage
    }

    /// Adds `value`, which may be negative, to the series with `labels`.
    public func add(_ value: Double, labels: LabelSet = .empty) {
        guard value.isFinite else { return }
        storage?.update(labels) { $0 += value }
    }
}

/// The last value recorded (OpenTelemetry Gauge), exposed as a Prometheus gauge.
public final class Gauge: Sendable {
    public let descriptor: MetricDescriptor
    let storage: SumStorage?

    init(descriptor: MetricDescriptor, storage: SumStorage?) {
        self.descriptor = descriptor
        self.storage = storage
    }

    /// Sets the series with `labels` to `value`.
    public func record(_ value: Double, labels: LabelSet = .empty) {
        storage?.update(labels) { $0 = value }
    }
}

/// A distribution over explicit bucket boundaries (OpenTelemetry Histogram with the ExplicitBucketHistogram
/// aggregation), exposed as a Prometheus histogram.
public final class Histogram: Sendable {
    public let descriptor: MetricDescriptor
    /// The finite upper bounds of the buckets, ascending.
    public let upperBounds: [Double]
    let storage: HistogramStorage?

    init(descriptor: MetricDescriptor, upperBounds: [Double], storage: HistogramStorage?) {
        self.descriptor = descriptor
        self.upperBounds = upperBounds
        self.storage = storage
    }

    /// Records one observation into the series with `labels`. Non-finite values are ignored.
    public func record(_ value: Double, labels: LabelSet = .empty) {
        guard value.isFinite else { return }
        storage?.record(value, labels: labels)
    }
}

/// What every synchronous instrument's storage can do at collection.
protocol CollectableStorage: Sendable {
    func snapshot() -> MetricFamilySnapshot
}

/// The series of a counter, up-down counter or gauge, behind a mutex.
final class SumStorage: CollectableStorage {
    let descriptor: MetricDescriptor
    let rule: ViewRule?
    private let table: Mutex<SeriesTable<Double>>

    init(descriptor: MetricDescriptor, rule: ViewRule?, cardinalityLimit: Int) {
        self.descriptor = descriptor
        self.rule = rule
        self.table = Mutex(SeriesTable(cardinalityLimit: cardinalityLimit, initialValue: 0))
    }

    func update(_ labels: LabelSet, _ body: (inout Double) -> Void) {
        let key = rule?.filteredLabels(labels) ?? labels
        table.withLock { table in
            let slot = table.slot(for: key)
            body(&table[slot])
        }
    }

    func snapshot() -> MetricFamilySnapshot {
        table.withLock { $0.snapshot(descriptor) }
    }
}

/// The series of a histogram, behind a mutex.
final class HistogramStorage: CollectableStorage {
    let descriptor: MetricDescriptor
    let rule: ViewRule?
    let upperBounds: [Double]
    private let table: Mutex<SeriesTable<HistogramAccumulator>>

    init(descriptor: MetricDescriptor, rule: ViewRule?, upperBounds: [Double], cardinalityLimit: Int) {
        self.descriptor = descriptor
        self.rule = rule
        self.upperBounds = upperBounds
        self.table = Mutex(
            SeriesTable(
                cardinalityLimit: cardinalityLimit, initialValue: HistogramAccumulator(bucketCount: upperBounds.count)))
    }

    func record(_ value: Double, labels: LabelSet) {
        let key = rule?.filteredLabels(labels) ?? labels
        table.withLock { table in
            let slot = table.slot(for: key)
            table[slot].record(value, upperBounds: upperBounds)
        }
    }

    func snapshot() -> MetricFamilySnapshot {
        table.withLock { $0.snapshot(descriptor, upperBounds: upperBounds) }
    }
}
