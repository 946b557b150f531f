import Glibc
import Testing

@testable import ProcFS

@Suite struct ByteScannerTests {
    @Test(
        arguments: [
            ("0", 0),
            ("007", 7),
            ("18446744073709551615", UInt64.max),
            ("18446744073709551616", nil),
            ("99999999999999999999", nil),
            ("184467440737095516150", nil),
            ("", nil),
            ("-1", nil),
            ("+1", nil),
            ("1 ", nil),
            ("1a", nil),
            ("0x10", nil),
        ] as [(String, UInt64?)])
    func parsesUnsignedDecimals(text: String, expected: UInt64?) {
        #expect(bytes(text).withUnsafeBytes { $0.decimalUInt64() } == expected)
    }

    @Test(
        arguments: [
            ("0", 0),
            ("-1", -1),
            ("9223372036854775807", Int64.max),
            ("-9223372036854775808", Int64.min),
            ("9223372036854775808", nil),
            ("-9223372036854775809", nil),
            ("-", nil),
            ("--1", nil),
            ("", nil),
        ] as [(String, Int64?)])
    func parsesSignedDecimals(text: String, expected: Int64?) {
        #expect(bytes(text).withUnsafeBytes { $0.decimalInt64() } == expected)
    }

    @Test(
        arguments: [
            ("0", 0),
            ("0002e1c0", 188_864),
            ("deadBEEF", 0xdead_beef),
            ("ffffffffffffffff", UInt64.max),
            ("0000ffffffffffffffff", UInt64.max),
            ("10000000000000000", nil),
            ("", nil),
            ("0x10", nil),
            ("-1", nil),
            ("g", nil),
            ("1 ", nil),
        ] as [(String, UInt64?)])
    func parsesHexadecimals(text: String, expected: UInt64?) {
        #expect(bytes(text).withUnsafeBytes { $0.hexadecimalUInt64() } == expected)
    }

    @Test(arguments: [
        "0", "0.21", "0.37", "0.39", "12.50", "100.99", "1.", ".5", "0000000000000000000000001.5",
        "9007199254740993", "9007199254740992.5", "123456789012345678901234567890",
        "0.1000000000000000055511151231257827",
        "3.14159265358979323846264338327950288", "0.0000000000000000000001", "0.00000000000000000000001",
        "17976931348623157000000000000000000000000", "1797693134862315708145274237317043567981",
    ])
    func parsesDecimalsExactlyAsStrtod(text: String) {
        let expected = strtod(text, nil)
        #expect(bytes(text).withUnsafeBytes { $0.decimalDouble() } == expected)
    }

    @Test func agreesWithStrtodOnGeneratedDecimals() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let integerDigits = Int.random(in: 0...20, using: &generator)
            let fractionDigits = Int.random(in: integerDigits == 0 ? 1...25 : 0...25, using: &generator)
            var text = String((0..<integerDigits).map { _ in Character(String(Int.random(in: 0...9))) })
            text += "." + String((0..<fractionDigits).map { _ in Character(String(Int.random(in: 0...9))) })
            let parsed = bytes(text).withUnsafeBytes { $0.decimalDouble() }
            #expect(parsed == strtod(text, nil), "\(text)")
        }
    }

    @Test(arguments: ["", ".", "..", "1..2", "1.2.3", "-1", "+1", "1e5", "inf", "nan", "0x1p3", " 1", "1 "])
    func rejectsNonDecimals(text: String) {
        #expect(bytes(text).withUnsafeBytes { $0.decimalDouble() } == nil)
    }

    @Test func splitsLinesAndFields() {
        let text = bytes("a  b\tc \n\n  d\nlast")
        text.withUnsafeBytes { raw in
            var lines = LineScanner(raw)
            var collected: [[String]] = []
            while let line = lines.next() {
                var fields = FieldScanner(line)
                var row: [String] = []
                while let field = fields.next() { row.append(field.string) }
                collected.append(row)
            }
            #expect(collected == [["a", "b", "c"], [], ["d"], ["last"]])
            #expect(lines.lineNumber == 4)
        }
    }

    @Test(arguments: [
        (#"/mnt/my\040disk"#, "/mnt/my disk"),
        (#"\011\012\134"#, "\t\n\\"),
        (#"\040"#, " "),
        (#"a\04"#, #"a\04"#),
        (#"a\400b"#, #"a\400b"#),
        (#"a\08b"#, #"a\08b"#),
        (#"trailing\"#, #"trailing\"#),
        (#"\303\251t\303\251"#, "été"),
        ("plain", "plain"),
    ])
    func decodesOctalEscapes(text: String, expected: String) {
        #expect(bytes(text).withUnsafeBytes { $0.decodingOctalEscapes() } == expected)
    }

    @Test func quotesControlCharactersInErrors() {
        let error = bytes("bad\tline \"x\" \u{1}").withUnsafeBytes { raw in
            ProcFSError.malformed("/proc/x", line: 7, expected: "something", got: raw)
        }
        #expect(error.description == #"/proc/x:7: expected something, got "bad\tline \"x\" \u{01}""#)
        let long = [UInt8](repeating: 65, count: 200).withUnsafeBytes { raw in
            ProcFSError.malformed("/proc/x", line: 1, expected: "short", got: raw)
        }
        #expect(long.description.hasSuffix(String(repeating: "A", count: 120) + "\"…"))
    }
}
