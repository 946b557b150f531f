extension ExpositionFormat {
    /// Appends HELP text escaped for this format: backslash and line feed become `\\` and `\n` in both formats,
    /// and a double quote becomes `\"` in OpenMetrics only (text 0.0.4 keeps quotes in HELP as they are, as
    /// client_golang's `escaper` does).
    ///
    /// Label values need no escaping here: ``MetricsCore/LabelSet/encoded`` already holds them escaped, and their
    /// escaping is the same in both formats.
    public func appendHelp(_ help: String, to bytes: inout [UInt8]) {
        let escapesQuotes = self == .openMetrics100
        var help = help
        help.withUTF8 { text in
            // The runs between characters that need escaping are copied in one piece; most HELP texts are one run.
            var runStart = 0
            for index in 0..<text.count {
                let escape: StaticString
                switch text[index] {
                case UInt8(ascii: "\\"): escape = #"\\"#
                case UInt8(ascii: "\n"): escape = #"\n"#
                case UInt8(ascii: "\"") where escapesQuotes: escape = #"\""#
                default: continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<index]))
                bytes.appendASCII(escape)
                runStart = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart...]))
        }
    }
}
