import ProtobufWire

/// A strict JSON (RFC 8259) scanner over borrowed bytes: whitespace, structure, strings with their escapes checked,
/// numbers by the JSON grammar, and the three literals. It does not build values: the caller asks for the token it
/// expects, and strings are unescaped straight into the caller's output.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func syntaxError(_ message: String, at offset: Int? = nil) -> OTLPDecodingError {
        OTLPDecodingError(.invalidJSON, at: offset ?? position, "invalid JSON: \(message)")
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position &+= 1
            default: return
            }
        }
    }

    /// The next byte after whitespace, not consumed; nil at the end.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    /// Consumes `byte` (after whitespace) or throws.
    mutating func expect(_ byte: UInt8, _ what: String) throws(OTLPDecodingError) {
        guard peek() == byte else { throw syntaxError("expected \(what)") }
        position &+= 1
    }

    /// Consumes `byte` if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        position &+= 1
        return true
    }

    /// After an object's `{` or a member: whether another member follows (consuming the `,`), or the object ends
    /// (consuming the `}`).
    mutating func nextMember(first: Bool) throws(OTLPDecodingError) -> Bool {
        if consume(UInt8(ascii: "}")) { return false }
        if !first { try expect(UInt8(ascii: ","), "',' or '}'") }
        return true
    }

    /// Like ``nextMember(first:)`` for arrays.
    mutating func nextElement(first: Bool) throws(OTLPDecodingError) -> Bool {
        if consume(UInt8(ascii: "]")) { return false }
        if !first { try expect(UInt8(ascii: ","), "',' or ']'") }
        return true
    }

    /// Consumes `true`, `false` or `null` if next; nil when the next token is something else.
    mutating func literal() throws(OTLPDecodingError) -> Bool?? {
        guard let byte = peek() else { return nil }
        let (word, value): (StaticString, Bool?)
        switch byte {
        case UInt8(ascii: "t"): (word, value) = ("true", true)
        case UInt8(ascii: "f"): (word, value) = ("false", false)
        case UInt8(ascii: "n"): (word, value) = ("null", nil)
        default: return nil
        }
        let count = word.utf8CodeUnitCount
        guard bytes.count &- position >= count else { throw syntaxError("truncated literal") }
        for index in 0..<count where bytes[position &+ index] != word.utf8Start[index] {
            throw syntaxError("invalid literal")
        }
        position &+= count
        return .some(value)
    }

    /// Consumes `null` if next.
    mutating func consumeNull() throws(OTLPDecodingError) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        _ = try literal()
        return true
    }

    /// Scans a number (the next token must be one) and returns its range and whether it is an integer (no
    /// fraction, no exponent).
    mutating func number() throws(OTLPDecodingError) -> (range: Range<Int>, isInteger: Bool) {
        skipWhitespace()
        let start = position
        var isInteger = true
        if position < bytes.count && bytes[position] == UInt8(ascii: "-") { position &+= 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw syntaxError("invalid number") }
        if bytes[position] == UInt8(ascii: "0") {
            position &+= 1
        } else {
            skipDigits()
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position &+= 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw syntaxError("invalid number") }
            skipDigits()
        }
        if position < bytes.count && (bytes[position] | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            position &+= 1
            if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"))
            {
                position &+= 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw syntaxError("invalid number") }
            skipDigits()
        }
        return (start..<position, isInteger)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    private mutating func skipDigits() {
        while position < bytes.count && isDigit(bytes[position]) { position &+= 1 }
    }

    /// Scans a string (the next token must be one) and returns the range of its contents when it holds no escape;
    /// nil when it does (then ``unescapeString(_:into:)`` reads it). Checks control characters and escapes; UTF-8
    /// is checked by the caller, on the unescaped bytes.
    mutating func string() throws(OTLPDecodingError) -> (range: Range<Int>, hasEscapes: Bool) {
        try expect(UInt8(ascii: "\""), "a string")
        let start = position
        var hasEscapes = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position &+= 1
                return (start..<(position &- 1), hasEscapes)
            }
            if byte < 0x20 { throw syntaxError("control character in a string") }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                position &+= 1
                guard position < bytes.count else { break }
                switch bytes[position] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    position &+= 1
                case UInt8(ascii: "u"):
                    guard bytes.count &- position > 4 else { throw syntaxError("truncated \\u escape") }
                    for offset in 1...4 where hexValue(bytes[position &+ offset]) == nil {
                        throw syntaxError("invalid \\u escape")
                    }
                    position &+= 5
                default: throw syntaxError("invalid escape")
                }
                continue
            }
            position &+= 1
        }
        throw syntaxError("unterminated string", at: start &- 1)
    }

    func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte &- UInt8(ascii: "a") &+ 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte &- UInt8(ascii: "A") &+ 10)
        default: nil
        }
    }

    /// Appends the unescaped contents of a string scanned by ``string()`` to `output`. A `\u` escape of a lone
    /// surrogate is refused.
    func unescapeString(_ range: Range<Int>, into output: inout [UInt8]) throws(OTLPDecodingError) {
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                index &+= 1
                continue
            }
            let kind = bytes[index &+ 1]
            index &+= 2
            switch kind {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(index)
                index &+= 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard index &+ 6 <= range.upperBound, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index &+ 1] == UInt8(ascii: "u")
                    else { throw OTLPDecodingError(.invalidUTF8, at: index, "invalid UTF-8: a lone surrogate escape") }
                    let low = hex4(index &+ 2)
                    guard low >= 0xDC00 && low < 0xE000 else {
                        throw OTLPDecodingError(.invalidUTF8, at: index, "invalid UTF-8: a lone surrogate escape")
                    }
                    scalar = 0x10000 &+ ((scalar &- 0xD800) << 10) &+ (low &- 0xDC00)
                    index &+= 6
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw OTLPDecodingError(.invalidUTF8, at: index, "invalid UTF-8: a lone surrogate escape")
                }
                for unit in UTF8.encode(Unicode.Scalar(scalar)!)! { output.append(unit) }
            default: output.append(kind)  // `"`, `\`, `/`
            }
        }
    }

    private func hex4(_ index: Int) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 { value = value << 4 | (hexValue(bytes[index &+ offset]) ?? 0) }
        return value
    }

    /// Skips one value of any type, checking its syntax, nesting at most `depth` more levels.
    mutating func skipValue(depth: Int) throws(OTLPDecodingError) {
        guard depth > 0 else {
            throw OTLPDecodingError(.nestingTooDeep, at: position, "JSON nests too deep")
        }
        switch peek() {
        case UInt8(ascii: "{"):
            position &+= 1
            var first = true
            while try nextMember(first: first) {
                first = false
                _ = try string()
                try expect(UInt8(ascii: ":"), "':'")
                try skipValue(depth: depth - 1)
            }
        case UInt8(ascii: "["):
            position &+= 1
            var first = true
            while try nextElement(first: first) {
                first = false
                try skipValue(depth: depth - 1)
            }
        case UInt8(ascii: "\""):
            let (range, _) = try string()
            guard UTF8Validation.isValid(bytes.slice(range)) else {
                throw OTLPDecodingError(.invalidUTF8, at: range.lowerBound, "invalid UTF-8 in a JSON string")
            }
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): _ = try literal()
        case nil: throw syntaxError("unexpected end")
        default: _ = try number()
        }
    }
}
