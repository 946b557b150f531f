import PushProtocol
import Testing

@Suite struct PushSeriesKeyTests {
    @Test(arguments: [
        ("crypto.data.processed", "crypto_data_processed"),
        ("crypto_processing_duration_seconds", "crypto_processing_duration_seconds"),
        ("foo", "foo"),
        ("job:rate5m", "job:rate5m"),
        ("1abc", "_1abc"),
        ("9", "_9"),
        ("_x", "_x"),
        ("a b-c/d", "a_b_c_d"),
        ("x|y", "x_y"),
        ("#name", "_name"),
        ("dätä", "d_t_"),
        ("temp😀", "temp_"),
        ("4€", "_4_"),
    ])
    func sanitizesMetricName(_ raw: String, _ expected: String) throws {
        #expect(try sanitizedName(bytes: Array(raw.utf8)).get() == expected)
    }

    @Test(arguments: [
        ([0x66, 0xC3, 0x28], PushRejectionReason.invalidUTF8),
        ([0xFF], .invalidUTF8),
        ([0x61, 0xED, 0xA0, 0x80], .invalidUTF8),
        ([], .emptyName),
    ])
    func refusesMetricName(_ bytes: [UInt8], _ reason: PushRejectionReason) throws {
        #expect(try #require(rejection(sanitizedName(bytes: bytes))).reason == reason)
    }

    @Test(arguments: [
        ("", [PushLabel]()),
        ("a:b", [PushLabel(name: "a", value: "b")]),
        ("tag1:bar,#tag2:baz", [PushLabel(name: "tag1", value: "bar"), PushLabel(name: "tag2", value: "baz")]),
        ("#tag1:bar,#tag2:baz", [PushLabel(name: "tag1", value: "bar"), PushLabel(name: "tag2", value: "baz")]),
        ("zone:a,env:prod", [PushLabel(name: "env", value: "prod"), PushLabel(name: "zone", value: "a")]),
        ("tag1:foo:bar", [PushLabel(name: "tag1", value: "foo:bar")]),
        (
            "09digits:0,tag.with.dots:1",
            [PushLabel(name: "_09digits", value: "0"), PushLabel(name: "tag_with_dots", value: "1")]
        ),
        ("a:1,a:2", [PushLabel(name: "a", value: "2")]),
        ("a.b:1,a_b:2", [PushLabel(name: "a_b", value: "2")]),
        ("a_b:2,a.b:1,c:3", [PushLabel(name: "a_b", value: "1"), PushLabel(name: "c", value: "3")]),
        ("k:v with space", [PushLabel(name: "k", value: "v with space")]),
        ("k:\"quoted\\\"", [PushLabel(name: "k", value: "\"quoted\\\"")]),
        ("ké:dätä", [PushLabel(name: "k_", value: "dätä")]),
        ("a:b:c:d", [PushLabel(name: "a", value: "b:c:d")]),
        ("_x:1", [PushLabel(name: "_x", value: "1")]),
        (".:x:1", [PushLabel(name: "_", value: "x:1")]),
        ("##a:1", [PushLabel(name: "_a", value: "1")]),
    ])
    func makesLabels(_ tags: String, _ expected: [PushLabel]) throws {
        #expect(try labels(fromTags: tags).get() == expected)
    }

    @Test(arguments: [
        ("tag_without_a_value", PushRejectionReason.tagWithoutValue),
        ("tag_without_a_value,tag:value", .tagWithoutValue),
        ("a:", .tagWithoutValue),
        ("a:1,,b:2", .tagWithoutValue),
        ("a:1,", .tagWithoutValue),
        (",", .tagWithoutValue),
        (":x", .invalidTagKey),
        ("#:x", .invalidTagKey),
        ("#:x:1", .invalidTagKey),
        ("__name__:x", .invalidTagKey),
        ("..x:1", .invalidTagKey),
        ("#__x:1", .invalidTagKey),
    ])
    func refusesTags(_ tags: String, _ reason: PushRejectionReason) throws {
        let refusal = try #require(rejection(labels(fromTags: tags)))
        #expect(refusal.reason == reason)
        #expect(!refusal.message.isEmpty)
    }

    @Test(arguments: [
        Array("tag:".utf8) + [0xC3, 0x28] + Array("invalid".utf8),
        Array("tag1:valid,tag2:".utf8) + [0xC3, 0x28],
        [0xFF] + Array(":v".utf8),
        Array("k:".utf8) + [0xF4, 0x90, 0x80, 0x80],
    ])
    func refusesInvalidUTF8InTags(_ tags: [UInt8]) throws {
        #expect(try #require(rejection(labels(fromTagBytes: tags))).reason == .invalidUTF8)
    }

    @Test func keyFromLineCombinesNameAndTags() throws {
        let (line, key) = try series(bytes: Array("crypto.api.requests:1|c|#status:200,endpoint:/v1/ticker".utf8)).get()
        #expect(line.type == .counter)
        #expect(key.name == "crypto_api_requests")
        #expect(
            key.labels == [PushLabel(name: "endpoint", value: "/v1/ticker"), PushLabel(name: "status", value: "200")])
        #expect(key.description == "crypto_api_requests{endpoint=/v1/ticker,status=200}")
        #expect(key == PushSeriesKey(name: "crypto_api_requests", labels: key.labels))
    }

    @Test func keysOfEquivalentTagOrdersAreEqual() throws {
        let first = try series(bytes: Array("m:1|c|#a:1,b:2".utf8)).get().key
        let second = try series(bytes: Array("m:5|c|#b:2,#a:1".utf8)).get().key
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
    }
}
