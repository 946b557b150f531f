import Testing

@testable import PushProtocol

@Suite struct DecimalNumberTests {
    private func parse(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { DecimalNumber.parse($0, 0..<bytes.count) }
    }

    @Test(arguments: [
        ("0", 0.0), ("1", 1), ("123", 123), ("-7", -7), ("+7", 7), ("1.5", 1.5), ("-2.25", -2.25), (".5", 0.5),
        ("5.", 5), ("1e3", 1000), ("1E-3", 0.001), ("2.5e+2", 250), ("00001", 1), ("0.1", 0.1), ("98.6", 98.6),
        ("9007199254740993", 9_007_199_254_740_992), ("12345678901234567890", 12_345_678_901_234_567_168),
        ("3.14159265358979323846", 3.141592653589793), ("1e22", 1e22), ("1e23", 1e23), ("1e-22", 1e-22),
        ("123456789e-30", 123456789e-30), ("4.9e-324", Double.leastNonzeroMagnitude), ("1e-400", 0),
        ("1.7976931348623157e308", 1.7976931348623157e308), ("0e99999999999999999999", 0), ("-0.0", -0.0),
        ("0.000000000000000000000000000001", 1e-30),
    ])
    func parsesNumber(_ text: String, _ expected: Double) {
        #expect(parse(text) == expected)
        #expect(parse(text)?.sign == expected.sign)
    }

    @Test(arguments: [
        "", "+", "-", ".", "e5", "1e", "1e+", "1e-", "1.2.3", "1..2", " 1", "1 ", "1o", "0x10", "1_000", "inf",
        "Infinity", "nan", "1.8e308", "-1e400", "1" + String(repeating: "0", count: 400), "1:2", "١",
    ])
    func refusesText(_ text: String) {
        #expect(parse(text) == nil)
    }

    @Test func prefixStopsAtTheFirstByteThatIsNotPartOfTheNumber() throws {
        let bytes = Array("-12.5e1|c".utf8)
        let (value, end) = try #require(bytes.withUnsafeBytes { DecimalNumber.parsePrefix($0, 0, bytes.count) })
        #expect(value == -125)
        #expect(end == 7)
    }

    /// Random decimals, on the fast path and off it, against the standard library's correctly rounded
    /// conversion.
    @Test func agreesWithTheStandardLibraryOnRandomDecimals() {
        var random = SeededGenerator(seed: 0x5EED_0001)
        for _ in 0..<50_000 {
            var text = Bool.random(using: &random) ? "-" : ""
            let integerDigits = Int.random(in: 0...20, using: &random)
            let fractionDigits = Int.random(in: (integerDigits == 0 ? 1 : 0)...20, using: &random)
            for _ in 0..<integerDigits { text.append(Character(String(Int.random(in: 0...9, using: &random)))) }
            if fractionDigits > 0 || Bool.random(using: &random) { text.append(".") }
            for _ in 0..<fractionDigits { text.append(Character(String(Int.random(in: 0...9, using: &random)))) }
            if Bool.random(using: &random) { text.append("e\(Int.random(in: -330...310, using: &random))") }
            let expected = Double(text).flatMap { $0.isFinite ? $0 : nil }
            #expect(parse(text) == expected, "\(text)")
        }
    }
}
