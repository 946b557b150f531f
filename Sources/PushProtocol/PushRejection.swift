/// Why a pushed line (or a stream command) was refused.
///
/// The raw values are the values of the `reason` label of `tally_push_rejected_lines_total`, and the
/// reason word of `reject` and `error` replies on the stream socket. The list holds the parser's reasons
/// and the store's (type conflicts, limits), so that there is one list of reasons.
public enum PushRejectionReason: String, CaseIterable, Sendable {
    /// The line is not `<name>:<value>|<type>...`: no `:` or no `|`, an empty or unknown extra field, a
    /// repeated `@` or `#` field.
    case malformedLine = "malformed_line"
    /// The name before `:` is empty.
    case emptyName = "empty_name"
    /// The value is not a finite decimal number (also a DogStatsD multi-value such as `1:2`).
    case invalidValue = "invalid_value"
    /// The type field is not one of `c`, `g`, `ms`, `h`, `d`.
    case unknownType = "unknown_type"
    /// A counter line with a negative value.
    case negativeCounter = "negative_counter"
    /// `@<rate>` is not a number in [``PushLine/minimumSampleRate``, 1].
    case invalidSampleRate = "invalid_sample_rate"
    /// A tag without `:`, or with nothing after the `:`.
    case tagWithoutValue = "tag_without_value"
    /// A tag key that is empty, or that sanitizes to a label name Prometheus reserves (`__` prefix). The
    /// store uses it too for label names it keeps for itself.
    case invalidTagKey = "invalid_tag_key"
    /// The name or a tag is not valid UTF-8.
    case invalidUTF8 = "invalid_utf8"
    /// A line longer than ``PushLineSplitter/maximumLineLength`` bytes.
    case lineTooLong = "line_too_long"
    /// The line's type differs from the type of the metric already stored under that name (store).
    case typeConflict = "type_conflict"
    /// The store already holds as many pushed series as it allows in total (store).
    case seriesLimit = "series_limit"
    /// A line that starts with `!` and holds no `|` but is not a known stream command.
    case unknownCommand = "unknown_command"
}

/// A refused line: the reason (the label value it is counted under) and a short message for a person.
///
/// Messages are built only when a line is refused, so accepting a line never allocates one. Excerpts of
/// the input inside a message go through ``excerpt(_:)``, which keeps them short and printable.
public struct PushRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// The reason, as counted in `tally_push_rejected_lines_total{reason}`.
    public var reason: PushRejectionReason
    /// What is wrong, for a person: one line, no control characters.
    public var message: String

    public init(_ reason: PushRejectionReason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason.rawValue): \(message)" }

    /// The most bytes of input that ``excerpt(_:)`` echoes.
    public static let maximumExcerptLength = 80

    /// Returns `bytes` as printable ASCII for a message: printable ASCII bytes as they are, every other
    /// byte as `\xHH`, cut after ``maximumExcerptLength`` input bytes with a trailing `...`.
    public static func excerpt(_ bytes: UnsafeRawBufferPointer) -> String {
        let shown = min(bytes.count, maximumExcerptLength)
        var text: [UInt8] = []
        text.reserveCapacity(shown + 3)
        for byte in bytes.prefix(shown) { appendPrintable(byte, to: &text) }
        if bytes.count > shown {
            text.append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "."), UInt8(ascii: ".")])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Appends `byte` as it is when it is printable ASCII, else as `\xHH` (lower-case hexadecimal), so that
/// echoed input can never break a reply line.
@inline(__always)
func appendPrintable(_ byte: UInt8, to buffer: inout [UInt8]) {
    if byte >= 0x20 && byte < 0x7F {
        buffer.append(byte)
    } else {
        buffer.append(UInt8(ascii: "\\"))
        buffer.append(UInt8(ascii: "x"))
        buffer.append(hexDigit(byte >> 4))
        buffer.append(hexDigit(byte & 0xF))
    }
}

/// The lower-case hexadecimal digit for `nibble` (0...15).
@inline(__always)
private func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
}
