import ProtobufWire

/// Decodes the OTLP/HTTP JSON form of an `ExportMetricsServiceRequest` into the same visitor as
/// ``OTLPMetricsDecoder``.
///
/// It follows the protobuf JSON mapping as OTLP uses it: keys in lowerCamelCase or as the original snake_case
/// names; enums as integers or names; 64-bit integers as strings or numbers; bytes in base64 (standard or URL-safe,
/// padding optional); doubles as numbers or `"NaN"`, `"Infinity"`, `"-Infinity"` (or numbers in strings); `null`
/// for a field's default. Unknown keys are skipped, as the OTLP specification asks (their syntax is still
/// checked); exemplars are skipped (their hex trace and span ids are not read).
///
/// The JSON is transcoded to protobuf in one pass into a buffer the caller may reuse (`scratch`), then decoded by
/// ``OTLPMetricsDecoder`` — so the visitor sees exactly what it would for the protobuf body, and the one allocation
/// is that buffer, not one per point. Errors carry offsets in the JSON body.
public struct OTLPJSONDecoder: Sendable {
    /// How deep messages may nest below the request (as in ``OTLPMetricsDecoder``).
    public var maximumDepth: Int

    public init(maximumDepth: Int = OTLPMetricsDecoder.defaultMaximumDepth) {
        self.maximumDepth = maximumDepth
    }

    /// Checks and transcodes the whole body, then hands its metrics and points to `visitor`. `scratch` receives
    /// the protobuf form (its capacity is kept for the next call).
    public func decode<Visitor: OTLPMetricsVisitor>(
        _ body: UnsafeRawBufferPointer, into visitor: inout Visitor, scratch: inout [UInt8]
    ) throws(OTLPDecodingError) {
        try transcode(body, into: &scratch)
        try OTLPMetricsDecoder(maximumDepth: maximumDepth).decode(scratch, into: &visitor)
    }

    /// ``decode(_:into:scratch:)`` with a buffer of its own.
    public func decode<Visitor: OTLPMetricsVisitor>(
        _ body: [UInt8], into visitor: inout Visitor
    ) throws(OTLPDecodingError) {
        var scratch: [UInt8] = []
        let result: Result<Void, OTLPDecodingError> = body.withUnsafeBytes { buffer in
            do throws(OTLPDecodingError) {
                try decode(buffer, into: &visitor, scratch: &scratch)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// The protobuf form of the request in the JSON `body`.
    public func transcode(_ body: [UInt8]) throws(OTLPDecodingError) -> [UInt8] {
        var output: [UInt8] = []
        let result: Result<Void, OTLPDecodingError> = body.withUnsafeBytes { buffer in
            do throws(OTLPDecodingError) {
                try transcode(buffer, into: &output)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        return output
    }

    /// Transcodes the JSON body to the protobuf form of the same request, replacing `output`'s contents.
    public func transcode(_ body: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(OTLPDecodingError) {
        var writer = ProtobufWriter()
        swap(&writer.bytes, &output)
        writer.bytes.removeAll(keepingCapacity: true)
        var transcoder = JSONTranscoder(scanner: JSONScanner(body), writer: writer, maximumDepth: maximumDepth)
        defer { swap(&transcoder.writer.bytes, &output) }
        try transcoder.message(.request, depth: 0)
        guard transcoder.scanner.peek() == nil else {
            throw transcoder.scanner.syntaxError("bytes after the top-level value")
        }
    }
}

/// The messages of an `ExportMetricsServiceRequest`, for the JSON mapping.
enum JSONMessage {
    case request, resourceMetrics, resource, keyValue, anyValue, arrayValue, keyValueList, scopeMetrics, scope
    case metric, gauge, sum, histogram, exponentialHistogram, summary
    case numberDataPoint, histogramDataPoint, exponentialHistogramDataPoint, buckets, summaryDataPoint, quantile

    /// The fields: lowerCamelCase name, original name, number, kind.
    var fields: [(String, String, UInt32, JSONFieldKind)] {
        switch self {
        case .request: [("resourceMetrics", "resource_metrics", 1, .messages(.resourceMetrics))]
        case .resourceMetrics:
            [
                ("resource", "resource", 1, .message(.resource)),
                ("scopeMetrics", "scope_metrics", 2, .messages(.scopeMetrics)),
                ("schemaUrl", "schema_url", 3, .string),
            ]
        case .resource:
            [
                ("attributes", "attributes", 1, .messages(.keyValue)),
                ("droppedAttributesCount", "dropped_attributes_count", 2, .uint32),
            ]
        case .keyValue: [("key", "key", 1, .string), ("value", "value", 2, .message(.anyValue))]
        case .anyValue:
            [
                ("stringValue", "string_value", 1, .string), ("boolValue", "bool_value", 2, .bool),
                ("intValue", "int_value", 3, .int64), ("doubleValue", "double_value", 4, .double),
                ("arrayValue", "array_value", 5, .message(.arrayValue)),
                ("kvlistValue", "kvlist_value", 6, .message(.keyValueList)),
                ("bytesValue", "bytes_value", 7, .bytes),
            ]
        case .arrayValue: [("values", "values", 1, .messages(.anyValue))]
        case .keyValueList: [("values", "values", 1, .messages(.keyValue))]
        case .scopeMetrics:
            [
                ("scope", "scope", 1, .message(.scope)), ("metrics", "metrics", 2, .messages(.metric)),
                ("schemaUrl", "schema_url", 3, .string),
            ]
        case .scope:
            [
                ("name", "name", 1, .string), ("version", "version", 2, .string),
                ("attributes", "attributes", 3, .messages(.keyValue)),
                ("droppedAttributesCount", "dropped_attributes_count", 4, .uint32),
            ]
        case .metric:
            [
                ("name", "name", 1, .string), ("description", "description", 2, .string), ("unit", "unit", 3, .string),
                ("gauge", "gauge", 5, .message(.gauge)), ("sum", "sum", 7, .message(.sum)),
                ("histogram", "histogram", 9, .message(.histogram)),
                ("exponentialHistogram", "exponential_histogram", 10, .message(.exponentialHistogram)),
                ("summary", "summary", 11, .message(.summary)), ("metadata", "metadata", 12, .messages(.keyValue)),
            ]
        case .gauge: [("dataPoints", "data_points", 1, .messages(.numberDataPoint))]
        case .sum:
            [
                ("dataPoints", "data_points", 1, .messages(.numberDataPoint)),
                ("aggregationTemporality", "aggregation_temporality", 2, .temporality),
                ("isMonotonic", "is_monotonic", 3, .bool),
            ]
        case .histogram:
            [
                ("dataPoints", "data_points", 1, .messages(.histogramDataPoint)),
                ("aggregationTemporality", "aggregation_temporality", 2, .temporality),
            ]
        case .exponentialHistogram:
            [
                ("dataPoints", "data_points", 1, .messages(.exponentialHistogramDataPoint)),
                ("aggregationTemporality", "aggregation_temporality", 2, .temporality),
            ]
        case .summary: [("dataPoints", "data_points", 1, .messages(.summaryDataPoint))]
        case .numberDataPoint:
            [
                ("attributes", "attributes", 7, .messages(.keyValue)),
                ("startTimeUnixNano", "start_time_unix_nano", 2, .fixed64),
                ("timeUnixNano", "time_unix_nano", 3, .fixed64), ("asDouble", "as_double", 4, .double),
                ("asInt", "as_int", 6, .sfixed64), ("exemplars", "exemplars", 5, .ignored),
                ("flags", "flags", 8, .uint32),
            ]
        case .histogramDataPoint:
            [
                ("attributes", "attributes", 9, .messages(.keyValue)),
                ("startTimeUnixNano", "start_time_unix_nano", 2, .fixed64),
                ("timeUnixNano", "time_unix_nano", 3, .fixed64), ("count", "count", 4, .fixed64),
                ("sum", "sum", 5, .double), ("bucketCounts", "bucket_counts", 6, .packedFixed64),
                ("explicitBounds", "explicit_bounds", 7, .packedDouble), ("exemplars", "exemplars", 8, .ignored),
                ("flags", "flags", 10, .uint32), ("min", "min", 11, .double), ("max", "max", 12, .double),
            ]
        case .exponentialHistogramDataPoint:
            [
                ("attributes", "attributes", 1, .messages(.keyValue)),
                ("startTimeUnixNano", "start_time_unix_nano", 2, .fixed64),
                ("timeUnixNano", "time_unix_nano", 3, .fixed64), ("count", "count", 4, .fixed64),
                ("sum", "sum", 5, .double), ("scale", "scale", 6, .sint32), ("zeroCount", "zero_count", 7, .fixed64),
                ("positive", "positive", 8, .message(.buckets)), ("negative", "negative", 9, .message(.buckets)),
                ("flags", "flags", 10, .uint32), ("exemplars", "exemplars", 11, .ignored),
                ("min", "min", 12, .double), ("max", "max", 13, .double),
                ("zeroThreshold", "zero_threshold", 14, .double),
            ]
        case .buckets: [("offset", "offset", 1, .sint32), ("bucketCounts", "bucket_counts", 2, .packedUInt64)]
        case .summaryDataPoint:
            [
                ("attributes", "attributes", 7, .messages(.keyValue)),
                ("startTimeUnixNano", "start_time_unix_nano", 2, .fixed64),
                ("timeUnixNano", "time_unix_nano", 3, .fixed64), ("count", "count", 4, .fixed64),
                ("sum", "sum", 5, .double), ("quantileValues", "quantile_values", 6, .messages(.quantile)),
                ("flags", "flags", 8, .uint32),
            ]
        case .quantile: [("quantile", "quantile", 1, .double), ("value", "value", 2, .double)]
        }
    }
}

/// How a field is written in JSON and on the wire.
enum JSONFieldKind {
    case message(JSONMessage)
    case messages(JSONMessage)
    case string, bytes, bool, uint32, sint32, int64, fixed64, sfixed64, double, temporality
    case packedFixed64, packedDouble, packedUInt64
    /// Read for its syntax only (exemplars).
    case ignored
}

/// One transcoding pass.
struct JSONTranscoder {
    var scanner: JSONScanner
    var writer: ProtobufWriter
    let maximumDepth: Int
    /// Unescaped keys that held escapes.
    private var keyBuffer: [UInt8] = []

    /// How deep a skipped unknown value may nest.
    static let maximumSkippedDepth = 64

    init(scanner: JSONScanner, writer: ProtobufWriter, maximumDepth: Int) {
        self.scanner = scanner
        self.writer = writer
        self.maximumDepth = maximumDepth
    }

    private func valueError(_ message: String, at offset: Int) -> OTLPDecodingError {
        OTLPDecodingError(.invalidJSONValue, at: offset, message)
    }

    /// The error for a token that is not what the field wants: a syntax error when no JSON value starts there,
    /// else a value of the wrong type.
    private mutating func unexpected(_ wanted: String, at offset: Int) -> OTLPDecodingError {
        switch scanner.peek() ?? 0 {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "-"), UInt8(ascii: "t"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return valueError("expected \(wanted)", at: offset)
        default:
            return scanner.syntaxError("expected a value")
        }
    }

    /// Reads an object of type `message` and writes its fields (the caller wrote the tag and length, if any).
    mutating func message(_ message: JSONMessage, depth: Int) throws(OTLPDecodingError) {
        guard depth <= maximumDepth else {
            throw OTLPDecodingError(
                .nestingTooDeep, at: scanner.position, "messages nest more than \(maximumDepth) deep")
        }
        let start = scanner.position
        guard scanner.consume(UInt8(ascii: "{")) else {
            throw unexpected("an object for \(message)", at: start)
        }
        let fields = message.fields
        var first = true
        while try scanner.nextMember(first: first) {
            first = false
            let (range, hasEscapes) = try scanner.string()
            let key = scanner.bytes.slice(range)
            if hasEscapes {
                keyBuffer.removeAll(keepingCapacity: true)
                try scanner.unescapeString(range, into: &keyBuffer)
            }
            guard UTF8Validation.isValid(key) else {
                throw OTLPDecodingError(.invalidUTF8, at: range.lowerBound, "invalid UTF-8 in a JSON key")
            }
            try scanner.expect(UInt8(ascii: ":"), "':'")
            let field = hasEscapes ? keyBuffer.withUnsafeBytes { Self.lookUp($0, fields) } : Self.lookUp(key, fields)
            guard let (name, number, kind) = field else {
                try scanner.skipValue(depth: Self.maximumSkippedDepth)
                continue
            }
            if try scanner.consumeNull() { continue }
            try value(kind, number, name, depth: depth)
        }
    }

    private static func lookUp(
        _ key: UnsafeRawBufferPointer, _ fields: [(String, String, UInt32, JSONFieldKind)]
    ) -> (String, UInt32, JSONFieldKind)? {
        for (camel, snake, number, kind) in fields
        where key.elementsEqual(camel.utf8) || key.elementsEqual(snake.utf8) {
            return (camel, number, kind)
        }
        return nil
    }

    private mutating func value(
        _ kind: JSONFieldKind, _ number: UInt32, _ name: String, depth: Int
    ) throws(OTLPDecodingError) {
        let start = scanner.position
        switch kind {
        case .message(let type):
            let token = writer.beginField(number)
            try message(type, depth: depth + 1)
            writer.endField(token)
        case .messages(let type):
            try array(name) { (transcoder: inout JSONTranscoder) throws(OTLPDecodingError) in
                if try transcoder.scanner.consumeNull() {
                    transcoder.writer.bytesField(number, EmptyCollection())
                    return
                }
                let token = transcoder.writer.beginField(number)
                try transcoder.message(type, depth: depth + 1)
                transcoder.writer.endField(token)
            }
        case .string:
            let token = writer.beginField(number)
            try string(name)
            guard writer.bytes.withUnsafeBytes({ UTF8Validation.isValid($0.slice(token..<$0.count)) }) else {
                throw OTLPDecodingError(.invalidUTF8, at: start, "invalid UTF-8 in \(name)")
            }
            writer.endField(token)
        case .bytes:
            guard scanner.peek() == UInt8(ascii: "\"") else { throw unexpected("base64 for \(name)", at: start) }
            let (range, hasEscapes) = try scanner.string()
            guard !hasEscapes else { throw valueError("escapes in the base64 of \(name)", at: start) }
            let token = writer.beginField(number)
            guard Base64.decode(scanner.bytes.slice(range), into: &writer.bytes) else {
                throw valueError("invalid base64 in \(name)", at: start)
            }
            writer.endField(token)
        case .bool:
            guard case .some(.some(let bool)) = try scanner.literal() else {
                throw unexpected("true or false for \(name)", at: start)
            }
            writer.varintField(number, bool ? 1 : 0)
        case .uint32:
            let value = try integer(name, signed: false)
            guard value <= Int128(UInt32.max) else { throw valueError("\(name) is out of range", at: start) }
            writer.varintField(number, UInt64(value))
        case .sint32:
            let value = try integer(name, signed: true)
            guard let value = Int32(exactly: value) else { throw valueError("\(name) is out of range", at: start) }
            writer.varintField(number, UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))))
        case .int64, .sfixed64:
            let value = try integer(name, signed: true)
            guard let value = Int64(exactly: value) else { throw valueError("\(name) is out of range", at: start) }
            if case .int64 = kind {
                writer.varintField(number, UInt64(bitPattern: value))
            } else {
                writer.fixed64Field(number, UInt64(bitPattern: value))
            }
        case .fixed64:
            let value = try integer(name, signed: false)
            guard let value = UInt64(exactly: value) else { throw valueError("\(name) is out of range", at: start) }
            writer.fixed64Field(number, value)
        case .double:
            writer.doubleField(number, try double(name))
        case .temporality:
            writer.varintField(number, UInt64(bitPattern: Int64(try temporality(name))))
        case .packedFixed64, .packedUInt64:
            let token = writer.beginField(number)
            let isFixed = if case .packedFixed64 = kind { true } else { false }
            try array(name) { (transcoder: inout JSONTranscoder) throws(OTLPDecodingError) in
                let elementStart = transcoder.scanner.position
                let value = try transcoder.integer(name, signed: false)
                guard let value = UInt64(exactly: value) else {
                    throw transcoder.valueError("\(name) is out of range", at: elementStart)
                }
                if isFixed { transcoder.writer.fixed64(value) } else { transcoder.writer.varint(value) }
            }
            writer.endField(token)
        case .packedDouble:
            let token = writer.beginField(number)
            try array(name) { (transcoder: inout JSONTranscoder) throws(OTLPDecodingError) in
                transcoder.writer.fixed64(try transcoder.double(name).bitPattern)
            }
            writer.endField(token)
        case .ignored:
            try scanner.skipValue(depth: Self.maximumSkippedDepth)
        }
    }

    /// Reads an array, calling `element` for each element.
    private mutating func array(
        _ name: String, _ element: (inout JSONTranscoder) throws(OTLPDecodingError) -> Void
    ) throws(OTLPDecodingError) {
        let start = scanner.position
        guard scanner.consume(UInt8(ascii: "[")) else { throw unexpected("an array for \(name)", at: start) }
        var first = true
        while try scanner.nextElement(first: first) {
            first = false
            try element(&self)
        }
    }

    /// Reads a string and appends its unescaped bytes to the output.
    private mutating func string(_ name: String) throws(OTLPDecodingError) {
        let start = scanner.position
        guard scanner.peek() == UInt8(ascii: "\"") else { throw unexpected("a string for \(name)", at: start) }
        let (range, hasEscapes) = try scanner.string()
        if hasEscapes {
            try scanner.unescapeString(range, into: &writer.bytes)
        } else {
            writer.bytes.append(contentsOf: scanner.bytes.slice(range))
        }
    }

    /// The text of a number or of a string holding one: its range in the body, and whether it was quoted.
    private mutating func numberText(_ name: String) throws(OTLPDecodingError) -> (Range<Int>, quoted: Bool) {
        let start = scanner.position
        switch scanner.peek() {
        case UInt8(ascii: "\""):
            let (range, hasEscapes) = try scanner.string()
            guard !hasEscapes else { throw valueError("escapes in the number of \(name)", at: start) }
            return (range, true)
        case let byte? where byte == UInt8(ascii: "-") || byte &- UInt8(ascii: "0") < 10:
            return (try scanner.number().range, false)
        default:
            throw unexpected("a number for \(name)", at: start)
        }
    }

    /// An integer, from a number or a string; forms with a fraction or exponent are accepted when integral.
    mutating func integer(_ name: String, signed: Bool) throws(OTLPDecodingError) -> Int128 {
        let start = scanner.position
        let (range, _) = try numberText(name)
        let text = scanner.bytes.slice(range)
        var index = 0
        var negative = false
        if index < text.count && text[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var value: Int128 = 0
        var isPlainInteger = index < text.count
        while index < text.count {
            let digit = text[index] &- UInt8(ascii: "0")
            guard digit < 10 else {
                isPlainInteger = false
                break
            }
            value = value * 10 + Int128(digit)
            guard value <= Int128(UInt64.max) + 1 else { throw valueError("\(name) is out of range", at: start) }
            index += 1
        }
        if !isPlainInteger {
            guard let double = Self.parseDouble(text), double.rounded() == double, abs(double) < 0x1p64 else {
                throw valueError("\(name) is not an integer", at: start)
            }
            value = Int128(double.magnitude)
        }
        if negative { value = -value }
        guard signed || value >= 0 else { throw valueError("\(name) is negative", at: start) }
        return value
    }

    /// A double, from a number or a string (a number, `NaN`, `Infinity`, `-Infinity`).
    mutating func double(_ name: String) throws(OTLPDecodingError) -> Double {
        let start = scanner.position
        let (range, quoted) = try numberText(name)
        let text = scanner.bytes.slice(range)
        if quoted {
            if text.elementsEqual("NaN".utf8) { return .nan }
            if text.elementsEqual("Infinity".utf8) { return .infinity }
            if text.elementsEqual("-Infinity".utf8) { return -.infinity }
        }
        guard let value = Self.parseDouble(text), value.isFinite else {
            throw valueError("\(name) is not a number", at: start)
        }
        return value
    }

    /// Parses text that follows the JSON number grammar (checked here for quoted numbers).
    static func parseDouble(_ text: UnsafeRawBufferPointer) -> Double? {
        var check = JSONScanner(text)
        guard (try? check.number()) != nil, check.position == text.count else { return nil }
        return Double(Substring(decoding: text, as: UTF8.self))
    }

    private mutating func temporality(_ name: String) throws(OTLPDecodingError) -> Int32 {
        let start = scanner.position
        if scanner.peek() == UInt8(ascii: "\"") {
            let (range, _) = try scanner.string()
            let text = scanner.bytes.slice(range)
            for (index, word) in [
                "AGGREGATION_TEMPORALITY_UNSPECIFIED", "AGGREGATION_TEMPORALITY_DELTA",
                "AGGREGATION_TEMPORALITY_CUMULATIVE",
            ].enumerated() where text.elementsEqual(word.utf8) {
                return Int32(index)
            }
            throw valueError("unknown \(name) name", at: start)
        }
        let value = try integer(name, signed: true)
        guard let value = Int32(exactly: value) else { throw valueError("\(name) is out of range", at: start) }
        return value
    }
}

/// Base64 decoding (RFC 4648), standard or URL-safe alphabet, padding optional.
enum Base64 {
    static func value(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(byte - UInt8(ascii: "a") + 26)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0") + 52)
        case UInt8(ascii: "+"), UInt8(ascii: "-"): 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): 63
        default: nil
        }
    }

    /// Appends the decoded bytes to `output`; false when `text` is not base64.
    static func decode(_ text: UnsafeRawBufferPointer, into output: inout [UInt8]) -> Bool {
        var count = text.count
        if count % 4 == 0 && count > 0 && text[count - 1] == UInt8(ascii: "=") {
            count -= text[count - 2] == UInt8(ascii: "=") ? 2 : 1
        }
        guard count % 4 != 1 else { return false }
        var accumulator: UInt32 = 0
        var bits = 0
        for index in 0..<count {
            guard let value = value(text[index]) else { return false }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return true
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding.
    static func encode(_ bytes: some Collection<UInt8>, into output: inout [UInt8]) {
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in bytes {
            accumulator = accumulator << 8 | UInt32(byte)
            bits += 8
            while bits >= 6 {
                bits -= 6
                output.append(alphabet[Int(accumulator >> UInt32(bits) & 63)])
            }
        }
        if bits > 0 {
            output.append(alphabet[Int(accumulator << UInt32(6 - bits) & 63)])
            output.append(contentsOf: repeatElement(UInt8(ascii: "="), count: bits == 2 ? 2 : 1))
        }
    }
}
