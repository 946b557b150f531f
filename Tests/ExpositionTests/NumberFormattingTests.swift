import Exposition
import Testing

@Suite("Number formatting")
struct NumberFormattingTests {
    private static func sampleText(_ value: Double) -> String {
        var bytes: [UInt8] = []
        ExpositionFormat.prometheusText004.appendSampleValue(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func boundText(_ bound: Double, _ format: ExpositionFormat) -> String {
        var bytes: [UInt8] = []
        format.appendBucketBound(bound, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test(
        "sample values",
        arguments: [
            (0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (42, "42"), (1234567, "1234567"),
            (-9_007_199_254_740_991, "-9007199254740991"), (1e15, "1000000000000000"),
            (9_007_199_254_740_991, "9007199254740991"),
            // 2^53 and above are not integers to the formatter: every such Double is integral, not every integer is
            // a Double.
            (9_007_199_254_740_992, "9007199254740992.0"), (9_007_199_254_740_994, "9.007199254740994e+15"),
            (0.1, "0.1"), (1234.56, "1234.56"), (-2.5, "-2.5"), (1e-05, "1e-05"), (0.0001, "0.0001"),
            (1e+16, "1e+16"), (1.7976931348623157e+308, "1.7976931348623157e+308"),
            (-1.7976931348623157e+308, "-1.7976931348623157e+308"), (.leastNonzeroMagnitude, "5e-324"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            // Values that need all 17 significant digits to read back.
            (0.30000000000000004, "0.30000000000000004"), (0.1 + 0.7, "0.7999999999999999"),
            (1.0000000000000002, "1.0000000000000002"), (123456789.12345679, "123456789.12345679"),
            (.nan, "NaN"), (-Double.nan, "NaN"), (.infinity, "+Inf"), (-.infinity, "-Inf"),
        ] as [(Double, String)])
    func sampleValue(value: Double, expected: String) {
        #expect(Self.sampleText(value) == expected)
    }

    @Test(
        "every finite sample value reads back as the same Double",
        arguments: [
            0.1, 1e-05, 1234.56, .leastNonzeroMagnitude, 1.7976931348623157e+308, 0.30000000000000004,
            9_007_199_254_740_994,
            -3.141592653589793, 6.02214076e+23, 1.0000000000000002,
        ])
    func roundTrip(value: Double) throws {
        let parsed = try #require(Double(Self.sampleText(value)))
        #expect(parsed == value)
    }

    @Test(
        "le values in text 0.0.4 and OpenMetrics",
        arguments: [
            (0, "0", "0.0"), (-0.0, "0", "0.0"), (1, "1", "1.0"), (-1, "-1", "-1.0"), (0.005, "0.005", "0.005"),
            (0.001, "0.001", "0.001"), (0.95, "0.95", "0.95"), (2.5, "2.5", "2.5"), (10, "10", "10.0"),
            (1.7, "1.7", "1.7"), (100_000, "100000", "100000.0"), (1e6, "1e+06", "1e+06"),
            (1_234_567, "1.234567e+06", "1.234567e+06"), (1e10, "1e+10", "1e+10"), (0.0001, "0.0001", "0.0001"),
            (1e-05, "1e-05", "1e-05"), (1e-10, "1e-10", "1e-10"), (0.00012, "0.00012", "0.00012"),
            (1.5e-07, "1.5e-07", "1.5e-07"), (-2.5e-05, "-2.5e-05", "-2.5e-05"), (1e300, "1e+300", "1e+300"),
            (.leastNonzeroMagnitude, "5e-324", "5e-324"), (123456.7, "123456.7", "123456.7"),
            (.infinity, "+Inf", "+Inf"),
            (-.infinity, "-Inf", "-Inf"), (.nan, "NaN", "NaN"),
        ] as [(Double, String, String)])
    func bucketBound(bound: Double, text: String, openMetrics: String) {
        #expect(Self.boundText(bound, .prometheusText004) == text)
        #expect(Self.boundText(bound, .openMetrics100) == openMetrics)
    }

    @Test("OpenMetrics' canonical examples for 0 to 10 and powers of ten")
    func canonicalExamples() {
        // The examples of the OpenMetrics 1.0 specification, "Considerations: Canonical Numbers".
        let expected = [
            "0.0", "0.001", "0.002", "0.01", "0.1", "0.9", "0.95", "0.99", "0.999", "1.0", "1.7", "10.0",
            "1e-10", "1e-09", "1e-05", "0.0001", "0.1", "1.0", "100000.0", "1e+06", "1e+10",
        ]
        let bounds = [
            0, 0.001, 0.002, 0.01, 0.1, 0.9, 0.95, 0.99, 0.999, 1, 1.7, 10, 1e-10, 1e-09, 1e-05, 0.0001, 0.1, 1,
            100_000, 1e6, 1e10,
        ]
        #expect(bounds.map { Self.boundText($0, .openMetrics100) } == expected)
    }

    @Test("formatting appends to what the buffer already holds")
    func appends() {
        var bytes = Array("x ".utf8)
        ExpositionFormat.openMetrics100.appendSampleValue(0.5, to: &bytes)
        ExpositionFormat.openMetrics100.appendBucketBound(2, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "x 0.52.0")
    }
}
