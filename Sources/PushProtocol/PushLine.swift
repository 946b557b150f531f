/// One StatsD/DogStatsD line, checked and with its number converted, but with its name and tags left as
/// byte ranges of the line.
///
/// The form is `<name>:<value>|<type>[|@<rate>][|#<key>:<value>,...]`. After the type, the fields may
/// come in any order: `@<rate>` and `#<tags>` at most once each; the DogStatsD fields `c:<container>`,
/// `T<timestamp>` and `e:<external data>` are accepted and ignored (their contents are not checked).
/// Anything else after a `|`, an empty field included, makes the line malformed.
///
/// Parsing is the first of two stages, and it neither allocates nor builds strings: the name and the tag
/// bytes are kept as ranges into the line, so that a store can look the series up by those raw bytes.
/// The second stage, ``PushSeriesKey/init(name:tags:)``, checks their UTF-8, sanitizes the name and
/// parses the tags into labels; it runs only when the raw bytes are new to the store.
public struct PushLine: Equatable, Sendable {
    /// The smallest sample rate accepted. Below it a single timer or histogram line would stand for more
    /// than a million observations.
    public static let minimumSampleRate = 1e-6

    /// Where the metric name is in the line (before the first `:`; never empty).
    public var nameRange: Range<Int>
    /// The type from the type field.
    public var type: PushMetricType
    /// The value as written, sign included, before any rate or unit is applied. Always finite.
    public var value: Double
    /// True for a gauge whose value starts with `+` or `-`: it changes the gauge instead of setting it.
    public var isRelative: Bool
    /// The `@` rate, in [``minimumSampleRate``, 1]; 1 when the line has none.
    public var sampleRate: Double
    /// Where the tags are in the line: the bytes after `|#` up to the next `|` or the end. Empty when the
    /// line has no tags.
    public var tagsRange: Range<Int>

    public init(
        nameRange: Range<Int>, type: PushMetricType, value: Double, isRelative: Bool = false,
        sampleRate: Double = 1, tagsRange: Range<Int>
    ) {
        self.nameRange = nameRange
        self.type = type
        self.value = value
        self.isRelative = isRelative
        self.sampleRate = sampleRate
        self.tagsRange = tagsRange
    }

    /// The value to record, once per ``repeatCount``: for a counter the increment `value / sampleRate`;
    /// for a gauge `value` (set, or added when ``isRelative``); for a timer `value / 1000`, seconds; for a
    /// histogram or distribution `value`. A gauge ignores its rate, as StatsD does.
    public var recordedValue: Double {
        switch type {
        case .counter: sampleRate == 1 ? value : value / sampleRate
        case .gauge, .histogram, .distribution: value
        case .timer: value / 1000
        }
    }

    /// How many observations the line stands for: `Int(1 / sampleRate)` for a timer, histogram or
    /// distribution (a line sampled at 0.1 stands for ten), 1 for a counter (the rate is already in
    /// ``recordedValue``) and for a gauge. At most 1,000,000.
    public var repeatCount: Int {
        type.isObservation && sampleRate < 1 ? Int(1 / sampleRate) : 1
    }

    /// The name's bytes inside `line`, the buffer this line was parsed from.
    public func nameBytes(in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[nameRange])
    }

    /// The tag bytes inside `line`, the buffer this line was parsed from (after `#`, possibly empty).
    public func tagBytes(in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[tagsRange])
    }

    /// Parses one line (without its `\n`) and checks everything but the UTF-8 and the contents of its
    /// name and tags, which ``PushSeriesKey/init(name:tags:)`` checks.
    ///
    /// Refusals: no `:`, or no `|` after the value (`malformed_line`), an empty name (`empty_name`), a
    /// value that is not a finite decimal number (`invalid_value`), a type other than `c`, `g`, `ms`, `h`,
    /// `d` (`unknown_type`), a rate outside [``minimumSampleRate``, 1] (`invalid_sample_rate`), an unknown,
    /// empty or repeated field (`malformed_line`), a negative counter value (`negative_counter`), and a
    /// counter whose value divided by its rate is not finite (`invalid_value`).
    public static func parse(_ line: UnsafeRawBufferPointer) throws(PushRejection) -> PushLine {
        let end = line.count
        // As in StatsD, the name runs to the first `:`; a `|` in it is sanitized like any other byte.
        guard let colon = line.firstOffset(of: UInt8(ascii: ":"), in: 0..<end) else {
            throw PushRejection(.malformedLine, "no ':' between name and value")
        }
        guard colon > 0 else { throw PushRejection(.emptyName, "the metric name is empty") }

        let valueStart = colon &+ 1
        let value: Double
        var valueEnd = valueStart
        // Fast path for the common StatsD value, a small unsigned integer (`1`, `250`).
        var integer: UInt64 = 0
        while valueEnd < end && valueEnd &- valueStart < 15 {
            let digit = line[valueEnd] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            integer = integer &* 10 &+ UInt64(digit)
            valueEnd &+= 1
        }
        if valueEnd > valueStart && valueEnd < end && line[valueEnd] == UInt8(ascii: "|") {
            value = Double(integer)
        } else {
            guard let (parsed, parsedEnd) = DecimalNumber.parsePrefix(line, valueStart, end),
                parsedEnd < end, line[parsedEnd] == UInt8(ascii: "|")
            else { throw misplacedValue(line, valueStart) }
            value = parsed
            valueEnd = parsedEnd
        }

        let type: PushMetricType
        let typeStart = valueEnd + 1
        var typeEnd = typeStart + 1
        switch typeStart < end ? line[typeStart] : 0 {
        case UInt8(ascii: "c"): type = .counter
        case UInt8(ascii: "g"): type = .gauge
        case UInt8(ascii: "h"): type = .histogram
        case UInt8(ascii: "d"): type = .distribution
        case UInt8(ascii: "m") where typeEnd < end && line[typeEnd] == UInt8(ascii: "s"):
            type = .timer
            typeEnd += 1
        default: throw unknownType(line, typeStart)
        }
        guard typeEnd >= end || line[typeEnd] == UInt8(ascii: "|") else { throw unknownType(line, typeStart) }

        var sampleRate = 1.0
        var sawRate = false
        var tagsRange = end..<end
        var sawTags = false
        var fieldStart = typeEnd + 1
        while fieldStart <= end {
            let fieldEnd = line.firstOffset(of: UInt8(ascii: "|"), in: fieldStart..<end) ?? end
            guard fieldStart < fieldEnd else { throw PushRejection(.malformedLine, "empty field after '|'") }
            switch line[fieldStart] {
            case UInt8(ascii: "#"):
                guard !sawTags else { throw PushRejection(.malformedLine, "more than one '#' tags field") }
                sawTags = true
                tagsRange = (fieldStart + 1)..<fieldEnd
            case UInt8(ascii: "@"):
                guard !sawRate else { throw PushRejection(.malformedLine, "more than one '@' rate field") }
                sawRate = true
                sampleRate = try rate(line, (fieldStart + 1)..<fieldEnd)
            case UInt8(ascii: "T"):
                break
            case UInt8(ascii: "c"), UInt8(ascii: "e"):
                guard fieldEnd - fieldStart >= 2, line[fieldStart + 1] == UInt8(ascii: ":") else {
                    throw unknownField(line, fieldStart..<fieldEnd)
                }
            default:
                throw unknownField(line, fieldStart..<fieldEnd)
            }
            fieldStart = fieldEnd + 1
        }

        var isRelative = false
        switch type {
        case .counter:
            guard value >= 0 else {
                throw PushRejection(.negativeCounter, "counter increment \(value) is negative")
            }
            guard sampleRate == 1 || (value / sampleRate).isFinite else {
                throw PushRejection(.invalidValue, "counter increment \(value) / rate \(sampleRate) is too large")
            }
        case .gauge:
            let sign = line[valueStart]
            isRelative = sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-")
        case .timer, .histogram, .distribution:
            break
        }
        return PushLine(
            nameRange: 0..<colon, type: type, value: value, isRelative: isRelative, sampleRate: sampleRate,
            tagsRange: tagsRange)
    }

    /// The refusal for a line whose value is not a number followed by `|`.
    private static func misplacedValue(_ line: UnsafeRawBufferPointer, _ valueStart: Int) -> PushRejection {
        guard let bar = line.firstOffset(of: UInt8(ascii: "|"), in: valueStart..<line.count) else {
            return PushRejection(.malformedLine, "no '|<type>' after the value")
        }
        let bytes = UnsafeRawBufferPointer(rebasing: line[valueStart..<bar])
        let text = PushRejection.excerpt(bytes)
        if bytes.contains(UInt8(ascii: ":")) {
            return PushRejection(.invalidValue, "value '\(text)' holds several values; send one per line")
        }
        return PushRejection(.invalidValue, "value '\(text)' is not a finite decimal number")
    }

    /// The refusal for a type field (starting at `start`) that is not a known type.
    private static func unknownType(_ line: UnsafeRawBufferPointer, _ start: Int) -> PushRejection {
        let end = line.firstOffset(of: UInt8(ascii: "|"), in: start..<line.count) ?? line.count
        let text = PushRejection.excerpt(UnsafeRawBufferPointer(rebasing: line[start..<end]))
        return PushRejection(.unknownType, "unknown type '\(text)' (want c, g, ms, h or d)")
    }

    private static func rate(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) throws(PushRejection) -> Double {
        guard let rate = DecimalNumber.parse(line, range), rate >= minimumSampleRate, rate <= 1 else {
            let text = PushRejection.excerpt(UnsafeRawBufferPointer(rebasing: line[range]))
            throw PushRejection(.invalidSampleRate, "sample rate '\(text)' is not a number in [1e-06, 1]")
        }
        return rate
    }

    private static func unknownField(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> PushRejection {
        let text = PushRejection.excerpt(UnsafeRawBufferPointer(rebasing: line[range]))
        return PushRejection(.malformedLine, "unknown field '|\(text)'")
    }
}
