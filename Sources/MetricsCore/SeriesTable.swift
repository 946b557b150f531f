/// The series of one metric family, keyed by label set, with a cardinality limit and a sorted view for collection.
///
/// A value type meant to live inside the state of its owner (an instrument's mutex, the push store's mutex):
/// looking a series up, adding one and reading a value are constant time, and the sorted order that collection
/// needs is maintained incrementally (new series are sorted among themselves and merged), so a collection of
/// 100,000 steady series does not sort them again.
///
/// Cardinality limit (OpenTelemetry metrics SDK, "Cardinality limits"): at most `cardinalityLimit` distinct label
/// sets are stored; the measurements of any further label set go to one overflow series labelled
/// `otel_metric_overflow="true"`, so every measurement is counted exactly once and overflow never happens while the
/// distinct label sets stay within the limit.
public struct SeriesTable<Value> {
    /// The label set of the overflow series.
    public static var overflowLabels: LabelSet { overflowLabelSet }

    // The members a store touches for every sample are inlinable, so that a table of a store's own value type is
    // specialized in the store's module instead of going through generic metadata on every access.

    /// The most distinct label sets stored before measurements overflow.
    public let cardinalityLimit: Int
    @usableFromInline let initialValue: Value
    /// The label set in each slot; ``LabelSet/vacant`` in free slots.
    @usableFromInline var labelSetBySlot: [LabelSet] = []
    @usableFromInline var valueBySlot: [Value] = []
    /// Open addressing over the label sets' precomputed hashes: each entry is a slot, or -1 for an empty entry.
    /// Four bytes an entry at a load of at most one half, where a `[LabelSet: Int]` took several times that.
    @usableFromInline var index: [Int32] = []
    @usableFromInline var storedCount = 0
    @usableFromInline var freeSlots: [Int] = []
    @usableFromInline var sortedOrder: [Int] = []
    @usableFromInline var unsortedSlots: [Int] = []
    /// The slot of the overflow series, once created.
    public private(set) var overflowSlot: Int?

    /// Creates an empty table whose new series start at `initialValue`.
    public init(cardinalityLimit: Int = 2000, initialValue: Value) {
        self.cardinalityLimit = max(1, cardinalityLimit)
        self.initialValue = initialValue
    }

    /// The number of stored series, the overflow series included.
    @inlinable public var count: Int { storedCount }

    /// Whether no series is stored.
    public var isEmpty: Bool { storedCount == 0 }

    /// The slot of the series with these labels, creating it (or, past the limit, the overflow series) if needed.
    public mutating func slot(for labels: LabelSet) -> Int {
        if let slot = existingSlot(for: labels) { return slot }
        let regularSeries = overflowSlot == nil ? storedCount : storedCount - 1
        if regularSeries >= cardinalityLimit {
            if let overflowSlot { return overflowSlot }
            let slot = insert(Self.overflowLabels)
            overflowSlot = slot
            return slot
        }
        return insert(labels)
    }

    /// The slot of the series with these labels, if it is stored.
    @inlinable public func existingSlot(for labels: LabelSet) -> Int? {
        guard !index.isEmpty else { return nil }
        let mask = index.count - 1
        var position = labels.precomputedHash & mask
        while true {
            let slot = Int(index[position])
            if slot < 0 { return nil }
            if labelSetBySlot[slot] == labels { return slot }
            position = (position + 1) & mask
        }
    }

    /// The value of the series in `slot`.
    @inlinable public subscript(slot: Int) -> Value {
        get { valueBySlot[slot] }
        set { valueBySlot[slot] = newValue }
    }

    /// The label set of the series in `slot`.
    @inlinable public func labels(ofSlot slot: Int) -> LabelSet? {
        let labels = labelSetBySlot[slot]
        return labels.isIdentical(to: .vacant) ? nil : labels
    }

    /// Removes the series with these labels; returns whether it was stored.
    @discardableResult
    public mutating func remove(_ labels: LabelSet) -> Bool {
        guard let slot = existingSlot(for: labels) else { return false }
        removeSlots([slot])
        return true
    }

    /// Removes every series for which `shouldRemove(slot, value)` holds; returns how many were removed.
    @discardableResult
    public mutating func removeAll(where shouldRemove: (Int, Value) -> Bool) -> Int {
        var doomed: [Int] = []
        for (slot, labels) in labelSetBySlot.enumerated()
        where !labels.isIdentical(to: .vacant) && shouldRemove(slot, valueBySlot[slot]) {
            doomed.append(slot)
        }
        removeSlots(doomed)
        return doomed.count
    }

    /// The occupied slots, ordered by label set.
    public mutating func sortedSlots() -> [Int] {
        if !unsortedSlots.isEmpty {
            let labelSets = labelSetBySlot
            unsortedSlots.sort { labelSets[$0] < labelSets[$1] }
            sortedOrder = Self.merge(sortedOrder, unsortedSlots, labelSets: labelSets)
            unsortedSlots.removeAll(keepingCapacity: true)
        }
        return sortedOrder
    }

    /// Every stored series in slot order (unsorted), for persistence and iteration.
    public func forEachSeries(_ body: (LabelSet, Value) throws -> Void) rethrows {
        for (slot, labels) in labelSetBySlot.enumerated() where !labels.isIdentical(to: .vacant) {
            try body(labels, valueBySlot[slot])
        }
    }

    private mutating func insert(_ labels: LabelSet) -> Int {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            labelSetBySlot[slot] = labels
            valueBySlot[slot] = initialValue
        } else {
            slot = labelSetBySlot.count
            labelSetBySlot.append(labels)
            valueBySlot.append(initialValue)
        }
        insertIntoIndex(slot, hash: labels.precomputedHash)
        storedCount += 1
        unsortedSlots.append(slot)
        return slot
    }

    private mutating func removeSlots(_ slots: [Int]) {
        guard !slots.isEmpty else { return }
        var removed = Set<Int>()
        for slot in slots {
            let labels = labelSetBySlot[slot]
            guard !labels.isIdentical(to: .vacant) else { continue }
            removeFromIndex(slot, hash: labels.precomputedHash)
            storedCount -= 1
            labelSetBySlot[slot] = .vacant
            valueBySlot[slot] = initialValue
            freeSlots.append(slot)
            removed.insert(slot)
            if slot == overflowSlot { overflowSlot = nil }
        }
        sortedOrder.removeAll { removed.contains($0) }
        unsortedSlots.removeAll { removed.contains($0) }
    }

    /// Adds `slot` to the index, doubling it first when it would be more than half full.
    private mutating func insertIntoIndex(_ slot: Int, hash: Int) {
        if (storedCount + 1) * 2 > index.count {
            let capacity = max(16, index.count * 2)
            index = Array(repeating: -1, count: capacity)
            for (existing, labels) in labelSetBySlot.enumerated()
            where !labels.isIdentical(to: .vacant) && existing != slot {
                place(existing, hash: labels.precomputedHash)
            }
        }
        place(slot, hash: hash)
    }

    private mutating func place(_ slot: Int, hash: Int) {
        let mask = index.count - 1
        var position = hash & mask
        while index[position] >= 0 { position = (position + 1) & mask }
        index[position] = Int32(slot)
    }

    /// Removes `slot` from the index, shifting later entries of its probe run back so that lookups never stop
    /// early at the hole (linear probing needs no tombstones this way).
    private mutating func removeFromIndex(_ slot: Int, hash: Int) {
        let mask = index.count - 1
        var position = hash & mask
        while Int(index[position]) != slot { position = (position + 1) & mask }
        var hole = position
        var next = (hole + 1) & mask
        while index[next] >= 0 {
            let home = labelSetBySlot[Int(index[next])].precomputedHash & mask
            // The entry at `next` may move into the hole unless its home lies cyclically in (hole, next].
            let distanceToNext = (next - home) & mask
            let distanceToHole = (hole - home) & mask
            if distanceToHole < distanceToNext {
                index[hole] = index[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        index[hole] = -1
    }

    private static func merge(_ lhs: [Int], _ rhs: [Int], labelSets: [LabelSet]) -> [Int] {
        if lhs.isEmpty { return rhs }
        var merged: [Int] = []
        merged.reserveCapacity(lhs.count + rhs.count)
        var left = 0
        var right = 0
        while left < lhs.count, right < rhs.count {
            if labelSets[rhs[right]] < labelSets[lhs[left]] {
                merged.append(rhs[right])
                right += 1
            } else {
                merged.append(lhs[left])
                left += 1
            }
        }
        merged.append(contentsOf: lhs[left...])
        merged.append(contentsOf: rhs[right...])
        return merged
    }
}

private let overflowLabelSet = LabelSet([Label("otel_metric_overflow", "true")])

/// The state of one histogram series: non-cumulative bucket counts, the sum and the count of observations.
public struct HistogramAccumulator: Sendable, Equatable {
    /// Observations per finite bucket (`value <= upperBounds[i]` and above the previous bound).
    public var bucketCounts: [UInt64]
    public var sum: Double
    public var count: UInt64

    /// An empty histogram with `bucketCount` finite buckets.
    public init(bucketCount: Int) {
        bucketCounts = Array(repeating: 0, count: bucketCount)
        sum = 0
        count = 0
    }

    /// Restores a histogram from its parts (persistence).
    public init(bucketCounts: [UInt64], sum: Double, count: UInt64) {
        self.bucketCounts = bucketCounts
        self.sum = sum
        self.count = count
    }

    /// Records `value` `weight` times into the bucket whose upper bound is the first at or above it (buckets are
    /// upper-inclusive, as Prometheus' `le`); values above every bound land only in the implied `+Inf` bucket.
    public mutating func record(_ value: Double, upperBounds: [Double], weight: UInt64 = 1) {
        var index = 0
        while index < upperBounds.count, value > upperBounds[index] { index += 1 }
        if index < bucketCounts.count { bucketCounts[index] &+= weight }
        sum += value * Double(weight)
        count &+= weight
    }
}

/// Default histogram boundaries.
public enum HistogramBuckets {
    /// Prometheus client libraries' default buckets, in seconds (client_golang `DefBuckets`); used for timers.
    public static let prometheusDefault: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// The OpenTelemetry SDK's default explicit bucket boundaries; used for `h` and `d` observations.
    public static let openTelemetryDefault: [Double] = [
        0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
    ]

    /// Checks that boundaries are finite and strictly increasing.
    public static func validate(_ bounds: [Double]) throws(MetricsError) {
        guard bounds.allSatisfy(\.isFinite) else { throw .invalidBuckets("boundaries must be finite numbers") }
        for (lower, upper) in zip(bounds, bounds.dropFirst()) where !(lower < upper) {
            throw .invalidBuckets("boundaries must increase strictly (\(lower) is followed by \(upper))")
        }
    }
}

extension SeriesTable {
    /// The family snapshot of a counter or gauge table, reading each series' number through `number`.
    public mutating func snapshot(_ descriptor: MetricDescriptor, number: (Value) -> Double) -> MetricFamilySnapshot {
        let slots = sortedSlots()
        var labelSets: [LabelSet] = []
        var values: [Double] = []
        labelSets.reserveCapacity(slots.count)
        values.reserveCapacity(slots.count)
        for slot in slots {
            labelSets.append(labelSetBySlot[slot])
            values.append(number(valueBySlot[slot]))
        }
        return MetricFamilySnapshot(descriptor: descriptor, labelSets: labelSets, values: values)
    }

    /// The family snapshot of a histogram table whose series share `upperBounds`, reading each series'
    /// histogram through `histogram`.
    public mutating func snapshot(
        _ descriptor: MetricDescriptor, upperBounds: [Double], histogram: (Value) -> HistogramAccumulator
    ) -> MetricFamilySnapshot {
        let slots = sortedSlots()
        var labelSets: [LabelSet] = []
        var sums: [Double] = []
        var counts: [UInt64] = []
        var cumulative: [UInt64] = []
        labelSets.reserveCapacity(slots.count)
        sums.reserveCapacity(slots.count)
        counts.reserveCapacity(slots.count)
        cumulative.reserveCapacity(slots.count * upperBounds.count)
        for slot in slots {
            let series = histogram(valueBySlot[slot])
            labelSets.append(labelSetBySlot[slot])
            sums.append(series.sum)
            counts.append(series.count)
            var running: UInt64 = 0
            for index in 0..<upperBounds.count {
                running &+= index < series.bucketCounts.count ? series.bucketCounts[index] : 0
                cumulative.append(running)
            }
        }
        let columns = HistogramColumns(upperBounds: upperBounds, cumulativeCounts: cumulative, counts: counts)
        return MetricFamilySnapshot(descriptor: descriptor, labelSets: labelSets, sums: sums, histogram: columns)
    }
}

extension SeriesTable where Value == Double {
    /// The family snapshot of a counter or gauge table: a view of its slot arrays in label order, which copies no
    /// series.
    public mutating func snapshot(_ descriptor: MetricDescriptor) -> MetricFamilySnapshot {
        MetricFamilySnapshot(
            descriptor: descriptor, slotLabelSets: labelSetBySlot, slotValues: valueBySlot, order: sortedSlots())
    }
}

extension SeriesTable where Value == HistogramAccumulator {
    /// The family snapshot of a histogram table whose series share `upperBounds`.
    public mutating func snapshot(_ descriptor: MetricDescriptor, upperBounds: [Double]) -> MetricFamilySnapshot {
        snapshot(descriptor, upperBounds: upperBounds) { $0 }
    }
}

extension SeriesTable: Sendable where Value: Sendable {}
