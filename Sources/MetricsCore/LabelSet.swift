import Glibc

/// One label of a series: a Prometheus label name and its value.
public struct Label: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An immutable, canonical set of labels identifying one series of a metric family.
///
/// Labels are sorted by name, names are unique, and the exposition form `a="x",b="y"` is rendered once at
/// creation. Label-value escaping is the same in Prometheus text 0.0.4 and OpenMetrics 1.0 (`\\`, `\"`, `\n`), so
/// the encoders of both formats copy ``encoded`` verbatim instead of escaping every value on every scrape.
/// Equality and hashing use the encoded bytes, which are injective because names are sorted and unique.
public final class LabelSet: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The labels, sorted by name.
    public let labels: [Label]
    /// The labels as they appear between the braces of an exposition line; empty for no labels.
    public let encoded: [UInt8]
    private let precomputedHash: Int

    /// The label set of a series without labels.
    public static let empty = LabelSet(sortedUniqueLabels: [])

    /// Creates a label set from labels in any order. When a name repeats, the last value wins.
    ///
    /// Names must be valid label names (see ``MetricNaming/isValidLabelName(_:)``); callers that take names from
    /// outside sanitize them first.
    public convenience init(_ labels: [Label]) {
        var sorted = labels
        // A stable sort keeps the input order among equal names, so "last wins" is well defined.
        sorted = sorted.enumerated().sorted { lhs, rhs in
            let order = compareUTF8(lhs.element.name, rhs.element.name)
            return order != 0 ? order < 0 : lhs.offset < rhs.offset
        }.map(\.element)
        var unique: [Label] = []
        unique.reserveCapacity(sorted.count)
        for label in sorted {
            if let last = unique.last, last.name == label.name {
                unique[unique.count - 1] = label
            } else {
                unique.append(label)
            }
        }
        self.init(sortedUniqueLabels: unique)
    }

    /// Creates a label set from name/value pairs in any order.
    public convenience init(_ pairs: KeyValuePairs<String, String>) {
        self.init(pairs.map { Label($0.key, $0.value) })
    }

    /// Creates a label set from labels already sorted by name with unique names (checked in debug builds).
    public init(sortedUniqueLabels labels: [Label]) {
        assert(zip(labels, labels.dropFirst()).allSatisfy { compareUTF8($0.name, $1.name) < 0 })
        self.labels = labels
        var bytes: [UInt8] = []
        for (index, label) in labels.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: label.name.utf8)
            bytes.append(UInt8(ascii: "="))
            bytes.append(UInt8(ascii: "\""))
            appendEscapedLabelValue(label.value, to: &bytes)
            bytes.append(UInt8(ascii: "\""))
        }
        self.encoded = bytes
        var hasher = Hasher()
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        self.precomputedHash = hasher.finalize()
    }

    /// The value of the label with this name, if present.
    public subscript(name: String) -> String? {
        labels.first { $0.name == name }?.value
    }

    /// The number of labels.
    public var count: Int { labels.count }

    /// A copy with one more label (replacing a label of the same name).
    public func adding(_ label: Label) -> LabelSet {
        LabelSet(labels + [label])
    }

    /// A copy keeping only the labels whose names satisfy `isIncluded`.
    public func filter(_ isIncluded: (String) -> Bool) -> LabelSet {
        let kept = labels.filter { isIncluded($0.name) }
        return kept.count == labels.count ? self : LabelSet(sortedUniqueLabels: kept)
    }

    public var description: String {
        "{" + String(decoding: encoded, as: UTF8.self) + "}"
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(precomputedHash)
    }

    public static func == (lhs: LabelSet, rhs: LabelSet) -> Bool {
        lhs === rhs || (lhs.precomputedHash == rhs.precomputedHash && lhs.encoded == rhs.encoded)
    }

    /// Orders label sets label by label, comparing names and then values by their UTF-8 bytes, so that series of a
    /// family are exposed in a stable order that does not depend on Unicode collation.
    public static func < (lhs: LabelSet, rhs: LabelSet) -> Bool {
        for (left, right) in zip(lhs.labels, rhs.labels) {
            let byName = compareUTF8(left.name, right.name)
            if byName != 0 { return byName < 0 }
            let byValue = compareUTF8(left.value, right.value)
            if byValue != 0 { return byValue < 0 }
        }
        return lhs.labels.count < rhs.labels.count
    }
}

/// Appends a label value escaped for the exposition formats: backslash, double quote and line feed.
public func appendEscapedLabelValue(_ value: String, to bytes: inout [UInt8]) {
    for byte in value.utf8 {
        switch byte {
        case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        default: bytes.append(byte)
        }
    }
}

/// Compares two strings by their UTF-8 bytes: negative, zero or positive like `memcmp`.
@usableFromInline
func compareUTF8(_ lhs: String, _ rhs: String) -> Int {
    var left = lhs
    var right = rhs
    return left.withUTF8 { leftBytes in
        right.withUTF8 { rightBytes in
            let common = min(leftBytes.count, rightBytes.count)
            if common > 0, let leftBase = leftBytes.baseAddress, let rightBase = rightBytes.baseAddress {
                let order = memcmp(leftBase, rightBase, common)
                if order != 0 { return Int(order) }
            }
            return leftBytes.count - rightBytes.count
        }
    }
}
