import MetricsCore

/// Why a parsed family cannot be held as a ``MetricsCore/MetricFamilySnapshot``.
public struct UnsupportedFamilyError: Error, Equatable, Sendable, CustomStringConvertible {
    public let family: String
    public let reason: String

    public init(family: String, reason: String) {
        self.family = family
        self.reason = reason
    }

    public var description: String { "family \(family): \(reason)" }
}

extension ParsedMetricFamily {
    /// The descriptor under which the family is exposed, with `help` as its HELP text.
    ///
    /// The sample names stay those of the text: a counter whose name ends in `_total` becomes the counter family
    /// without it (whose samples are written with it again). A counter named otherwise, whose samples have no
    /// `_total`, becomes an untyped family of its name, since tally's counters always write `_total`; Prometheus
    /// stores the same series either way.
    public func descriptor(help: String) -> MetricDescriptor {
        let counterSuffix = "_total"
        if type == .counter, name.hasSuffix(counterSuffix), name.utf8.count > counterSuffix.utf8.count,
            let descriptor = try? MetricDescriptor(
                name: String(name.dropLast(counterSuffix.count)), type: .counter, help: help)
        {
            return descriptor
        }
        let type = self.type == .counter ? .untyped : self.type
        // The parser admits only valid metric names, and no type but counter refuses a name.
        guard let descriptor = try? MetricDescriptor(name: name, type: type, help: help) else {
            preconditionFailure("invalid parsed metric name \(name)")
        }
        return descriptor
    }

    /// The family as a snapshot, its series sorted by labels, with `help` as its HELP text.
    ///
    /// Histogram buckets are sorted by bound; every series must have the same finite bounds, its counts must be
    /// whole and not negative, and its `+Inf` bucket (when given) must equal its `_count` (when given), which is
    /// what the snapshot's columns can hold. A missing `_sum` is 0, a missing histogram `_count` is its `+Inf`
    /// bucket, a missing summary `_count` is 0, as client_golang's parser leaves them.
    public func snapshot(help: String) throws(UnsupportedFamilyError) -> MetricFamilySnapshot {
        let descriptor = descriptor(help: help)
        let sorted = series.sorted { $0.labels < $1.labels }
        let labelSets = sorted.map(\.labels)
        switch type {
        case .counter, .gauge, .untyped:
            return MetricFamilySnapshot(descriptor: descriptor, labelSets: labelSets, values: sorted.map(\.value))
        case .histogram:
            return MetricFamilySnapshot(
                descriptor: descriptor, labelSets: labelSets, sums: sorted.map { $0.sum ?? 0 },
                histogram: try histogramColumns(sorted))
        case .summary:
            return MetricFamilySnapshot(
                descriptor: descriptor, labelSets: labelSets, sums: sorted.map { $0.sum ?? 0 },
                summary: try summaryColumns(sorted))
        }
    }

    private func unsupported(_ reason: String) -> UnsupportedFamilyError {
        UnsupportedFamilyError(family: name, reason: reason)
    }

    private func wholeCount(_ value: Double, of series: ParsedSeries) throws(UnsupportedFamilyError) -> UInt64 {
        guard value >= 0, value < 0x1p64, value.rounded(.towardZero) == value else {
            throw unsupported("count \(value) of series \(series.labels) is not a whole number ≥ 0")
        }
        return UInt64(value)
    }

    private func histogramColumns(_ sorted: [ParsedSeries]) throws(UnsupportedFamilyError) -> HistogramColumns {
        var upperBounds: [Double]?
        var cumulativeCounts: [UInt64] = []
        var counts: [UInt64] = []
        for series in sorted {
            let buckets = series.buckets.sorted { $0.bound < $1.bound }
            guard !buckets.contains(where: { $0.bound.isNaN || $0.bound == -.infinity }) else {
                throw unsupported("series \(series.labels) has a bucket bound of NaN or -Inf")
            }
            let finite = buckets.filter { $0.bound.isFinite }
            let bounds = finite.map(\.bound)
            if let upperBounds, upperBounds != bounds {
                throw unsupported("series \(series.labels) has other buckets than the first series")
            }
            upperBounds = bounds
            let infinite = buckets.last { $0.bound == .infinity }?.value
            guard let countValue = series.count ?? infinite else {
                throw unsupported("series \(series.labels) has neither a +Inf bucket nor a _count")
            }
            if let infinite, infinite != countValue {
                throw unsupported("series \(series.labels) has a +Inf bucket other than its _count")
            }
            for bucket in finite { cumulativeCounts.append(try wholeCount(bucket.value, of: series)) }
            counts.append(try wholeCount(countValue, of: series))
        }
        return HistogramColumns(upperBounds: upperBounds ?? [], cumulativeCounts: cumulativeCounts, counts: counts)
    }

    private func summaryColumns(_ sorted: [ParsedSeries]) throws(UnsupportedFamilyError) -> SummaryColumns {
        var starts = [0]
        var quantiles: [Double] = []
        var values: [Double] = []
        var counts: [UInt64] = []
        for series in sorted {
            for quantile in series.quantiles.sorted(by: { $0.bound < $1.bound }) {
                quantiles.append(quantile.bound)
                values.append(quantile.value)
            }
            starts.append(quantiles.count)
            counts.append(try wholeCount(series.count ?? 0, of: series))
        }
        return SummaryColumns(quantileStarts: starts, quantiles: quantiles, quantileValues: values, counts: counts)
    }
}

extension MetricFamilySnapshot {
    /// The same series under another descriptor of the same type (another HELP text, say).
    public func replacingDescriptor(with descriptor: MetricDescriptor) -> MetricFamilySnapshot {
        precondition(descriptor.type == self.descriptor.type)
        if let histogram {
            return MetricFamilySnapshot(
                descriptor: descriptor, labelSets: labelSets, sums: values, histogram: histogram)
        }
        if let summary {
            return MetricFamilySnapshot(descriptor: descriptor, labelSets: labelSets, sums: values, summary: summary)
        }
        return MetricFamilySnapshot(descriptor: descriptor, labelSets: labelSets, values: values)
    }
}
