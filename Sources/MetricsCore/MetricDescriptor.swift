/// The Prometheus type of a metric family.
public enum MetricType: String, Sendable, Hashable, CaseIterable {
    case counter
    case gauge
    case histogram
    /// A value whose kind its source does not say (OpenMetrics' `unknown`), as node_exporter exposes the counters of
    /// /proc/net/netstat.
    case untyped
}

/// What a metric family is called and how it is exposed.
///
/// ``name`` is the Prometheus family name: a counter's name has no `_total` (its samples get it), a name with a
/// unit ends in `_<unit>`. Descriptors are built once, at registration, by ``init(instrumentName:unit:type:help:)``
/// from OpenTelemetry-style instrument names and UCUM units, so that registration can refuse names that would
/// collide in the exposition.
public struct MetricDescriptor: Sendable, Hashable {
    /// The family name, valid under `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public let name: String
    public let type: MetricType
    /// The HELP text, unescaped.
    public let help: String
    /// The Prometheus unit word (`seconds`, `bytes`) that ``name`` ends with, or empty.
    public let unit: String

    /// Creates a descriptor from a Prometheus family name, checking it.
    ///
    /// - Parameter unit: a Prometheus unit word; the name must end with `_<unit>` when it is not empty.
    public init(name: String, type: MetricType, help: String, unit: String = "") throws(MetricsError) {
        guard MetricNaming.isValidMetricName(name) else { throw .invalidMetricName(name) }
        if !unit.isEmpty, !name.hasSuffix("_" + unit) {
            throw .unitNotSuffix(name: name, unit: unit)
        }
        if type == .counter, name.hasSuffix("_total") {
            throw .invalidMetricName(name + " (a counter family name must not end in _total)")
        }
        self.name = name
        self.type = type
        self.help = help
        self.unit = unit
    }

    /// Translates an OpenTelemetry instrument into its Prometheus family, as the OpenTelemetry Prometheus
    /// compatibility specification describes: characters outside `[a-zA-Z0-9_:]` become `_`, a leading digit gets a
    /// `_` in front, the unit word (`s` → `seconds`, `By` → `bytes`, ...) is appended unless the name already ends
    /// with it, and a counter's `_total` moves from the family name to its samples.
    public init(instrumentName: String, unit: String = "", type: MetricType, help: String) throws(MetricsError) {
        var name = MetricNaming.sanitizedMetricName(instrumentName)
        guard !name.isEmpty else { throw .invalidMetricName(instrumentName) }
        if type == .counter, name.hasSuffix("_total"), name.utf8.count > "_total".utf8.count {
            name.removeLast("_total".count)
        }
        let unitWord = MetricNaming.prometheusUnit(forUCUM: unit)
        if !unitWord.isEmpty, !name.hasSuffix("_" + unitWord), name != unitWord {
            name += "_" + unitWord
        }
        try self.init(name: name, type: type, help: help, unit: name.hasSuffix("_" + unitWord) ? unitWord : "")
    }

    /// The sample names this family writes, which no other family may also write or be called.
    public var reservedNames: [String] {
        switch type {
        case .counter: [name, name + "_total", name + "_created"]
        case .gauge, .untyped: [name]
        case .histogram: [name, name + "_bucket", name + "_sum", name + "_count", name + "_created"]
        }
    }
}

/// Errors of registration and configuration in the metrics core.
public enum MetricsError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidMetricName(String)
    case invalidLabelName(String)
    case unitNotSuffix(name: String, unit: String)
    /// Another family already writes one of the names this one needs.
    case conflict(name: String, existing: String)
    case invalidBuckets(String)

    public var description: String {
        switch self {
        case .invalidMetricName(let name): "invalid metric name \"\(name)\""
        case .invalidLabelName(let name): "invalid label name \"\(name)\""
        case .unitNotSuffix(let name, let unit): "metric name \"\(name)\" does not end with its unit \"_\(unit)\""
        case .conflict(let name, let existing): "metric \"\(name)\" conflicts with the registered \(existing)"
        case .invalidBuckets(let reason): "invalid histogram buckets: \(reason)"
        }
    }
}

/// Prometheus naming rules.
public enum MetricNaming {
    /// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isNameStart(first) || first == UInt8(ascii: ":") else { return false }
        return name.utf8.allSatisfy { isNameContinuation($0) || $0 == UInt8(ascii: ":") }
    }

    /// Whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` and is not reserved (`__` prefix).
    public static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isNameStart(first), !name.hasPrefix("__") else { return false }
        return name.utf8.allSatisfy(isNameContinuation)
    }

    /// Replaces every character outside `[a-zA-Z0-9_:]` by `_` and puts `_` before a leading digit.
    public static func sanitizedMetricName(_ name: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count + 1)
        if let first = name.utf8.first, isDigit(first) { bytes.append(UInt8(ascii: "_")) }
        for scalar in name.unicodeScalars {
            if scalar.isASCII, isNameContinuation(UInt8(scalar.value)) || scalar == ":" {
                bytes.append(UInt8(scalar.value))
            } else {
                bytes.append(UInt8(ascii: "_"))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The Prometheus unit word for a UCUM unit as OpenTelemetry uses them; empty for dimensionless units (`1`,
    /// `{packet}`) and for an empty unit. Unknown units are sanitized and used as they are.
    public static func prometheusUnit(forUCUM unit: String) -> String {
        if unit.isEmpty || unit == "1" || (unit.hasPrefix("{") && unit.hasSuffix("}")) { return "" }
        if let slash = unit.firstIndex(of: "/") {
            let numerator = prometheusUnit(forUCUM: String(unit[..<slash]))
            let denominator =
                perUnitWords[String(unit[unit.index(after: slash)...])]
                ?? prometheusUnit(forUCUM: String(unit[unit.index(after: slash)...]))
            if numerator.isEmpty { return denominator.isEmpty ? "" : "per_" + denominator }
            return denominator.isEmpty ? numerator : numerator + "_per_" + denominator
        }
        return unitWords[unit] ?? sanitizedMetricName(unit)
    }

    private static let unitWords: [String: String] = [
        "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds", "us": "microseconds",
        "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes", "GiBy": "gibibytes",
        "TiBy": "tibibytes", "KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes", "TBy": "terabytes",
        "m": "meters", "V": "volts", "A": "amperes", "J": "joules", "W": "watts", "g": "grams", "Cel": "celsius",
        "Hz": "hertz", "%": "percent",
    ]

    private static let perUnitWords: [String: String] = [
        "s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year",
    ]

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    @inline(__always) static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_")
    }

    @inline(__always) static func isNameContinuation(_ byte: UInt8) -> Bool {
        isNameStart(byte) || isDigit(byte)
    }
}
