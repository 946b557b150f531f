import OTLP
import Testing

/// Decodes a JSON body into its dump.
func jsonDump(_ bytes: [UInt8]) throws(OTLPDecodingError) -> [String] {
    var visitor = DumpingVisitor()
    try OTLPJSONDecoder().decode(bytes, into: &visitor)
    return visitor.lines
}

/// The JSON vectors from `Vectors/generate.py` (`json_format` output in both key styles, and a hand-written body).
@Suite struct JSONVectorTests {
    @Test(arguments: Vectors.entries(format: "json").filter { $0.dump != nil })
    func decodesValidVectorAsPythonJSONFormatDoes(_ entry: Vectors.Entry) throws {
        #expect(try jsonDump(Vectors.bytes(entry.file)) == entry.dump)
    }

    @Test(arguments: Vectors.entries(format: "json").filter { $0.error != nil })
    func refusesMalformedVectorWithItsReason(_ entry: Vectors.Entry) {
        #expect {
            _ = try jsonDump(Vectors.bytes(entry.file))
        } throws: { error in
            (error as? OTLPDecodingError)?.reason.rawValue == entry.error
        }
    }

    @Test func transcodesToTheSameProtobufAsPythonWrites() throws {
        // json_format's output transcoded back must equal the deterministic serialization, byte for byte.
        let json = Vectors.bytes("every_kind.json")
        #expect(try OTLPJSONDecoder().transcode(json) == Vectors.bytes("every_kind.pb"))
    }

    @Test(arguments: [
        (#"{"resourceMetrics":[]}"#, 0), (#"  {}  "#, 0), (#"{"resourceMetrics":null}"#, 0),
        (#"{"unknown":{"a":[1,2.5e-3,true,false,null,"\u00e9"]},"resourceMetrics":[]}"#, 0),
        (
            #"{"resource_metrics":[{"scope_metrics":[{"metrics":[{"name":"m","gauge":{"data_points":[{"as_int":"1"}]}}]}]}]}"#,
            2
        ),
    ])
    func acceptsWellFormedBodies(_ text: String, _ lineCount: Int) throws {
        #expect(try jsonDump(Array(text.utf8)).count == lineCount)
    }

    @Test(arguments: [
        ("", OTLPDecodingError.Reason.invalidJSON), ("[]", .invalidJSONValue), (#"{"a":}"#, .invalidJSON),
        (#"{"a":1,}"#, .invalidJSON), (#"{"a" 1}"#, .invalidJSON), (#"{"a":01}"#, .invalidJSON),
        (#"{"a":1.}"#, .invalidJSON), (#"{"a":"\x"}"#, .invalidJSON), (#"{"a":"\u12"}"#, .invalidJSON),
        ("{\"a\":\"\u{1}\"}", .invalidJSON), (#"{"a":tru}"#, .invalidJSON), (#"{"a":"open"#, .invalidJSON),
        (#"{"resourceMetrics":[{"resource":{"attributes":[{"key":"\ud800"}]}}]}"#, .invalidUTF8),
        (#"{"resourceMetrics":[{"resource":{"droppedAttributesCount":-1}}]}"#, .invalidJSONValue),
        (#"{"resourceMetrics":[{"resource":{"droppedAttributesCount":4294967296}}]}"#, .invalidJSONValue),
        (#"{"resourceMetrics":[{"resource":{"droppedAttributesCount":1.5}}]}"#, .invalidJSONValue),
        (#"{"resourceMetrics":[{"resource":{"attributes":[{"value":{"boolValue":"true"}}]}}]}"#, .invalidJSONValue),
        (#"{"resourceMetrics":[{"resource":{"attributes":[{"value":{"bytesValue":"A"}}]}}]}"#, .invalidJSONValue),
        (#"{"resourceMetrics":[{"resource":{"attributes":[{"value":{"doubleValue":"nan"}}]}}]}"#, .invalidJSONValue),
        (
            #"{"resourceMetrics":[{"resource":{"attributes":[{"value":{"intValue":"9223372036854775808"}}]}}]}"#,
            .invalidJSONValue
        ),
    ])
    func refusesMalformedBodies(_ text: String, _ reason: OTLPDecodingError.Reason) {
        #expect {
            _ = try jsonDump(Array(text.utf8))
        } throws: { error in
            (error as? OTLPDecodingError)?.reason == reason
        }
    }
}
