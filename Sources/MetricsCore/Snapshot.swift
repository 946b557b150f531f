/// The series of one metric family at one collection: immutable, sorted by labels, stored column-wise so that a
/// snapshot of many series costs a few allocations per family rather than several per series.
///
/// The columns are either in exposition order, or a store's own slot arrays seen through `order` (the slots in
/// label order). The second form is what a large store hands out: copying three array references is all a
/// scrape of 100,000 pushed series then costs here, and the arrays' copy-on-write keeps the view immutable.
public struct MetricFamilySnapshot: Sendable {
    public let descriptor: MetricDescriptor
    /// Label sets by storage position.
    public let storedLabelSets: [LabelSet]
    /// Counter and gauge values (histograms: sums) by storage position.
    public let storedValues: [Double]
    /// The storage positions in exposition order; nil when the columns are already in that order.
    public let order: [Int]?
    /// The buckets and counts of a histogram family, in exposition order; nil for other types.
    public let histogram: HistogramColumns?
    /// The quantiles and counts of a summary family, in exposition order; nil for other types.
    public let summary: SummaryColumns?

    /// Creates the snapshot of a counter, gauge or untyped family from columns in exposition order.
    public init(descriptor: MetricDescriptor, labelSets: [LabelSet], values: [Double]) {
        precondition(descriptor.type != .histogram && descriptor.type != .summary && labelSets.count == values.count)
        self.descriptor = descriptor
        self.storedLabelSets = labelSets
        self.storedValues = values
        self.order = nil
        self.histogram = nil
        self.summary = nil
    }

    /// Creates the snapshot of a counter or gauge family as a view of a store's slots: series `i` is at slot
    /// `order[i]` of both arrays.
    public init(descriptor: MetricDescriptor, slotLabelSets: [LabelSet], slotValues: [Double], order: [Int]) {
        precondition(
            descriptor.type != .histogram && descriptor.type != .summary && slotLabelSets.count == slotValues.count)
        self.descriptor = descriptor
        self.storedLabelSets = slotLabelSets
        self.storedValues = slotValues
        self.order = order
        self.histogram = nil
        self.summary = nil
    }

    /// Creates the snapshot of a histogram family.
    public init(descriptor: MetricDescriptor, labelSets: [LabelSet], sums: [Double], histogram: HistogramColumns) {
        precondition(descriptor.type == .histogram && labelSets.count == sums.count)
        precondition(histogram.counts.count == labelSets.count)
        precondition(histogram.cumulativeCounts.count == labelSets.count * histogram.upperBounds.count)
        self.descriptor = descriptor
        self.storedLabelSets = labelSets
        self.storedValues = sums
        self.order = nil
        self.histogram = histogram
        self.summary = nil
    }

    /// Creates the snapshot of a summary family.
    public init(descriptor: MetricDescriptor, labelSets: [LabelSet], sums: [Double], summary: SummaryColumns) {
        precondition(descriptor.type == .summary && labelSets.count == sums.count)
        precondition(summary.counts.count == labelSets.count && summary.quantileStarts.count == labelSets.count + 1)
        self.descriptor = descriptor
        self.storedLabelSets = labelSets
        self.storedValues = sums
        self.order = nil
        self.histogram = nil
        self.summary = summary
    }

    /// The number of series.
    public var count: Int { order?.count ?? storedLabelSets.count }

    /// The label set of the series at `position` (exposition order).
    @inlinable public func labelSet(at position: Int) -> LabelSet {
        storedLabelSets[order?[position] ?? position]
    }

    /// The value (histograms: the sum) of the series at `position` (exposition order).
    @inlinable public func value(at position: Int) -> Double {
        storedValues[order?[position] ?? position]
    }

    /// Every series' label set, in exposition order.
    public var labelSets: [LabelSet] {
        guard let order else { return storedLabelSets }
        return order.map { storedLabelSets[$0] }
    }

    /// Every series' value (histograms: sums), in exposition order.
    public var values: [Double] {
        guard let order else { return storedValues }
        return order.map { storedValues[$0] }
    }
}

/// The name order of one collection's non-empty families: their names in the sequence the producers handed them
/// over, and the positions in that sequence sorted by name.
public struct FamilyOrder: Sendable {
    var names: [String]
    var sortedPositions: [Int]

    public init() {
        self.init(names: [], sortedPositions: [])
    }

    init(names: [String], sortedPositions: [Int]) {
        self.names = names
        self.sortedPositions = sortedPositions
    }
}

/// The buckets of every series of a histogram family, series after series.
public struct HistogramColumns: Sendable {
    /// The finite upper bounds (`le`), ascending; the `+Inf` bucket is implied and equals ``counts``.
    public let upperBounds: [Double]
    /// Cumulative bucket counts: series `i`, bound `j` at `i * upperBounds.count + j`.
    public let cumulativeCounts: [UInt64]
    /// The number of observations of each series.
    public let counts: [UInt64]

    public init(upperBounds: [Double], cumulativeCounts: [UInt64], counts: [UInt64]) {
        self.upperBounds = upperBounds
        self.cumulativeCounts = cumulativeCounts
        self.counts = counts
    }

    /// The cumulative bucket counts of one series.
    public func cumulativeCounts(ofSeries index: Int) -> ArraySlice<UInt64> {
        let width = upperBounds.count
        return cumulativeCounts[index * width..<(index + 1) * width]
    }
}

/// The quantiles of every series of a summary family, series after series. Series may have different quantiles.
public struct SummaryColumns: Sendable {
    /// Series `i` has the quantiles at positions `quantileStarts[i]..<quantileStarts[i + 1]`; one element more than
    /// there are series.
    public let quantileStarts: [Int]
    /// The quantiles (`quantile` label), ascending within each series.
    public let quantiles: [Double]
    /// The value of each quantile.
    public let quantileValues: [Double]
    /// The number of observations of each series.
    public let counts: [UInt64]

    public init(quantileStarts: [Int], quantiles: [Double], quantileValues: [Double], counts: [UInt64]) {
        precondition(quantileStarts.count == counts.count + 1 && quantiles.count == quantileValues.count)
        precondition(quantileStarts.first == 0 && quantileStarts.last == quantiles.count)
        self.quantileStarts = quantileStarts
        self.quantiles = quantiles
        self.quantileValues = quantileValues
        self.counts = counts
    }

    /// The positions of the quantiles of one series.
    public func quantileRange(ofSeries index: Int) -> Range<Int> {
        quantileStarts[index]..<quantileStarts[index + 1]
    }
}

/// How one producer (a host collector, the push store) fared in one collection.
public struct ProducerResult: Sendable, Equatable {
    public let name: String
    public let succeeded: Bool
    /// Wall time the producer's callbacks took, in seconds (from the registry's injected clock).
    public let durationSeconds: Double
    /// Why it failed, when it did.
    public let error: String?

    public init(name: String, succeeded: Bool, durationSeconds: Double, error: String?) {
        self.name = name
        self.succeeded = succeeded
        self.durationSeconds = durationSeconds
        self.error = error
    }
}

/// Everything one collection produced: families sorted by name (each family's series sorted by labels), and the
/// result of every producer that ran.
public struct MetricsSnapshot: Sendable {
    public let families: [MetricFamilySnapshot]
    public let producerResults: [ProducerResult]

    /// Creates a snapshot, sorting the families by name. Empty families are left out: a family whose series all
    /// vanished is not exposed.
    public init(families: [MetricFamilySnapshot], producerResults: [ProducerResult] = []) {
        var order = FamilyOrder()
        self.init(families: families, producerResults: producerResults, order: &order)
    }

    /// Creates a snapshot, sorting the families by name with the help of `order`, the order found for an earlier
    /// collection, and leaves in it the order of this one. Producers hand over the same families in the same sequence
    /// from one collection to the next, so the sort usually comes down to checking that the names are the same.
    public init(families: [MetricFamilySnapshot], producerResults: [ProducerResult], order: inout FamilyOrder) {
        let present = families.indices.filter { families[$0].count > 0 }
        let isUnchanged =
            present.count == order.names.count
            && zip(present, order.names).allSatisfy { families[$0].descriptor.name == $1 }
        if !isUnchanged {
            // Metric names are ASCII, so String's ordering is byte order.
            order = FamilyOrder(
                names: present.map { families[$0].descriptor.name },
                sortedPositions: present.indices.sorted {
                    families[present[$0]].descriptor.name < families[present[$1]].descriptor.name
                })
        }
        // Pick the families by position rather than sorting them, which are large to move.
        self.families = order.sortedPositions.map { families[present[$0]] }
        self.producerResults = producerResults
    }

    /// The family with this name, if collected.
    public func family(named name: String) -> MetricFamilySnapshot? {
        families.first { $0.descriptor.name == name }
    }

    /// The total number of series.
    public var seriesCount: Int { families.reduce(0) { $0 + $1.count } }
}
