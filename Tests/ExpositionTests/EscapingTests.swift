import Exposition
import Testing

@Suite("HELP escaping")
struct EscapingTests {
    @Test(
        "text 0.0.4 escapes backslash and line feed; OpenMetrics also double quotes",
        arguments: [
            ("plain help", "plain help", "plain help"),
            ("", "", ""),
            (#"a \ b"#, #"a \\ b"#, #"a \\ b"#),
            ("two\nlines", #"two\nlines"#, #"two\nlines"#),
            (#"say "hi""#, #"say "hi""#, #"say \"hi\""#),
            (#"\n is not a line feed"#, #"\\n is not a line feed"#, #"\\n is not a line feed"#),
            ("two-line\n doc  str\\ing", #"two-line\n doc  str\\ing"#, #"two-line\n doc  str\\ing"#),
            ("tab\tand ünïcödé ✓", "tab\tand ünïcödé ✓", "tab\tand ünïcödé ✓"),
            ("\n\n\\\"", #"\n\n\\""#, #"\n\n\\\""#),
        ] as [(String, String, String)])
    func help(raw: String, text: String, openMetrics: String) {
        var textBytes: [UInt8] = []
        ExpositionFormat.prometheusText004.appendHelp(raw, to: &textBytes)
        var openMetricsBytes: [UInt8] = []
        ExpositionFormat.openMetrics100.appendHelp(raw, to: &openMetricsBytes)
        #expect(String(decoding: textBytes, as: UTF8.self) == text)
        #expect(String(decoding: openMetricsBytes, as: UTF8.self) == openMetrics)
    }
}
