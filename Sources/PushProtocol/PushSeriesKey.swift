/// One label of a pushed series: a sanitized label name and the tag's value as sent.
public struct PushLabel: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name)=\(value)" }
}

/// The canonical identity of a pushed series: the sanitized metric name and the labels made from the
/// DogStatsD tags, sorted by name. This is the second stage of reading a line (see ``PushLine``); it
/// allocates, so a store runs it only for name and tag bytes it has not seen before.
///
/// Rules (DESIGN "Push lines"):
/// - Name: every Unicode scalar outside `[a-zA-Z0-9_:]` becomes `_` (`crypto.data.processed` →
///   `crypto_data_processed`); a name that would start with a digit gets a leading `_`. Suffixes such as
///   `_total` or `_seconds` are the store's business, not added here.
/// - Tags: `key:value` entries separated by `,`. The value is everything after the first `:` (it may hold
///   more `:`), kept exactly as sent. One leading `#` on a key is dropped (some DogStatsD clients send
///   `#key:value`); then every scalar outside `[a-zA-Z0-9_]` becomes `_`, and a leading digit gets a `_`
///   in front.
/// - Refused: invalid UTF-8 in the name or the tags (`invalid_utf8`); an entry without `:` or with an
///   empty value, an empty entry (`a:1,,b:2`) included (`tag_without_value`); an empty key, or one that
///   sanitizes to a name starting with `__`, which Prometheus reserves (`invalid_tag_key`). An empty tags
///   field (`|#`) means no labels.
/// - A label name given twice (also after sanitizing, as `a.b` and `a_b`): the last entry wins.
/// - Label names the store keeps for itself (`le`, `quantile`, `otel_metric_overflow`) are not refused
///   here; the store decides about them.
public struct PushSeriesKey: Hashable, Sendable, CustomStringConvertible {
    /// The sanitized metric name, without any suffix.
    public var name: String
    /// The labels, sorted by name, each name once.
    public var labels: [PushLabel]

    public init(name: String, labels: [PushLabel]) {
        self.name = name
        self.labels = labels
    }

    /// Checks and canonicalizes the raw name and tag bytes of a line (``PushLine/nameBytes(in:)``,
    /// ``PushLine/tagBytes(in:)``).
    public init(name: UnsafeRawBufferPointer, tags: UnsafeRawBufferPointer) throws(PushRejection) {
        self.name = try Self.sanitizedName(name)
        self.labels = try Self.labels(fromTags: tags)
    }

    public var description: String {
        labels.isEmpty ? name : "\(name){\(labels.map(\.description).joined(separator: ","))}"
    }

    /// The metric name for `bytes` under the rules above; refuses invalid UTF-8 and an empty name.
    public static func sanitizedName(_ bytes: UnsafeRawBufferPointer) throws(PushRejection) -> String {
        guard !bytes.isEmpty else { throw PushRejection(.emptyName, "the metric name is empty") }
        return try sanitized(bytes, keepsColon: true)
    }

    /// The labels for the tag bytes after `|#` under the rules above, sorted by name, duplicates resolved
    /// (last wins).
    public static func labels(fromTags bytes: UnsafeRawBufferPointer) throws(PushRejection) -> [PushLabel] {
        guard !bytes.isEmpty else { return [] }
        var entries: [(label: PushLabel, position: Int)] = []
        var start = 0
        while start <= bytes.count {
            let end = bytes.firstOffset(of: UInt8(ascii: ","), in: start..<bytes.count) ?? bytes.count
            entries.append((try label(fromTag: UnsafeRawBufferPointer(rebasing: bytes[start..<end])), entries.count))
            start = end + 1
        }
        if entries.count == 1 { return [entries[0].label] }
        entries.sort { ($0.label.name, $0.position) < ($1.label.name, $1.position) }
        var labels: [PushLabel] = []
        labels.reserveCapacity(entries.count)
        for entry in entries {
            if let last = labels.last, last.name == entry.label.name {
                labels[labels.count - 1] = entry.label
            } else {
                labels.append(entry.label)
            }
        }
        return labels
    }

    /// One `key:value` entry.
    private static func label(fromTag tag: UnsafeRawBufferPointer) throws(PushRejection) -> PushLabel {
        guard let colon = tag.firstOffset(of: UInt8(ascii: ":"), in: 0..<tag.count), colon + 1 < tag.count else {
            throw PushRejection(.tagWithoutValue, "tag '\(PushRejection.excerpt(tag))' has no ':<value>'")
        }
        var keyStart = 0
        if colon > 0 && tag[0] == UInt8(ascii: "#") { keyStart = 1 }
        let key = UnsafeRawBufferPointer(rebasing: tag[keyStart..<colon])
        guard !key.isEmpty else {
            throw PushRejection(.invalidTagKey, "tag '\(PushRejection.excerpt(tag))' has an empty key")
        }
        let name = try sanitized(key, keepsColon: false)
        let reservedPrefix = name.utf8.count >= 2 && name.utf8.prefix(2).allSatisfy { $0 == UInt8(ascii: "_") }
        guard !reservedPrefix else {
            throw PushRejection(
                .invalidTagKey, "tag key '\(PushRejection.excerpt(key))' makes the reserved label name '\(name)'")
        }
        let valueBytes = UnsafeRawBufferPointer(rebasing: tag[(colon + 1)...])
        guard let value = validatedString(valueBytes) else {
            throw PushRejection(.invalidUTF8, "value of tag '\(PushRejection.excerpt(key))' is not valid UTF-8")
        }
        return PushLabel(name: name, value: value)
    }

    /// `bytes` as a `String`, or nil when they are not valid UTF-8; ASCII, the usual case, takes a
    /// shortcut.
    private static func validatedString(_ bytes: UnsafeRawBufferPointer) -> String? {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// `bytes` with every scalar outside `[a-zA-Z0-9_]` (and `:` when `keepsColon`, for metric names)
    /// replaced by `_`, and a `_` in front of a leading digit. Refuses invalid UTF-8.
    private static func sanitized(_ bytes: UnsafeRawBufferPointer, keepsColon: Bool) throws(PushRejection) -> String {
        let startsWithDigit = bytes.first.map { $0 &- UInt8(ascii: "0") < 10 } ?? false
        if !startsWithDigit && bytes.allSatisfy({ isNameByte($0, keepsColon: keepsColon) }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        guard let text = validatedString(bytes) else {
            let what = keepsColon ? "metric name" : "tag key"
            throw PushRejection(.invalidUTF8, "\(what) '\(PushRejection.excerpt(bytes))' is not valid UTF-8")
        }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + 1)
        if startsWithDigit { result.append(UInt8(ascii: "_")) }
        for scalar in text.unicodeScalars {
            if scalar.isASCII && isNameByte(UInt8(scalar.value), keepsColon: keepsColon) {
                result.append(UInt8(scalar.value))
            } else {
                result.append(UInt8(ascii: "_"))
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    @inline(__always)
    private static func isNameByte(_ byte: UInt8, keepsColon: Bool) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            true
        case UInt8(ascii: ":"): keepsColon
        default: false
        }
    }
}
