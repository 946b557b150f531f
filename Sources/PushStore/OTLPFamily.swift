import MetricsCore

/// How a metric received over OTLP is stored, decided by the OTLP data type of the metric that created it.
enum OTLPKind: UInt8, CaseIterable, Sendable {
    /// A monotonic sum.
    case counter = 0
    /// A gauge or a non-monotonic sum.
    case gauge = 1
    /// A histogram, explicit or exponential (converted to explicit buckets).
    case histogram = 2
    /// A summary.
    case summary = 3

    var metricType: MetricType {
        switch self {
        case .counter: .counter
        case .gauge: .gauge
        case .histogram: .histogram
        case .summary: .summary
        }
    }

    /// The code of the kind in the state file.
    var code: String {
        switch self {
        case .counter: "otlp-counter"
        case .gauge: "otlp-gauge"
        case .histogram: "otlp-histogram"
        case .summary: "otlp-summary"
        }
    }

    init?(code: Substring) {
        guard let kind = OTLPKind.allCases.first(where: { $0.code == code }) else { return nil }
        self = kind
    }

    var typeDescription: String {
        switch self {
        case .counter: "an OTLP monotonic sum (counter)"
        case .gauge: "an OTLP gauge or non-monotonic sum (gauge)"
        case .histogram: "an OTLP histogram"
        case .summary: "an OTLP summary"
        }
    }
}

/// One series of an OTLP metric: its value, the times of its last point and when it last changed.
struct OTLPSeries: Sendable, Equatable {
    /// The value of a counter or gauge; the sum of a histogram or summary.
    var value: Double = 0
    /// The number of observations of a histogram or summary.
    var count: UInt64 = 0
    /// The non-cumulative count in each finite bucket of a histogram (the `+Inf` bucket is `count` minus their sum).
    var bucketCounts: [UInt64] = []
    /// The quantiles of a summary, ascending, and their values.
    var quantiles: [Double] = []
    var quantileValues: [Double] = []
    /// The start time of the series' cumulative run, in Unix nanoseconds (0 when unknown).
    var startTimeUnixNano: UInt64 = 0
    /// The time of the last point applied, in Unix nanoseconds.
    var timeUnixNano: UInt64 = 0
    /// Seconds on the store's clock.
    var updatedAt: UInt32 = 0

    var histogram: HistogramAccumulator { HistogramAccumulator(bucketCounts: bucketCounts, sum: value, count: count) }
}

/// One metric family fed by OTLP: its exposition identity, the rule that shaped it, and its series.
struct OTLPFamily: Sendable {
    let descriptor: MetricDescriptor
    let kind: OTLPKind
    /// The Prometheus name the metric translated to (a counter's without `_total`), before view rules: what points
    /// find the family by.
    let indexName: String
    /// The HELP text and Prometheus unit word the metric came with, before view rules (kept in the state file).
    let sourceHelp: String
    let sourceUnit: String
    /// The finite bucket bounds of a histogram: those of the first point received.
    let upperBounds: [Double]
    /// Seconds a series lives without updates; nil keeps series.
    let timeToLive: UInt32?
    let rule: ViewRule?
    /// A rule dropped this metric: points are accepted and discarded, and no names are reserved.
    let isDropped: Bool
    var series: SeriesTable<OTLPSeries>

    init(
        descriptor: MetricDescriptor, kind: OTLPKind, indexName: String, sourceHelp: String, sourceUnit: String,
        upperBounds: [Double], timeToLive: UInt32?, rule: ViewRule?, cardinalityLimit: Int
    ) {
        self.descriptor = descriptor
        self.kind = kind
        self.indexName = indexName
        self.sourceHelp = sourceHelp
        self.sourceUnit = sourceUnit
        self.upperBounds = upperBounds
        self.timeToLive = timeToLive
        self.rule = rule
        self.isDropped = rule?.drop ?? false
        var initial = OTLPSeries()
        if kind == .histogram { initial.bucketCounts = [UInt64](repeating: 0, count: upperBounds.count) }
        series = SeriesTable(cardinalityLimit: cardinalityLimit, initialValue: initial)
    }

    var seriesCount: Int { series.count }

    /// Builds a family (not yet registered): the exposed name, help, time to live and cardinality limit from the
    /// first view rule that selects it. `indexName` is the Prometheus name (a counter's without `_total`), `name` the
    /// name as translated.
    static func make(
        indexName: String, name: String, help: String, unit: String, kind: OTLPKind, upperBounds: [Double],
        views: ViewSet, limits: PushLimits
    ) throws(OTLPRejection) -> OTLPFamily {
        let rule = views.rule(forNames: [indexName, name], type: kind.metricType)
        let descriptor: MetricDescriptor
        do {
            var exposedName = indexName
            if let rename = rule?.rename {
                exposedName = MetricNaming.sanitizedMetricName(rename)
                if kind == .counter, exposedName.hasSuffix("_total"), exposedName.utf8.count > 6 {
                    exposedName.removeLast(6)
                }
            }
            let unitWord = !unit.isEmpty && exposedName.hasSuffix("_" + unit) ? unit : ""
            descriptor = try MetricDescriptor(
                name: exposedName, type: kind.metricType, help: rule?.help ?? help, unit: unitWord)
        } catch {
            throw OTLPRejection(.invalidName, "cannot expose '\(name)': \(error)")
        }
        let timeToLive = (rule?.timeToLiveSeconds ?? limits.defaultTimeToLiveSeconds).map {
            UInt32(clamping: Int(max(1, $0.rounded(.up))))
        }
        return OTLPFamily(
            descriptor: descriptor, kind: kind, indexName: indexName, sourceHelp: help, sourceUnit: unit,
            upperBounds: upperBounds, timeToLive: timeToLive, rule: rule,
            cardinalityLimit: rule?.cardinalityLimit ?? views.defaultCardinalityLimit)
    }

    /// Whether `name` names this family: as exposed, or as a counter's sample.
    func isNamed(_ name: String) -> Bool {
        name == descriptor.name || (kind == .counter && name == descriptor.name + "_total")
    }

    /// Removes the series not updated since `deadline`; returns how many.
    mutating func removeSeries(updatedBefore deadline: UInt32) -> Int {
        series.removeAll { _, series in series.updatedAt < deadline }
    }

    mutating func prepareSnapshot() { _ = series.sortedSlots() }

    /// The family's series for the exposition.
    mutating func snapshot() -> MetricFamilySnapshot {
        switch kind {
        case .counter, .gauge:
            return series.snapshot(descriptor) { $0.value }
        case .histogram:
            return series.snapshot(descriptor, upperBounds: upperBounds) { $0.histogram }
        case .summary:
            let slots = series.sortedSlots()
            var labelSets: [LabelSet] = []
            var sums: [Double] = []
            var counts: [UInt64] = []
            var starts = [0]
            var quantiles: [Double] = []
            var values: [Double] = []
            for slot in slots {
                let value = series[slot]
                labelSets.append(series.labels(ofSlot: slot) ?? .empty)
                sums.append(value.value)
                counts.append(value.count)
                quantiles.append(contentsOf: value.quantiles)
                values.append(contentsOf: value.quantileValues)
                starts.append(quantiles.count)
            }
            return MetricFamilySnapshot(
                descriptor: descriptor, labelSets: labelSets, sums: sums,
                summary: SummaryColumns(
                    quantileStarts: starts, quantiles: quantiles, quantileValues: values, counts: counts))
        }
    }
}
