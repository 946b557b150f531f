/// The operating system identification of /etc/os-release (or /usr/lib/os-release): `KEY=value` lines in the
/// shell-like syntax of os-release(5), e.g. `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"`.
///
/// Parsed as node_exporter parses it (hashicorp/go-envparse 0.1.0): blank lines and `#` comments are skipped, an
/// `export ` prefix is dropped, a value may mix bare text, `"double-quoted"` text with the escapes `\" \\ \/ \b \f
/// \r \n \t \uXXXX`, and `'single-quoted'` text; an unquoted `#` starts a comment. A key with an empty value counts
/// as absent, and a later line overrides an earlier one.
public struct OSRelease: Sendable, Equatable {
    /// Every key with a non-empty value.
    public let fields: [String: String]

    public init(fields: [String: String]) {
        self.fields = fields
    }

    /// The value of `key`, or "" when the file does not set it.
    public subscript(key: String) -> String {
        fields[key] ?? ""
    }

    /// The major.minor number at the start of `VERSION_ID` (`12` → 12, `22.04` → 22.04, `3.18.4` → 3.18), as
    /// node_exporter's `^[0-9]+\.?[0-9]*` takes it; 0 when it does not start with a digit.
    public var majorMinorVersion: Double {
        let version = Array(self["VERSION_ID"].utf8)
        var end = 0
        while end < version.count && isDigit(version[end]) { end += 1 }
        guard end > 0 else { return 0 }
        if end < version.count && version[end] == ASCII.period {
            end += 1
            while end < version.count && isDigit(version[end]) { end += 1 }
        }
        return version[..<end].withUnsafeBytes { $0.decimalDouble() } ?? 0
    }

    static let file = "/etc/os-release"

    /// Parses an os-release file. A line without `=`, a key that is empty or has characters outside
    /// `[A-Za-z0-9_./]` (or starts with a digit, `.` or `/`), a control character in a value, an unterminated quote
    /// and an invalid escape are malformed.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> OSRelease {
        var fields: [String: String] = [:]
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != ASCII.newline { end += 1 }
            lineNumber += 1
            let line = bytes[start..<end]
            start = end + 1
            switch parseLine(line) {
            case .skip: continue
            case .pair(let key, let value): if !value.isEmpty { fields[key] = value }
            case .malformed(let reason):
                throw .malformed(file: file, line: lineNumber, reason: reason)
            }
        }
        return OSRelease(fields: fields)
    }

    private enum Line {
        case skip
        case pair(String, String)
        case malformed(String)
    }

    private static func parseLine(_ raw: ArraySlice<UInt8>) -> Line {
        let line = trimmingSpace(raw)
        guard let first = line.first, first != UInt8(ascii: "#") else { return .skip }
        guard let equals = line.firstIndex(of: ASCII.equals) else { return .malformed("missing =") }
        var key = trimmingSpace(line[..<equals])
        let value = trimmingSpace(line[(equals + 1)...])
        let export = Array("export ".utf8)
        if key.count > export.count && key.starts(with: export) { key = key.dropFirst(export.count) }
        guard let head = key.first else { return .malformed("empty key") }
        guard isLetter(head) || head == UInt8(ascii: "_") else {
            return .malformed("key must start with [A-Za-z_]")
        }
        for byte in key.dropFirst()
        where
            !(isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "_") || byte == ASCII.period
            || byte == ASCII.slash)
        {
            return .malformed("key characters must be [A-Za-z0-9/_.]")
        }
        switch unquote(value) {
        case .success(let text): return .pair(String(decoding: key, as: UTF8.self), text)
        case .failure(let error): return .malformed(error.reason)
        }
    }

    private struct ValueError: Error {
        let reason: String
    }

    private enum Mode { case normal, doubleQuote, singleQuote, escape }

    /// The value with quotes and escapes resolved, as go-envparse's `parseLine` does.
    private static func unquote(_ value: ArraySlice<UInt8>) -> Result<String, ValueError> {
        var output: [UInt8] = []
        output.reserveCapacity(value.count)
        var lastSignificant = 0
        var mode = Mode.normal
        var index = value.startIndex
        while index < value.endIndex {
            let byte = value[index]
            defer { index += 1 }
            if byte < 32 { return .failure(ValueError(reason: "control character in value")) }
            if byte > 127 {
                if mode == .escape { return .failure(ValueError(reason: "multibyte character in escape sequence")) }
                output.append(byte)
                lastSignificant = output.count
                continue
            }
            switch mode {
            case .normal:
                switch byte {
                case UInt8(ascii: "\""): mode = .doubleQuote
                case UInt8(ascii: "'"): mode = .singleQuote
                case UInt8(ascii: "#"): return .success(String(decoding: output[..<lastSignificant], as: UTF8.self))
                case ASCII.space, ASCII.tab: output.append(byte)
                default:
                    output.append(byte)
                    lastSignificant = output.count
                }
            case .doubleQuote:
                switch byte {
                case UInt8(ascii: "\""): mode = .normal
                case ASCII.backslash: mode = .escape
                default:
                    output.append(byte)
                    lastSignificant = output.count
                }
            case .singleQuote:
                if byte == UInt8(ascii: "'") {
                    mode = .normal
                } else {
                    output.append(byte)
                    lastSignificant = output.count
                }
            case .escape:
                switch byte {
                case UInt8(ascii: "\""), ASCII.backslash, ASCII.slash: output.append(byte)
                case UInt8(ascii: "b"): output.append(8)
                case UInt8(ascii: "f"): output.append(12)
                case UInt8(ascii: "r"): output.append(13)
                case UInt8(ascii: "n"): output.append(ASCII.newline)
                case UInt8(ascii: "t"): output.append(ASCII.tab)
                case UInt8(ascii: "u"):
                    guard var scalar = hexScalar(value, at: index + 1) else {
                        return .failure(ValueError(reason: "incomplete or invalid \\u escape"))
                    }
                    index += 4
                    if (0xD800...0xDFFF).contains(scalar) {
                        guard index + 6 < value.endIndex, value[index + 1] == ASCII.backslash,
                            value[index + 2] == UInt8(ascii: "u"), let low = hexScalar(value, at: index + 3)
                        else { return .failure(ValueError(reason: "incomplete Unicode surrogate pair")) }
                        index += 6
                        let isPair = scalar < 0xDC00 && (0xDC00...0xDFFF).contains(low)
                        scalar = isPair ? 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                    }
                    output.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
                default:
                    return .failure(ValueError(reason: "invalid escape sequence"))
                }
                lastSignificant = output.count
                mode = .doubleQuote
            }
        }
        switch mode {
        case .normal: return .success(String(decoding: output, as: UTF8.self))
        case .doubleQuote: return .failure(ValueError(reason: "unmatched \""))
        case .singleQuote: return .failure(ValueError(reason: "unmatched '"))
        case .escape: return .failure(ValueError(reason: "incomplete escape sequence"))
        }
    }

    /// The four hexadecimal digits at `index`, or nil.
    private static func hexScalar(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt32? {
        guard index + 4 <= bytes.endIndex else { return nil }
        var value: UInt32 = 0
        for byte in bytes[index..<(index + 4)] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value * 16 + UInt32(digit)
        }
        return value
    }

    /// The bytes without leading and trailing ASCII white space, as Go's `bytes.TrimSpace` trims it.
    private static func trimmingSpace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        func isSpace(_ byte: UInt8) -> Bool { byte == ASCII.space || (9...13).contains(byte) }
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end && isSpace(bytes[start]) { start += 1 }
        while end > start && isSpace(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }
}

private func isDigit(_ byte: UInt8) -> Bool {
    byte >= ASCII.zero && byte <= ASCII.zero + 9
}
