import OTLP

/// Attribute values as label values, as the OpenTelemetry Collector's `pcommon.Value.AsString` writes them (which
/// Prometheus' OTLP receiver uses): strings as they are, booleans and integers as their text, doubles as ECMAScript
/// writes numbers, bytes in base64, arrays and key-value lists as JSON (keys sorted, as Go's encoder writes maps).
enum OTLPAttributeText {
    static func string(_ value: OTLPAnyValue) -> String {
        switch value {
        case .empty: return ""
        case .string(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .bool(let bool): return bool ? "true" : "false"
        case .int(let int): return String(int)
        case .double(let double): return number(double)
        case .bytes(let bytes): return base64(bytes)
        case .array, .keyValueList:
            var out: [UInt8] = []
            json(value, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// A double as ECMAScript's Number::toString writes it (Go's encoding/json agrees): the shortest digits that
    /// read back as the same number, in fixed notation from 1e-6 up to 1e21 and in exponent notation outside.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value < 0 ? "-Inf" : "+Inf") }
        if value == 0 { return "0" }
        let magnitude = value.magnitude
        let text = value.description
        if magnitude < 1e-6 || magnitude >= 1e21 {
            // Swift writes 1e-07 and 1e+21; ECMAScript 1e-7 and 1e+21.
            guard let e = text.firstIndex(of: "e") else { return text }
            var mantissa = String(text[..<e])
            if mantissa.hasSuffix(".0") { mantissa.removeLast(2) }
            var exponent = text[text.index(after: e)...]
            let sign = exponent.first == "-" ? "-" : "+"
            if exponent.first == "-" || exponent.first == "+" { exponent = exponent.dropFirst() }
            while exponent.count > 1, exponent.first == "0" { exponent = exponent.dropFirst() }
            return mantissa + "e" + sign + exponent
        }
        guard let e = text.firstIndex(of: "e") else {
            return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        }
        // Expand Swift's exponent notation (used below 1e-4 and from 2^53 on) into fixed notation.
        let isNegative = text.first == "-"
        let mantissa = text[..<e].filter { $0 != "-" }
        let exponent = Int(text[text.index(after: e)...]) ?? 0
        var digits = mantissa.filter { $0 != "." }
        let pointPosition =
            (mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) }
                ?? mantissa.count) + exponent
        while digits.count > 1, digits.last == "0", digits.count > pointPosition { digits.removeLast() }
        var result: String
        if pointPosition <= 0 {
            result = "0." + String(repeating: "0", count: -pointPosition) + digits
        } else if pointPosition >= digits.count {
            result = digits + String(repeating: "0", count: pointPosition - digits.count)
        } else {
            let split = digits.index(digits.startIndex, offsetBy: pointPosition)
            result = digits[..<split] + "." + digits[split...]
        }
        if isNegative { result = "-" + result }
        return result
    }

    private static func json(_ value: OTLPAnyValue, into out: inout [UInt8]) {
        switch value {
        case .empty: out.append(contentsOf: "null".utf8)
        case .string(let bytes): quoted(bytes, into: &out)
        case .bool(let bool): out.append(contentsOf: (bool ? "true" : "false").utf8)
        case .int(let int): out.append(contentsOf: String(int).utf8)
        case .double(let double):
            // Go's encoder refuses NaN and infinities.
            out.append(contentsOf: (double.isFinite ? number(double) : "null").utf8)
        case .bytes(let bytes): base64Bytes(bytes).withUnsafeBytes { quoted($0, into: &out) }
        case .array(let array):
            out.append(UInt8(ascii: "["))
            var first = true
            for element in array {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                json(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .keyValueList(let list):
            // Go's map: keys sorted, the last of a repeated key wins.
            var entries: [(key: String, value: [UInt8])] = []
            for attribute in list {
                var encoded: [UInt8] = []
                json(attribute.value, into: &encoded)
                let key = String(decoding: attribute.key, as: UTF8.self)
                if let index = entries.firstIndex(where: { $0.key == key }) {
                    entries[index].value = encoded
                } else {
                    entries.append((key, encoded))
                }
            }
            entries.sort { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            out.append(UInt8(ascii: "{"))
            for (index, entry) in entries.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Array(entry.key.utf8).withUnsafeBytes { quoted($0, into: &out) }
                out.append(UInt8(ascii: ":"))
                out.append(contentsOf: entry.value)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string as Go's encoder writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped too.
    private static func quoted(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            case 0xE2
            where index + 2 < bytes.count && bytes[index + 1] == 0x80
                && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                out.append(contentsOf: (bytes[index + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                index += 2
            default: out.append(byte)
            }
            index += 1
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func base64(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: base64Bytes(bytes), as: UTF8.self)
    }

    private static func base64Bytes(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 63)])
            out.append(alphabet[Int(triple >> 12 & 63)])
            out.append(remaining > 1 ? alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "="))
            out.append(remaining > 2 ? alphabet[Int(triple & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return out
    }
}
