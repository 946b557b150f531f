/// OpenTelemetry names in Prometheus form, as Prometheus' own OTLP receiver writes them with its default
/// translation strategy `UnderscoreEscapingWithSuffixes` (the `otlptranslator` Go module; the OpenTelemetry
/// Collector's Prometheus exporter agrees):
///
/// - metric names: split into words at every character outside `[a-zA-Z0-9:]` (`_` included, so runs collapse
///   and leading and trailing ones go), the unit's words appended unless already one of the words, `total`
///   appended to monotonic sums and `ratio` to gauges of unit `1` (moved to the end when already present), joined
///   with `_`, and `_` put in front of a leading digit;
/// - units: `s` → `seconds`, `By` → `bytes`, ... (see ``unitName(_:)``), `a/b` → `a_per_b` with `b` as a singular
///   time word, `{...}` annotations dropped, `1` dropped;
/// - label names: every character outside `[a-zA-Z0-9_]` replaced by `_` (one per character), `key_` put in front
///   of a leading digit; a leading `_` is kept;
/// - `job` from `service.namespace/service.name` (or `service.name`), `instance` from `service.instance.id`.
public enum PrometheusNaming {
    /// What an OTLP metric is, as far as naming goes.
    public enum MetricType: Hashable, Sendable {
        case gauge
        case monotonicCounter
        case nonMonotonicCounter
        case histogram
        case exponentialHistogram
        case summary
        case unknown

        /// The type of a decoded metric.
        public init(_ metric: OTLPMetric) {
            switch metric.kind {
            case .gauge: self = .gauge
            case .sum: self = metric.isMonotonic ? .monotonicCounter : .nonMonotonicCounter
            case .histogram: self = .histogram
            case .exponentialHistogram: self = .exponentialHistogram
            case .summary: self = .summary
            case .none: self = .unknown
            }
        }
    }

    /// The OpenTelemetry units with a Prometheus word of their own.
    static let units: [String: String] = [
        "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds", "us": "microseconds",
        "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes", "GiBy": "gibibytes",
        "TiBy": "tibibytes", "KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes", "TBy": "terabytes",
        "m": "meters", "V": "volts", "A": "amperes", "J": "joules", "W": "watts", "g": "grams", "Cel": "celsius",
        "Hz": "hertz", "1": "", "%": "percent",
    ]

    /// The units after `/`, in the singular.
    static let perUnits: [String: String] = [
        "s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year",
    ]

    private static func isMetricNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ":": true
        default: false
        }
    }

    private static func isLabelNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_": true
        default: false
        }
    }

    /// The words of a name: the runs of `[a-zA-Z0-9:]`.
    private static func words(_ text: String) -> [String] {
        var words: [String] = []
        var word = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isMetricNameCharacter(scalar) {
                word.append(scalar)
            } else if !word.isEmpty {
                words.append(String(word))
                word = String.UnicodeScalarView()
            }
        }
        if !word.isEmpty { words.append(String(word)) }
        return words
    }

    private static func trimmingWhitespace(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }

    /// The unit's main and `per_` parts, mapped but not cleaned up.
    private static func unitSuffixes(_ unit: String) -> (main: String, per: String) {
        let parts = unit.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        var main = ""
        var per = ""
        let mainUnit = trimmingWhitespace(parts[0])
        if !mainUnit.isEmpty && !mainUnit.contains(where: { $0 == "{" || $0 == "}" }) {
            main = units[String(mainUnit)] ?? String(mainUnit)
        }
        if parts.count > 1 && !parts[1].isEmpty {
            let perUnit = trimmingWhitespace(parts[1])
            if !perUnit.isEmpty && !perUnit.contains(where: { $0 == "{" || $0 == "}" }) {
                per = perUnits[String(perUnit)] ?? String(perUnit)
            }
            if !per.isEmpty { per = "per_" + per }
        }
        return (main, per)
    }

    /// Every character outside `[a-zA-Z0-9:]` replaced by `_`, runs of `_` collapsed, a leading `_` dropped.
    private static func cleanedUpUnit(_ unit: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in unit.unicodeScalars {
            let mapped: Unicode.Scalar = isMetricNameCharacter(scalar) ? scalar : "_"
            if mapped == "_" && result.last == "_" { continue }
            result.append(mapped)
        }
        if result.first == "_" { result.removeFirst() }
        return String(result)
    }

    /// The Prometheus name of a metric, or nil when nothing of it is left (a name of only special characters).
    public static func metricName(
        _ name: String, unit: String, type: MetricType, namespace: String = ""
    ) -> String? {
        var words = words(name)
        let (mainUnit, perUnit) = unitSuffixes(unit)
        var main = cleanedUpUnit(mainUnit)
        var per = cleanedUpUnit(perUnit)
        if words.contains(main) { main = "" }
        if per == "per_" {
            per = ""
        } else {
            if per.hasSuffix("_") { per.removeLast() }
            if words.contains(per) { per = "" }
        }
        if !per.isEmpty && main.hasSuffix("_") { main.removeLast() }
        if !main.isEmpty { words.append(main) }
        if !per.isEmpty { words.append(per) }
        if type == .monotonicCounter {
            words.removeAll { $0 == "total" }
            words.append("total")
        }
        if unit == "1" && type == .gauge {
            words.removeAll { $0 == "ratio" }
            words.append("ratio")
        }
        if !namespace.isEmpty { words.insert(namespace, at: 0) }
        var result = words.joined(separator: "_")
        if let first = result.utf8.first, first &- UInt8(ascii: "0") < 10 { result = "_" + result }
        guard !result.isEmpty else { return nil }
        guard result == name || result.utf8.contains(where: { $0 != UInt8(ascii: "_") }) else { return nil }
        return result
    }

    /// The Prometheus form of a unit, as `otlptranslator`'s `UnitNamer` writes it (`By/s` → `bytes_per_second`;
    /// empty for `1` and for annotations).
    public static func unitName(_ unit: String) -> String {
        let (mainUnit, perUnit) = unitSuffixes(unit)
        let main = cleanedUpUnit(mainUnit)
        let per = cleanedUpUnit(perUnit)
        var result =
            if !main.isEmpty && !per.isEmpty { main + "_" + per } else if !main.isEmpty { main } else { per }
        if result.hasPrefix("_") { result.removeFirst() }
        if result.hasSuffix("_") { result.removeLast() }
        return result
    }

    /// The Prometheus label name of an attribute key, or nil when the key is empty or only underscores are left.
    public static func labelName(_ key: String) -> String? {
        guard !key.isEmpty else { return nil }
        var result = String.UnicodeScalarView()
        for scalar in key.unicodeScalars { result.append(isLabelNameCharacter(scalar) ? scalar : "_") }
        var name = String(result)
        if let first = name.utf8.first, first &- UInt8(ascii: "0") < 10 { name = "key_" + name }
        guard name.utf8.contains(where: { $0 != UInt8(ascii: "_") }) else { return nil }
        return name
    }

    /// The `job` label of a resource: `service.namespace/service.name`, or `service.name` alone; nil without a
    /// service name.
    public static func job(serviceName: String?, serviceNamespace: String?) -> String? {
        guard let serviceName else { return nil }
        guard let serviceNamespace else { return serviceName }
        return serviceNamespace + "/" + serviceName
    }

    /// The `instance` label of a resource: its `service.instance.id`.
    public static func instance(serviceInstanceID: String?) -> String? { serviceInstanceID }
}
