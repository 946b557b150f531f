/// A glob over metric names: `*` matches any run of characters, `?` one character, everything else itself.
public struct NamePattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    private let bytes: [UInt8]

    public init(_ text: String) {
        self.text = text
        self.bytes = Array(text.utf8)
    }

    /// Whether `name` matches the whole pattern.
    public func matches(_ name: String) -> Bool {
        let subject = Array(name.utf8)
        var patternIndex = 0
        var subjectIndex = 0
        var starPattern = -1
        var starSubject = 0
        while subjectIndex < subject.count {
            if patternIndex < bytes.count,
                bytes[patternIndex] == UInt8(ascii: "?") || bytes[patternIndex] == subject[subjectIndex]
            {
                patternIndex += 1
                subjectIndex += 1
            } else if patternIndex < bytes.count, bytes[patternIndex] == UInt8(ascii: "*") {
                starPattern = patternIndex
                starSubject = subjectIndex
                patternIndex += 1
            } else if starPattern >= 0 {
                patternIndex = starPattern + 1
                starSubject += 1
                subjectIndex = starSubject
            } else {
                return false
            }
        }
        while patternIndex < bytes.count, bytes[patternIndex] == UInt8(ascii: "*") { patternIndex += 1 }
        return patternIndex == bytes.count
    }

    public var description: String { text }
}

/// A rule that changes how the metrics it selects are exposed, in the spirit of OpenTelemetry Views: selected by a
/// name pattern (and optionally a type), it can drop them, rename them, set their help text and histogram buckets,
/// keep only some labels, bound their cardinality and give their series a time to live.
public struct ViewRule: Sendable, Equatable {
    /// Which names the rule selects.
    public var pattern: NamePattern
    /// When set, the rule selects only metrics of this type.
    public var type: MetricType?
    /// Drop the selected metrics entirely (OpenTelemetry's Drop aggregation).
    public var drop: Bool
    /// A new name for the selected metric (the pattern should then select one metric).
    public var rename: String?
    public var help: String?
    /// Explicit histogram bucket boundaries.
    public var buckets: [Double]?
    /// When set, only these label names are kept (OpenTelemetry's attribute_keys allow-list).
    public var allowedLabels: Set<String>?
    /// Label names to remove.
    public var excludedLabels: Set<String>
    /// The most label sets stored before measurements overflow (OpenTelemetry's aggregation_cardinality_limit).
    public var cardinalityLimit: Int?
    /// Series not updated for this many seconds are removed (pushed metrics only).
    public var timeToLiveSeconds: Double?

    public init(
        pattern: NamePattern, type: MetricType? = nil, drop: Bool = false, rename: String? = nil,
        help: String? = nil, buckets: [Double]? = nil, allowedLabels: Set<String>? = nil,
        excludedLabels: Set<String> = [], cardinalityLimit: Int? = nil, timeToLiveSeconds: Double? = nil
    ) {
        self.pattern = pattern
        self.type = type
        self.drop = drop
        self.rename = rename
        self.help = help
        self.buckets = buckets
        self.allowedLabels = allowedLabels
        self.excludedLabels = excludedLabels
        self.cardinalityLimit = cardinalityLimit
        self.timeToLiveSeconds = timeToLiveSeconds
    }

    /// Whether this rule selects a metric known by any of `names` and of type `type`.
    public func selects(names: [String], type: MetricType) -> Bool {
        if let selectedType = self.type, selectedType != type { return false }
        return names.contains(where: pattern.matches)
    }

    /// Whether a label filter is configured.
    public var filtersLabels: Bool { allowedLabels != nil || !excludedLabels.isEmpty }

    /// Applies the label filter to a label set.
    public func filteredLabels(_ labels: LabelSet) -> LabelSet {
        guard filtersLabels else { return labels }
        return labels.filter { name in
            (allowedLabels?.contains(name) ?? true) && !excludedLabels.contains(name)
        }
    }
}

/// An ordered list of view rules; the first rule that selects a metric applies to it.
public struct ViewSet: Sendable, Equatable {
    public var rules: [ViewRule]
    /// The cardinality limit of metrics no rule limits.
    public var defaultCardinalityLimit: Int

    public init(rules: [ViewRule] = [], defaultCardinalityLimit: Int = 2000) {
        self.rules = rules
        self.defaultCardinalityLimit = defaultCardinalityLimit
    }

    /// The rule for a metric known by `names` (for example the name it was pushed under and its exposed name).
    public func rule(forNames names: [String], type: MetricType) -> ViewRule? {
        rules.first { $0.selects(names: names, type: type) }
    }
}
