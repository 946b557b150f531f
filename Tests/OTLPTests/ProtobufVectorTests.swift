import OTLP
import ProtobufWire
import Testing

/// The protobuf vectors from `Vectors/generate.py` (opentelemetry-proto's classes, and hand-built wire bytes).
@Suite struct ProtobufVectorTests {
    @Test(arguments: Vectors.entries(format: "protobuf").filter { $0.dump != nil })
    func decodesValidVectorAsPythonProtobufDoes(_ entry: Vectors.Entry) throws {
        let lines = try protobufDump(Vectors.bytes(entry.file))
        #expect(lines == entry.dump)
    }

    @Test(arguments: Vectors.entries(format: "protobuf").filter { $0.error != nil })
    func refusesMalformedVectorWithItsReason(_ entry: Vectors.Entry) {
        #expect {
            _ = try protobufDump(Vectors.bytes(entry.file))
        } throws: { error in
            (error as? OTLPDecodingError)?.reason.rawValue == entry.error
        }
    }

    @Test func refusesAMalformedBodyBeforeVisitingAnything() {
        // A good metric followed by a truncated one: the visitor must not have seen the first.
        var body = Vectors.bytes("every_kind.pb")
        body += [0x0A, 0x05, 0x12]
        var visitor = DumpingVisitor()
        #expect(throws: OTLPDecodingError.self) { try OTLPMetricsDecoder().decode(body, into: &visitor) }
        #expect(visitor.lines.isEmpty)
    }

    @Test func anEmptyBodyIsAnEmptyRequest() throws {
        #expect(try protobufDump([]) == [])
    }

    @Test func nestingLimitIsConfigurable() throws {
        let nested = Vectors.bytes("nested_10.pb")
        #expect(try protobufDump(nested).count == 2)
        #expect {
            _ = try protobufDump(nested, decoder: OTLPMetricsDecoder(maximumDepth: 20))
        } throws: { error in
            (error as? OTLPDecodingError)?.reason == .nestingTooDeep
        }
    }

    @Test func wrongWireTypeNamesTheFieldAndMessage() {
        #expect {
            _ = try protobufDump(Vectors.bytes("wrong_wire_type.pb"))
        } throws: { error in
            (error as? OTLPDecodingError)?.message
                == "wrong wire type 0 (varint) for field 1 of Metric (want length-delimited)"
        }
    }

    @Test(arguments: [
        ([0x10] as [UInt8], OTLPDecodingError.Reason.truncated),  // an unknown varint field without its value
        ([0x11, 1, 2, 3], .truncated),  // an unknown fixed64 field with 3 bytes
        ([0x15, 1], .truncated),  // an unknown fixed32 field with 1 byte
        ([0x00, 0x00], .invalidTag),  // field number 0
        ([0x0E], .invalidTag),  // wire type 6
        ([0x0F], .invalidTag),  // wire type 7
        ([0x0B], .groupNotSupported),  // start group
        ([0x0C], .groupNotSupported),  // end group
        ([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], .varintOverflow),  // 11-byte tag
        ([0xFF, 0xFF, 0xFF, 0xFF, 0x7F], .invalidTag),  // a tag above 32 bits
        ([0x0A, 0x02, 0x1A, 0x01], .truncated),  // a nested length past its message
    ])
    func refusesBrokenWire(_ bytes: [UInt8], _ reason: OTLPDecodingError.Reason) {
        #expect {
            _ = try protobufDump(bytes)
        } throws: { error in
            (error as? OTLPDecodingError)?.reason == reason
        }
    }

    @Test func acceptsTenByteVarintsAndNonMinimalOnes() throws {
        // ResourceMetrics with an unknown varint field holding UInt64.max (10 bytes), and a length written in
        // 3 bytes where 1 would do.
        let body: [UInt8] = [0x0A, 0x80, 0x80, 0x00]
        #expect(try protobufDump(body) == [])
        let maximum: [UInt8] = [0x0A, 12, 0xF8, 0x07] + [UInt8](repeating: 0xFF, count: 9) + [0x01]
        #expect(try protobufDump(maximum) == [])
    }
}
