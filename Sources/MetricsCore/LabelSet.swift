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
/// Labels are sorted by name, names are unique, and only the exposition form `a="x",b="y"` is stored, in one
/// allocation with its hash. Label-value escaping is the same in Prometheus text 0.0.4 and OpenMetrics 1.0 (`\\`,
/// `\"`, `\n`), so the encoders of both formats copy the encoded bytes verbatim instead of escaping every value on
/// every scrape, and a store of 100,000 series keeps about 80 bytes per label set. ``labels`` decodes them when
/// asked. Equality and hashing use the encoded bytes, which are injective because names are sorted and unique.
/// Copies share the storage.
///
/// `@unchecked Sendable`: the storage is a `ManagedBuffer`, which the standard library does not mark `Sendable`;
/// its bytes are written once, before the storage is shared, and only read afterwards.
public struct LabelSet: @unchecked Sendable, Hashable, Comparable, CustomStringConvertible {
    @usableFromInline let storage: LabelSetStorage

    /// The label set of a series without labels.
    public static let empty = LabelSet(sortedUniqueLabels: [])

    /// Marks a free slot in a ``SeriesTable``; told apart by identity, never exposed.
    @usableFromInline static let vacant = LabelSet(sortedUniqueLabels: [])

    /// Creates a label set from labels in any order. When a name repeats, the last value wins.
    ///
    /// Names must be valid label names (see ``MetricNaming/isValidLabelName(_:)``); callers that take names from
    /// outside sanitize them first.
    public init(_ labels: [Label]) {
        // A stable sort keeps the input order among equal names, so "last wins" is well defined.
        let sorted = labels.enumerated().sorted { lhs, rhs in
            let order = compareUTF8(lhs.element.name, rhs.element.name)
            return order != 0 ? order < 0 : lhs.offset < rhs.offset
        }.map { $0.element }
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
    public init(_ pairs: KeyValuePairs<String, String>) {
        self.init(pairs.map { Label($0.key, $0.value) })
    }

    /// Creates a label set from labels already sorted by name with unique names (checked in debug builds).
    public init(sortedUniqueLabels labels: [Label]) {
        assert(zip(labels, labels.dropFirst()).allSatisfy { compareUTF8($0.name, $1.name) < 0 })
        var bytes: [UInt8] = []
        for (index, label) in labels.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: label.name.utf8)
            bytes.append(UInt8(ascii: "="))
            bytes.append(UInt8(ascii: "\""))
            appendEscapedLabelValue(label.value, to: &bytes)
            bytes.append(UInt8(ascii: "\""))
        }
        storage = LabelSetStorage.make(encoded: bytes, labelCount: labels.count)
    }

    /// The number of labels.
    public var count: Int { header.labelCount }

    /// The length of the encoded form.
    @inlinable public var encodedCount: Int { header.byteCount }

    /// Calls `body` with the labels as they appear between the braces of an exposition line (empty for no labels).
    /// The bytes are valid only during the call; this is the form for hot paths.
    @inlinable public func withEncodedBytes<Result>(
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Result
    ) rethrows
        -> Result
    {
        try storage.withUnsafeMutablePointerToElements { elements in
            try body(UnsafeBufferPointer(start: elements, count: header.byteCount))
        }
    }

    /// A copy of the encoded form (see ``withEncodedBytes(_:)``).
    public var encoded: [UInt8] {
        withEncodedBytes { Array($0) }
    }

    /// A hash of the encoded form, computed once (with the process's random seed).
    @usableFromInline var precomputedHash: Int { header.hash }

    /// The storage's header, read through a pointer. It never changes once made, and reading `ManagedBuffer.header`
    /// (a class's stored `var`) costs a dynamic exclusivity check each time: several per sample when encoding.
    @inlinable var header: LabelSetStorage.Header {
        storage.withUnsafeMutablePointerToHeader { $0.pointee }
    }

    /// Whether both share one storage.
    @inlinable func isIdentical(to other: LabelSet) -> Bool {
        storage === other.storage
    }

    /// The labels, sorted by name, decoded from the encoded form.
    public var labels: [Label] {
        var decoded: [Label] = []
        decoded.reserveCapacity(count)
        withEncodedBytes { bytes in
            var cursor = EncodedLabelCursor(bytes)
            while let name = cursor.nextName() {
                var value: [UInt8] = []
                while let byte = cursor.nextValueByte() { value.append(byte) }
                decoded.append(
                    Label(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            }
        }
        return decoded
    }

    /// The value of the label with this name, if present.
    public subscript(name: String) -> String? {
        labels.first { $0.name == name }?.value
    }

    /// A copy with one more label (replacing a label of the same name).
    public func adding(_ label: Label) -> LabelSet {
        LabelSet(labels + [label])
    }

    /// A copy keeping only the labels whose names satisfy `isIncluded`.
    public func filter(_ isIncluded: (String) -> Bool) -> LabelSet {
        let all = labels
        let kept = all.filter { isIncluded($0.name) }
        return kept.count == all.count ? self : LabelSet(sortedUniqueLabels: kept)
    }

    public var description: String {
        withEncodedBytes { "{" + String(decoding: $0, as: UTF8.self) + "}" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(precomputedHash)
    }

    @inlinable public static func == (lhs: LabelSet, rhs: LabelSet) -> Bool {
        if lhs.storage === rhs.storage { return true }
        guard lhs.precomputedHash == rhs.precomputedHash, lhs.encodedCount == rhs.encodedCount else { return false }
        return lhs.withEncodedBytes { left in
            rhs.withEncodedBytes { right in
                left.count == 0 || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
            }
        }
    }

    /// Orders label sets label by label, comparing names and then values by their (unescaped) UTF-8 bytes, so that
    /// series of a family are exposed in a stable order that does not depend on Unicode collation. Works on the
    /// encoded bytes directly, without decoding into strings.
    public static func < (lhs: LabelSet, rhs: LabelSet) -> Bool {
        lhs.withEncodedBytes { left in
            rhs.withEncodedBytes { right in
                var leftCursor = EncodedLabelCursor(left)
                var rightCursor = EncodedLabelCursor(right)
                while true {
                    guard let leftName = leftCursor.nextName() else { return rightCursor.nextName() != nil }
                    guard let rightName = rightCursor.nextName() else { return false }
                    let byName = compareBytes(leftName, rightName)
                    if byName != 0 { return byName < 0 }
                    while true {
                        let leftByte = leftCursor.nextValueByte()
                        let rightByte = rightCursor.nextValueByte()
                        switch (leftByte, rightByte) {
                        case (nil, nil): break
                        case (nil, _?): return true
                        case (_?, nil): return false
                        case (let l?, let r?) where l != r: return l < r
                        default: continue
                        }
                        break
                    }
                }
            }
        }
    }
}

/// The storage of a ``LabelSet``: a header and the encoded bytes in one allocation, written once in
/// ``make(encoded:labelCount:)``.
public final class LabelSetStorage: ManagedBuffer<LabelSetStorage.Header, UInt8> {
    public struct Header {
        @usableFromInline let byteCount: Int
        let labelCount: Int
        let hash: Int
    }

    static func make(encoded bytes: [UInt8], labelCount: Int) -> LabelSetStorage {
        var hasher = Hasher()
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        let hash = hasher.finalize()
        let storage = create(minimumCapacity: bytes.count) { _ in
            Header(byteCount: bytes.count, labelCount: labelCount, hash: hash)
        }
        storage.withUnsafeMutablePointerToElements { elements in
            bytes.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { elements.initialize(from: base, count: source.count) }
            }
        }
        return unsafeDowncast(storage, to: LabelSetStorage.self)
    }
}

/// Walks the encoded form `a="x",b="y\"z"` label by label: a name, then the unescaped bytes of its value.
private struct EncodedLabelCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The next label's name, leaving the cursor at the start of its value; nil after the last label.
    mutating func nextName() -> UnsafeBufferPointer<UInt8>? {
        if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1 }
        guard index < bytes.count else { return nil }
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "=") { index += 1 }
        let name = UnsafeBufferPointer(rebasing: bytes[start..<index])
        index += 2  // `="`
        return name
    }

    /// The next unescaped byte of the current value; nil at its closing quote (which it steps over).
    mutating func nextValueByte() -> UInt8? {
        guard index < bytes.count else { return nil }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""):
            return nil
        case UInt8(ascii: "\\") where index < bytes.count:
            let escaped = bytes[index]
            index += 1
            return escaped == UInt8(ascii: "n") ? UInt8(ascii: "\n") : escaped
        default:
            return byte
        }
    }
}

/// Compares two byte buffers like `memcmp`, the shorter first on a common prefix.
private func compareBytes(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Int {
    let common = min(lhs.count, rhs.count)
    if common > 0, let left = lhs.baseAddress, let right = rhs.baseAddress {
        let order = memcmp(left, right, common)
        if order != 0 { return Int(order) }
    }
    return lhs.count - rhs.count
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
