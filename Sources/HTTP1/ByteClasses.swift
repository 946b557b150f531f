/// The bytes and byte classes of HTTP/1.1 syntax (RFC 9110 §5.6, RFC 9112 §2-5).
enum ASCII {
    static let horizontalTab = UInt8(ascii: "\t")
    static let lineFeed = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let period = UInt8(ascii: ".")
    static let slash = UInt8(ascii: "/")
    static let questionMark = UInt8(ascii: "?")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let delete: UInt8 = 0x7F

    /// `tchar` of RFC 9110 §5.6.2: the characters of methods, header names and Connection options.
    @inline(__always)
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), zero...nine:
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), period,
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Optional whitespace (`OWS`, RFC 9110 §5.6.3): space or horizontal tab.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == horizontalTab }

    /// A control character that may never appear in a request head: every C0 control except HTAB, CR and LF
    /// (which the line syntax handles), and DEL.
    @inline(__always)
    static func isForbiddenInHead(_ byte: UInt8) -> Bool {
        (byte < space && byte != horizontalTab && byte != carriageReturn && byte != lineFeed) || byte == delete
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte >= zero && byte <= nine }

    /// ASCII lower case; other bytes unchanged. Header names and Connection options compare case-insensitively.
    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// Whether `bytes` equal `lowercaseName` ignoring ASCII case; `lowercaseName` must already be lower case.
    static func equalsIgnoringCase(
        _ bytes: UnsafeBufferPointer<UInt8>.SubSequence, _ lowercaseName: StaticString
    ) -> Bool {
        guard bytes.count == lowercaseName.utf8CodeUnitCount else { return false }
        let name = UnsafeBufferPointer(start: lowercaseName.utf8Start, count: lowercaseName.utf8CodeUnitCount)
        var nameIndex = 0
        for byte in bytes {
            guard lowercased(byte) == name[nameIndex] else { return false }
            nameIndex += 1
        }
        return true
    }
}

extension Array where Element == UInt8 {
    /// Appends the decimal digits of a non-negative integer without going through `String`.
    mutating func appendDecimal(_ value: Int) {
        precondition(value >= 0, "appendDecimal takes non-negative values")
        if value < 10 {
            append(ASCII.zero + UInt8(value))
            return
        }
        let start = count
        var remaining = value
        while remaining > 0 {
            append(ASCII.zero + UInt8(remaining % 10))
            remaining /= 10
        }
        self[start...].reverse()
    }

    /// Appends the UTF-8 bytes of a string.
    mutating func append(_ string: String) {
        append(contentsOf: string.utf8)
    }

    /// Appends the bytes of a static string.
    mutating func append(_ string: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: string.utf8Start, count: string.utf8CodeUnitCount))
    }

    /// Appends CR LF.
    mutating func appendLineEnd() {
        append(ASCII.carriageReturn)
        append(ASCII.lineFeed)
    }
}
