extension ExpositionFormat {
    /// Appends HELP text escaped for this format: backslash and line feed become `\\` and `\n` in both formats,
    /// and a double quote becomes `\"` in OpenMetrics only (text 0.0.4 keeps quotes in HELP as they are, as
    /// client_golang's `escaper` does).
    ///
    /// Label values need no escaping here: ``MetricsCore/LabelSet/encoded`` already holds them escaped, and their
    /// escaping is the same in both formats.
    public func appendHelp(_ help: String, to bytes: inout [UInt8]) {
        let escapesQuotes = self == .openMetrics100
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.appendASCII("\\\\")
            case UInt8(ascii: "\n"): bytes.appendASCII("\\n")
            case UInt8(ascii: "\"") where escapesQuotes: bytes.appendASCII("\\\"")
            default: bytes.append(byte)
            }
        }
    }
}
