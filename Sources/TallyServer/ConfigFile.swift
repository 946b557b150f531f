import MetricsCore

/// The `--config.file` contents: how pushed metrics are exposed and bounded, in the spirit of the seed's
/// OpenTelemetry Views.
///
/// ```yaml
/// push:
///   cardinality_limit: 2000      # label sets per metric before the overflow series (OpenTelemetry's default)
///   max_series: 250000           # pushed series in all; lines that would add more are refused
///   ttl: 0s                      # default time to live of pushed series; 0 keeps them
/// rules:                         # the first rule whose match selects a metric applies
///   - match: "crypto_*_duration_seconds"
///     type: histogram            # select only metrics of this type: counter, gauge, histogram or untyped
///     help: "Processing time."
///     buckets: [0.01, 0.1, 1, 10]
///     ttl: 15m
///     cardinality_limit: 5000
///     keep_labels: [operation, stage, status, symbol]
///   - match: "debug_*"
///     drop: true
/// ```
public struct TallyConfiguration: Equatable, Sendable {
    /// The view rules with the default cardinality limit.
    public var views: ViewSet
    /// The most pushed series stored in all.
    public var maxPushedSeries: Int
    /// The time to live of pushed series no rule gives one; nil keeps them.
    public var defaultTimeToLiveSeconds: Double?

    public init(views: ViewSet = ViewSet(), maxPushedSeries: Int = 250_000, defaultTimeToLiveSeconds: Double? = nil) {
        self.views = views
        self.maxPushedSeries = maxPushedSeries
        self.defaultTimeToLiveSeconds = defaultTimeToLiveSeconds
    }

    /// Reads and validates a configuration file.
    public static func load(path: String) throws(ConfigurationError) -> TallyConfiguration {
        let bytes: [UInt8]
        do {
            bytes = try readWholeFile(path)
        } catch {
            throw ConfigurationError(file: path, line: nil, message: "cannot read: \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError(file: path, line: nil, message: "not valid UTF-8")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses and validates configuration text; `file` names it in errors.
    public static func parse(yaml: String, file: String) throws(ConfigurationError) -> TallyConfiguration {
        let root: YAMLNode?
        do {
            root = try YAMLDocument.load(yaml)
        } catch {
            throw ConfigurationError(file: file, line: error.line, message: "invalid YAML: \(error.message)")
        }
        var configuration = TallyConfiguration()
        guard let root else { return configuration }
        let reader = NodeReader(file: file)
        let top = try reader.mapping(root, allowedKeys: ["push", "rules"], context: "the configuration")
        if let push = top["push"] {
            let fields = try reader.mapping(
                push, allowedKeys: ["cardinality_limit", "max_series", "ttl"], context: "push")
            if let limit = fields["cardinality_limit"] {
                configuration.views.defaultCardinalityLimit = try reader.positiveInteger(limit, "cardinality_limit")
            }
            if let maxSeries = fields["max_series"] {
                configuration.maxPushedSeries = try reader.positiveInteger(maxSeries, "max_series")
            }
            if let ttl = fields["ttl"] {
                configuration.defaultTimeToLiveSeconds = try reader.timeToLive(ttl)
            }
        }
        if let rules = top["rules"] {
            guard case .sequence(let sequence, _) = rules else {
                throw reader.error(rules, "rules must be a list")
            }
            configuration.views.rules = try sequence.enumerated().map { (index, node) throws(ConfigurationError) in
                try reader.rule(node, number: index + 1)
            }
        }
        return configuration
    }
}

/// A configuration problem, located by file and line when the YAML gives one.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// Walks the YAML node tree, turning every surprise into a located error.
private struct NodeReader {
    let file: String

    func error(_ node: YAMLNode, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node.line, message: message)
    }

    func mapping(
        _ node: YAMLNode, allowedKeys: Set<String>, context: String
    ) throws(ConfigurationError)
        -> [String: YAMLNode]
    {
        guard case .mapping(let pairs, _) = node else { throw error(node, "\(context) must be a mapping") }
        var fields: [String: YAMLNode] = [:]
        for (key, value) in pairs {
            guard let name = key.text else { throw error(key, "keys in \(context) must be strings") }
            guard allowedKeys.contains(name) else {
                let known = allowedKeys.sorted().joined(separator: ", ")
                throw error(key, "unknown key \"\(name)\" in \(context) (known: \(known))")
            }
            guard fields[name] == nil else { throw error(key, "duplicate key \"\(name)\" in \(context)") }
            fields[name] = value
        }
        return fields
    }

    func string(_ node: YAMLNode, _ field: String) throws(ConfigurationError) -> String {
        guard let text = node.text else { throw error(node, "\(field) must be a string") }
        return text
    }

    func positiveInteger(_ node: YAMLNode, _ field: String) throws(ConfigurationError) -> Int {
        guard let value = node.integer, value > 0 else { throw error(node, "\(field) must be a positive integer") }
        return value
    }

    func bool(_ node: YAMLNode, _ field: String) throws(ConfigurationError) -> Bool {
        guard let value = node.boolean else { throw error(node, "\(field) must be true or false") }
        return value
    }

    /// A Prometheus-style duration; zero means "keep forever", so it becomes nil.
    func timeToLive(_ node: YAMLNode) throws(ConfigurationError) -> Double? {
        let text = try string(node, "ttl")
        guard let seconds = parseDuration(text) else {
            throw error(node, "ttl \"\(text)\" is not a duration like 30s, 15m, 1h30m or 0")
        }
        return seconds > 0 ? seconds : nil
    }

    func labelNames(_ node: YAMLNode, _ field: String) throws(ConfigurationError) -> Set<String> {
        guard case .sequence(let sequence, _) = node else {
            throw error(node, "\(field) must be a list of label names")
        }
        var names = Set<String>()
        for item in sequence {
            let name = try string(item, field)
            guard MetricNaming.isValidLabelName(name) else { throw error(item, "invalid label name \"\(name)\"") }
            names.insert(name)
        }
        return names
    }

    func rule(_ node: YAMLNode, number: Int) throws(ConfigurationError) -> ViewRule {
        let context = "rule \(number)"
        let fields = try mapping(
            node,
            allowedKeys: [
                "match", "type", "drop", "rename", "help", "buckets", "ttl", "cardinality_limit", "keep_labels",
                "drop_labels",
            ], context: context)
        guard let match = fields["match"] else { throw error(node, "\(context) needs a match pattern") }
        var rule = ViewRule(pattern: NamePattern(try string(match, "match")))
        if let type = fields["type"] {
            let name = try string(type, "type")
            guard let metricType = MetricType(rawValue: name), [.counter, .gauge, .histogram].contains(metricType)
            else {
                throw error(type, "type \"\(name)\" is not counter, gauge or histogram")
            }
            rule.type = metricType
        }
        if let drop = fields["drop"] { rule.drop = try bool(drop, "drop") }
        if let rename = fields["rename"] {
            let name = try string(rename, "rename")
            guard MetricNaming.isValidMetricName(name) else { throw error(rename, "invalid metric name \"\(name)\"") }
            rule.rename = name
        }
        if let help = fields["help"] { rule.help = try string(help, "help") }
        if let buckets = fields["buckets"] {
            guard case .sequence(let sequence, _) = buckets else {
                throw error(buckets, "buckets must be a list of numbers")
            }
            var bounds: [Double] = []
            for item in sequence {
                guard let value = item.number else {
                    throw error(item, "bucket boundary must be a number")
                }
                bounds.append(value)
            }
            do {
                try HistogramBuckets.validate(bounds)
            } catch {
                throw self.error(buckets, String(describing: error))
            }
            rule.buckets = bounds
        }
        if let ttl = fields["ttl"] { rule.timeToLiveSeconds = try timeToLive(ttl) }
        if let limit = fields["cardinality_limit"] {
            rule.cardinalityLimit = try positiveInteger(limit, "cardinality_limit")
        }
        if let keep = fields["keep_labels"] { rule.allowedLabels = try labelNames(keep, "keep_labels") }
        if let drop = fields["drop_labels"] { rule.excludedLabels = try labelNames(drop, "drop_labels") }
        let otherSettings = Set(fields.keys).subtracting(["match", "type", "drop"])
        if rule.drop, !otherSettings.isEmpty {
            throw error(
                node,
                "\(context) drops the metric, so its other settings (\(otherSettings.sorted().joined(separator: ", "))) "
                    + "would have no effect")
        }
        return rule
    }
}

/// Parses a Prometheus-style duration (`1h30m`, `15m`, `30s`, `500ms`, `0`) into seconds.
public func parseDuration(_ text: String) -> Double? {
    if text == "0" { return 0 }
    let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800), ("y", 31_536_000),
    ]
    var remaining = Substring(text)
    var total = 0.0
    guard !remaining.isEmpty else { return nil }
    while !remaining.isEmpty {
        let digits = remaining.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let value = Double(digits) else { return nil }
        remaining = remaining.dropFirst(digits.count)
        guard let unit = units.first(where: { remaining.hasPrefix($0.suffix) }) else { return nil }
        remaining = remaining.dropFirst(unit.suffix.count)
        total += value * unit.seconds
    }
    return total
}
