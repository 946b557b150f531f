import MetricsCore
import OTLP

/// How OTLP metrics become Prometheus series, beyond the naming rules.
public struct OTLPIngestOptions: Sendable, Equatable {
    /// Resource attributes copied onto every series of the resource, as labels (`--otlp.promote-resource-attributes`).
    public var promotedResourceAttributes: [String]
    /// Whether series get `otel_scope_name` and `otel_scope_version` labels (`--otlp.disable-scope-labels` turns them
    /// off).
    public var addsScopeLabels: Bool

    public init(promotedResourceAttributes: [String] = [], addsScopeLabels: Bool = true) {
        self.promotedResourceAttributes = promotedResourceAttributes
        self.addsScopeLabels = addsScopeLabels
    }
}

/// Why an OTLP data point was refused, for `tally_otlp_rejected_points_total{reason}`.
public enum OTLPRejectionReason: String, CaseIterable, Sendable {
    /// The name is used by a metric of another type: a host metric, a pushed StatsD metric, tally's own, or an OTLP
    /// metric of another kind.
    case typeConflict = "type_conflict"
    /// The point would add a series past the store's series limit.
    case seriesLimit = "series_limit"
    /// A histogram point whose bounds differ from those the metric's first point had.
    case bucketMismatch = "bucket_mismatch"
    /// A temporality tally does not handle (unspecified).
    case unsupported
    /// A metric name or attribute key that gives no usable Prometheus name, or a reserved label name.
    case invalidName = "invalid_name"
    /// A missing value, a negative counter, bucket counts that do not match the bounds.
    case invalidValue = "invalid_value"
}

/// What applying one OTLP request did.
public struct OTLPIngestResult: Sendable, Equatable {
    public var acceptedPoints = 0
    public var rejectedPoints = 0
    /// Refused points by reason.
    public var rejections: [OTLPRejectionReason: Int] = [:]
    /// The first refusal, `reason: message`, for the response's `error_message`.
    public var firstRejection: String?
    /// Delta points whose start time did not join the previous point's time (still added).
    public var deltaGaps = 0
    /// Exemplars sent with the points, which tally does not keep.
    public var droppedExemplars = 0
    /// Points recorded into a metric's overflow series (cardinality limit reached).
    public var overflowPoints = 0

    public init() {}
}

/// A refused point (or every point of a metric): the reason and a message for a person.
struct OTLPRejection: Error {
    var reason: OTLPRejectionReason
    var message: String

    init(_ reason: OTLPRejectionReason, _ message: String) {
        self.reason = reason
        self.message = message
    }
}

extension PushStore {
    /// How OTLP metrics are labelled; set before journals are replayed, so that replay labels as the live path did.
    public var otlpOptions: OTLPIngestOptions {
        get { withState { $0.otlpOptions } }
        set { withState { $0.otlpOptions = newValue } }
    }

    /// Decodes an `ExportMetricsServiceRequest` in protobuf and applies its points under one lock. A body that does
    /// not decode changes nothing and throws; refused points change nothing but the result's counts.
    public func ingestOTLP(protobuf body: UnsafeRawBufferPointer) throws(OTLPDecodingError) -> OTLPIngestResult {
        let now = currentSecond()
        let views = registry.views
        let registry = self.registry
        let outcome: Result<OTLPIngestResult, OTLPDecodingError> = withState { state in
            var translator = OTLPTranslator(
                state: State(limits: state.limits), views: views, registry: registry, now: now)
            swap(&translator.state, &state)
            defer { swap(&translator.state, &state) }
            do throws(OTLPDecodingError) {
                try OTLPMetricsDecoder().decode(body, into: &translator)
            } catch {
                return .failure(error)
            }
            if translator.result.acceptedPoints > 0 { translator.state.version &+= 1 }
            return .success(translator.result)
        }
        return try outcome.get()
    }

    /// ``ingestOTLP(protobuf:)-(UnsafeRawBufferPointer)`` on an array.
    public func ingestOTLP(protobuf body: [UInt8]) throws(OTLPDecodingError) -> OTLPIngestResult {
        let outcome: Result<OTLPIngestResult, OTLPDecodingError> = body.withUnsafeBytes { buffer in
            do throws(OTLPDecodingError) {
                return .success(try ingestOTLP(protobuf: buffer))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}

/// Applies the points of a decoded request to the store's state.
struct OTLPTranslator: OTLPMetricsVisitor {
    var state: PushStore.State
    let views: ViewSet
    let registry: MetricRegistry
    let now: UInt32
    var result = OTLPIngestResult()

    /// What the current metric's points go to.
    private var metric = CurrentMetric.skipped
    /// The labels every series of the current resource and scope gets: scope labels, promoted attributes, `job`
    /// and `instance`; the last ones override point attributes.
    private var commonLabels: [Label] = []
    private var identifyingLabels: [Label] = []

    private enum CurrentMetric {
        case skipped
        case refused(OTLPRejection)
        /// The metric's family is found (or created) at its first point, since a histogram's bounds come from it.
        case pending(name: String, help: String, unit: String, kind: OTLPKind, isDelta: Bool)
        case family(Int, kind: OTLPKind, isDelta: Bool)
    }

    init(state: PushStore.State, views: ViewSet, registry: MetricRegistry, now: UInt32) {
        self.state = state
        self.views = views
        self.registry = registry
        self.now = now
    }

    // MARK: Metrics

    mutating func visitMetric(_ context: OTLPMetricContext) {
        let type = PrometheusNaming.MetricType(context.metric)
        let kind: OTLPKind
        var isDelta = false
        switch type {
        case .unknown:
            metric = .skipped
            return
        case .gauge: kind = .gauge
        case .monotonicCounter: kind = .counter
        case .nonMonotonicCounter: kind = .gauge
        case .histogram, .exponentialHistogram: kind = .histogram
        case .summary: kind = .summary
        }
        resourceAndScopeLabels(context)
        if kind == .counter || type == .nonMonotonicCounter || kind == .histogram {
            switch context.metric.aggregationTemporality {
            case .delta: isDelta = true
            case .cumulative: isDelta = false
            default:
                metric = .refused(
                    OTLPRejection(
                        .unsupported,
                        "metric '\(String(decoding: context.metric.name, as: UTF8.self))' has no aggregation temporality"
                    ))
                return
            }
        }
        let otelName = String(decoding: context.metric.name, as: UTF8.self)
        let unit = String(decoding: context.metric.unit, as: UTF8.self)
        guard let name = PrometheusNaming.metricName(otelName, unit: unit, type: type) else {
            metric = .refused(OTLPRejection(.invalidName, "metric name '\(otelName)' has no Prometheus form"))
            return
        }
        let description = String(decoding: context.metric.description, as: UTF8.self)
        metric = .pending(
            name: name, help: description.isEmpty ? "\(otelName), received over OTLP." : description,
            unit: PrometheusNaming.unitName(unit), kind: kind, isDelta: isDelta)
    }

    /// The labels shared by the metric's series, and the resource's `target_info` series.
    private mutating func resourceAndScopeLabels(_ context: OTLPMetricContext) {
        var serviceName: String?
        var serviceNamespace: String?
        var serviceInstanceID: String?
        var others: [(key: String, value: String)] = []
        for attribute in context.resource.attributes {
            let key = String(decoding: attribute.key, as: UTF8.self)
            let value = OTLPAttributeText.string(attribute.value)
            switch key {
            case "service.name": serviceName = value
            case "service.namespace": serviceNamespace = value
            case "service.instance.id": serviceInstanceID = value
            default: others.append((key, value))
            }
        }
        identifyingLabels = []
        if let job = PrometheusNaming.job(serviceName: serviceName, serviceNamespace: serviceNamespace) {
            identifyingLabels.append(Label("job", job))
        }
        if let instance = PrometheusNaming.instance(serviceInstanceID: serviceInstanceID) {
            identifyingLabels.append(Label("instance", instance))
        }
        commonLabels = []
        if state.otlpOptions.addsScopeLabels {
            if !context.scope.name.isEmpty {
                commonLabels.append(Label("otel_scope_name", String(decoding: context.scope.name, as: UTF8.self)))
            }
            if !context.scope.version.isEmpty {
                commonLabels.append(
                    Label("otel_scope_version", String(decoding: context.scope.version, as: UTF8.self)))
            }
        }
        for key in state.otlpOptions.promotedResourceAttributes {
            guard let value = others.last(where: { $0.key == key })?.value,
                let name = PrometheusNaming.labelName(key)
            else { continue }
            commonLabels.append(Label(name, value))
        }
        if !others.isEmpty { recordTargetInfo(others) }
    }

    /// Sets the resource's `target_info` series (1, labelled with `job`, `instance` and the other attributes).
    private mutating func recordTargetInfo(_ attributes: [(key: String, value: String)]) {
        var labels = Self.mergedLabels(attributes)
        labels.removeAll { label in identifyingLabels.contains { $0.name == label.name } }
        labels.append(contentsOf: identifyingLabels)
        let labelSet = LabelSet(labels)
        guard
            let index = try? family(
                name: "target_info", help: "Target metadata: the attributes of each OTLP resource.", unit: "",
                kind: .gauge, upperBounds: [])
        else { return }
        guard !state.otlpFamilies[index].isDropped, let slot = try? slot(in: index, labelSet) else { return }
        state.otlpFamilies[index].series[slot].value = 1
        state.otlpFamilies[index].series[slot].updatedAt = now
    }

    /// Finds the family named `name` (its Prometheus name before view rules), creating and registering it when new.
    private mutating func family(
        name: String, help: String, unit: String, kind: OTLPKind, upperBounds: [Double]
    ) throws(OTLPRejection) -> Int {
        let familyName =
            kind == .counter && name.hasSuffix("_total") && name != "_total" && name != "total"
            ? String(name.dropLast("_total".count)) : name
        if let index = state.otlpFamilyIndexByName[familyName] {
            let existing = state.otlpFamilies[index]
            guard existing.kind == kind else {
                throw OTLPRejection(
                    .typeConflict,
                    "'\(name)' is \(existing.kind.typeDescription), this metric is \(kind.typeDescription)")
            }
            return index
        }
        let family = try OTLPFamily.make(
            indexName: familyName, name: name, help: help, unit: unit, kind: kind, upperBounds: upperBounds,
            views: views, limits: state.limits)
        if !family.isDropped {
            do {
                try registry.reserve(family.descriptor)
            } catch {
                throw OTLPRejection(
                    .typeConflict, "'\(name)' (\(kind.typeDescription)) cannot be exposed: \(error)")
            }
        }
        state.otlpFamilies.append(family)
        state.otlpFamilyIndexByName[familyName] = state.otlpFamilies.count - 1
        return state.otlpFamilies.count - 1
    }

    /// The family of the current metric for a point with these bounds (histograms), or why its points are refused.
    private mutating func currentFamily(
        upperBounds: [Double] = []
    ) throws(OTLPRejection) -> (index: Int, kind: OTLPKind, isDelta: Bool)? {
        switch metric {
        case .skipped: return nil
        case .refused(let rejection): throw rejection
        case .family(let index, let kind, let isDelta): return (index, kind, isDelta)
        case .pending(let name, let help, let unit, let kind, let isDelta):
            do {
                let index = try family(name: name, help: help, unit: unit, kind: kind, upperBounds: upperBounds)
                metric = .family(index, kind: kind, isDelta: isDelta)
                return (index, kind, isDelta)
            } catch {
                metric = .refused(error)
                throw error
            }
        }
    }

    // MARK: Labels and series

    /// Attribute keys as label names; keys that give the same name have their values joined with `;`, in the order
    /// of the keys (as otlptranslator does).
    private static func mergedLabels(_ attributes: [(key: String, value: String)]) -> [Label] {
        // The common case: every key gives a name of its own.
        var labels: [Label] = []
        labels.reserveCapacity(attributes.count)
        for attribute in attributes {
            guard let name = labelName(attribute.key) else { continue }
            labels.append(Label(name, attribute.value))
        }
        labels.sort { $0.name < $1.name }
        var index = 1
        while index < labels.count, labels[index].name != labels[index - 1].name { index += 1 }
        guard index < labels.count else { return labels }
        var byName: [String: [(key: String, value: String)]] = [:]
        for attribute in attributes {
            guard let name = labelName(attribute.key) else { continue }
            if let index = byName[name]?.firstIndex(where: { $0.key == attribute.key }) {
                byName[name]![index].value = attribute.value
            } else {
                byName[name, default: []].append(attribute)
            }
        }
        return byName.map { name, entries in
            Label(
                name,
                entries.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }.map(\.value)
                    .joined(separator: ";"))
        }
    }

    /// ``PrometheusNaming/labelName(_:)``, without building a new string for a key that is a label name already.
    private static func labelName(_ key: String) -> String? {
        var utf8 = key.utf8.makeIterator()
        guard let first = utf8.next(), first &- UInt8(ascii: "0") >= 10 else { return PrometheusNaming.labelName(key) }
        var isPlain = first == UInt8(ascii: "_") || (first | 0x20) &- UInt8(ascii: "a") < 26
        var hasLetterOrDigit = first != UInt8(ascii: "_")
        while isPlain, let byte = utf8.next() {
            if byte == UInt8(ascii: "_") { continue }
            hasLetterOrDigit = true
            isPlain = (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "0") < 10
        }
        return isPlain && hasLetterOrDigit ? key : PrometheusNaming.labelName(key)
    }

    /// The label set of a point: its attributes, the shared labels, `job` and `instance`.
    private func labels(_ attributes: OTLPAttributes, kind: OTLPKind, family: Int) throws(OTLPRejection) -> LabelSet {
        var pairs: [(key: String, value: String)] = []
        for attribute in attributes {
            let key = String(decoding: attribute.key, as: UTF8.self)
            guard Self.labelName(key) != nil else {
                throw OTLPRejection(.invalidName, "attribute key '\(key)' has no Prometheus label name")
            }
            pairs.append((key, OTLPAttributeText.string(attribute.value)))
        }
        var labels = Self.mergedLabels(pairs)
        for label in commonLabels where !labels.contains(where: { $0.name == label.name }) {
            labels.append(label)
        }
        for label in identifyingLabels {
            labels.removeAll { $0.name == label.name }
            labels.append(label)
        }
        for label in labels {
            if label.name == "otel_metric_overflow" || (kind == .histogram && label.name == "le")
                || (kind == .summary && label.name == "quantile")
            {
                throw OTLPRejection(.invalidName, "the label name '\(label.name)' is reserved")
            }
        }
        var set = LabelSet(labels)
        if let rule = state.otlpFamilies[family].rule { set = rule.filteredLabels(set) }
        return set
    }

    /// The slot of a series, created if needed, within the series limit.
    private mutating func slot(in family: Int, _ labels: LabelSet) throws(OTLPRejection) -> Int {
        if let slot = state.otlpFamilies[family].series.existingSlot(for: labels) { return slot }
        let hasOverflow = state.otlpFamilies[family].series.overflowSlot != nil
        let regularSeries = state.otlpFamilies[family].series.count - (hasOverflow ? 1 : 0)
        let goesToExistingOverflow =
            hasOverflow && regularSeries >= state.otlpFamilies[family].series.cardinalityLimit
        guard goesToExistingOverflow || state.seriesCount < state.limits.maxSeries else {
            throw OTLPRejection(
                .seriesLimit, "tally already stores \(state.limits.maxSeries) pushed series (push.max_series)")
        }
        let before = state.otlpFamilies[family].seriesCount
        let slot = state.otlpFamilies[family].series.slot(for: labels)
        state.seriesCount += state.otlpFamilies[family].seriesCount - before
        return slot
    }

    // MARK: Points

    private mutating func refuse(_ rejection: OTLPRejection) {
        result.rejectedPoints += 1
        result.rejections[rejection.reason, default: 0] += 1
        if result.firstRejection == nil { result.firstRejection = "\(rejection.reason.rawValue): \(rejection.message)" }
    }

    /// What a point does to its series: `apply` checks the point and changes the series, and returns whether a delta
    /// point did not start where the series' last point ended (a gap).
    private typealias Apply = (
        _ series: inout OTLPSeries, _ isDelta: Bool, _ isNew: Bool, _ bounds: [Double], _ familyName: String
    ) throws(OTLPRejection) -> Bool

    /// Runs `apply` on the point's series, counting the point as accepted or refused. A refused point creates no
    /// series.
    private mutating func withSeries(_ attributes: OTLPAttributes, upperBounds: [Double] = [], _ apply: Apply) {
        do throws(OTLPRejection) {
            guard let (index, kind, isDelta) = try currentFamily(upperBounds: upperBounds) else { return }
            guard !state.otlpFamilies[index].isDropped else {
                result.acceptedPoints += 1
                return
            }
            let labels = try labels(attributes, kind: kind, family: index)
            let bounds = state.otlpFamilies[index].upperBounds
            let name = state.otlpFamilies[index].descriptor.name
            if let slot = state.otlpFamilies[index].series.existingSlot(for: labels) {
                var series = state.otlpFamilies[index].series[slot]
                if try apply(&series, isDelta, false, bounds, name) { result.deltaGaps += 1 }
                series.updatedAt = now
                state.otlpFamilies[index].series[slot] = series
                if slot == state.otlpFamilies[index].series.overflowSlot { result.overflowPoints += 1 }
            } else {
                var series = OTLPSeries()
                if kind == .histogram { series.bucketCounts = [UInt64](repeating: 0, count: bounds.count) }
                _ = try apply(&series, isDelta, true, bounds, name)
                let hadOverflow = state.otlpFamilies[index].series.overflowSlot != nil
                let slot = try slot(in: index, labels)
                if slot == state.otlpFamilies[index].series.overflowSlot {
                    // Past the cardinality limit: deltas add to the overflow series, cumulative points replace it.
                    result.overflowPoints += 1
                    if hadOverflow {
                        series = state.otlpFamilies[index].series[slot]
                        _ = try apply(&series, isDelta, true, bounds, name)
                    }
                }
                series.updatedAt = now
                state.otlpFamilies[index].series[slot] = series
            }
            result.acceptedPoints += 1
        } catch {
            refuse(error)
        }
    }

    /// Sets the times of a series after a point; returns whether a delta point left a gap after the last one.
    private static func advance(
        _ series: inout OTLPSeries, start: UInt64, time: UInt64, isDelta: Bool, isNew: Bool
    ) -> Bool {
        var isGap = false
        if isDelta {
            isGap = !isNew && series.timeUnixNano != 0 && start != series.timeUnixNano
            if isNew || series.startTimeUnixNano == 0 { series.startTimeUnixNano = start }
        } else {
            // A cumulative point replaces the value; a start time that moved forward is a reset, which replacing
            // handles too.
            series.startTimeUnixNano = start
        }
        series.timeUnixNano = time
        return isGap
    }

    mutating func visitNumberDataPoint(_ point: OTLPNumberDataPoint, _ context: OTLPMetricContext) {
        result.droppedExemplars += point.exemplarCount
        let isMonotonic = context.metric.kind == .sum && context.metric.isMonotonic
        let isGauge = context.metric.kind == .gauge
        withSeries(point.attributes) { (series, isDelta, isNew, _, _) throws(OTLPRejection) in
            guard let value = point.value?.doubleValue else {
                throw OTLPRejection(.invalidValue, "a number point without a value")
            }
            if point.flags.contains(.noRecordedValue) { return false }
            if isMonotonic, !(value >= 0) {
                throw OTLPRejection(.invalidValue, "a monotonic sum's point must not be negative (\(value))")
            }
            if isDelta && !isGauge {
                series.value += value
            } else {
                series.value = value
            }
            return Self.advance(
                &series, start: point.startTimeUnixNano, time: point.timeUnixNano, isDelta: isDelta, isNew: isNew)
        }
    }

    mutating func visitHistogramDataPoint(_ point: OTLPHistogramDataPoint, _ context: OTLPMetricContext) {
        result.droppedExemplars += point.exemplarCount
        let bounds = Array(point.explicitBounds)
        let counts = Array(point.bucketCounts)
        withSeries(point.attributes, upperBounds: bounds) {
            (series, isDelta, isNew, familyBounds, familyName) throws(OTLPRejection) in
            if point.flags.contains(.noRecordedValue) { return false }
            guard bounds == familyBounds else {
                throw OTLPRejection(
                    .bucketMismatch,
                    "the point's \(bounds.count) bounds differ from the \(familyBounds.count) bounds of "
                        + "'\(familyName)'")
            }
            guard counts.isEmpty ? bounds.isEmpty : counts.count == bounds.count + 1 else {
                throw OTLPRejection(
                    .invalidValue, "\(counts.count) bucket counts for \(bounds.count) bounds")
            }
            let finite = counts.isEmpty ? [] : Array(counts.dropLast())
            let total = counts.isEmpty ? point.count : counts.reduce(0, &+)
            guard total == point.count else {
                throw OTLPRejection(.invalidValue, "the bucket counts add up to \(total), the count is \(point.count)")
            }
            Self.record(
                &series, buckets: finite, count: point.count, sum: point.sum ?? 0, isDelta: isDelta)
            return Self.advance(
                &series, start: point.startTimeUnixNano, time: point.timeUnixNano, isDelta: isDelta, isNew: isNew)
        }
    }

    mutating func visitExponentialHistogramDataPoint(
        _ point: OTLPExponentialHistogramDataPoint, _ context: OTLPMetricContext
    ) {
        result.droppedExemplars += point.exemplarCount
        let explicit = ExponentialHistogramConversion.explicitBuckets(
            scale: point.scale, zeroCount: point.zeroCount, zeroThreshold: point.zeroThreshold,
            positive: .init(point.positive), negative: .init(point.negative))
        withSeries(point.attributes, upperBounds: explicit.upperBounds) {
            (series, isDelta, isNew, familyBounds, _) throws(OTLPRejection) in
            if point.flags.contains(.noRecordedValue) { return false }
            let count = max(point.count, explicit.cumulativeCounts.last ?? 0)
            // Onto the family's bounds (those of its first point): each bound counts the observations at or below
            // the largest bound of this point that does not exceed it.
            var finite: [UInt64] = []
            finite.reserveCapacity(familyBounds.count)
            var previous: UInt64 = 0
            var position = -1
            for bound in familyBounds {
                while position + 1 < explicit.upperBounds.count, explicit.upperBounds[position + 1] <= bound {
                    position += 1
                }
                let cumulative = position >= 0 ? explicit.cumulativeCounts[position] : 0
                finite.append(cumulative &- previous)
                previous = cumulative
            }
            Self.record(&series, buckets: finite, count: count, sum: point.sum ?? 0, isDelta: isDelta)
            return Self.advance(
                &series, start: point.startTimeUnixNano, time: point.timeUnixNano, isDelta: isDelta, isNew: isNew)
        }
    }

    mutating func visitSummaryDataPoint(_ point: OTLPSummaryDataPoint, _ context: OTLPMetricContext) {
        withSeries(point.attributes) { (series, _, isNew, _, _) throws(OTLPRejection) in
            if point.flags.contains(.noRecordedValue) { return false }
            let quantiles = point.quantileValues.sorted { $0.quantile < $1.quantile }
            guard quantiles.allSatisfy({ $0.quantile >= 0 && $0.quantile <= 1 }) else {
                throw OTLPRejection(.invalidValue, "a quantile outside [0, 1]")
            }
            series.value = point.sum
            series.count = point.count
            series.quantiles = quantiles.map(\.quantile)
            series.quantileValues = quantiles.map(\.value)
            return Self.advance(
                &series, start: point.startTimeUnixNano, time: point.timeUnixNano, isDelta: false, isNew: isNew)
        }
    }

    private static func record(
        _ series: inout OTLPSeries, buckets: [UInt64], count: UInt64, sum: Double, isDelta: Bool
    ) {
        if isDelta {
            if series.bucketCounts.count != buckets.count {
                series.bucketCounts = [UInt64](repeating: 0, count: buckets.count)
            }
            for index in buckets.indices { series.bucketCounts[index] &+= buckets[index] }
            series.count &+= count
            series.value += sum
        } else {
            series.bucketCounts = buckets
            series.count = count
            series.value = sum
        }
    }
}
