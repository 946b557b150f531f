import PushProtocol
import Testing

@Suite struct PushLineTests {
    struct Accepted: Sendable, CustomStringConvertible {
        var line: String
        var name: String
        var type: PushMetricType
        var value: Double
        var isRelative = false
        var sampleRate = 1.0
        var tags = ""
        var recordedValue: Double
        var repeatCount = 1

        var description: String { line }
    }

    static let accepted: [Accepted] = [
        Accepted(line: "foo:2|c", name: "foo", type: .counter, value: 2, recordedValue: 2),
        Accepted(line: "foo:3|g", name: "foo", type: .gauge, value: 3, recordedValue: 3),
        Accepted(line: "foo:-10|g", name: "foo", type: .gauge, value: -10, isRelative: true, recordedValue: -10),
        Accepted(line: "foo:+4.5|g", name: "foo", type: .gauge, value: 4.5, isRelative: true, recordedValue: 4.5),
        Accepted(line: "foo:-0|g", name: "foo", type: .gauge, value: 0, isRelative: true, recordedValue: 0),
        Accepted(
            line: "foo:3|g|@0.2", name: "foo", type: .gauge, value: 3, sampleRate: 0.2, recordedValue: 3),
        Accepted(line: "foo:200|ms", name: "foo", type: .timer, value: 200, recordedValue: 0.2),
        Accepted(line: "foo:200|h", name: "foo", type: .histogram, value: 200, recordedValue: 200),
        Accepted(line: "foo:200|d", name: "foo", type: .distribution, value: 200, recordedValue: 200),
        Accepted(
            line: "foo:100|c|@0.1", name: "foo", type: .counter, value: 100, sampleRate: 0.1, recordedValue: 1000),
        Accepted(
            line: "foo:1|ms|@0.25", name: "foo", type: .timer, value: 1, sampleRate: 0.25, recordedValue: 0.001,
            repeatCount: 4),
        Accepted(
            line: "foo:7|h|@0.3", name: "foo", type: .histogram, value: 7, sampleRate: 0.3, recordedValue: 7,
            repeatCount: 3),
        Accepted(
            line: "foo:7|d|@0.000001", name: "foo", type: .distribution, value: 7, sampleRate: 0.000001,
            recordedValue: 7, repeatCount: 1_000_000),
        Accepted(
            line: "foo:7|d|@1", name: "foo", type: .distribution, value: 7, sampleRate: 1, recordedValue: 7),
        Accepted(line: "foo:1|c|#a:b", name: "foo", type: .counter, value: 1, tags: "a:b", recordedValue: 1),
        Accepted(line: "foo:1|c|#", name: "foo", type: .counter, value: 1, recordedValue: 1),
        Accepted(
            line: "foo:1|c|#a:b|c:container|T1656581400|e:external", name: "foo", type: .counter, value: 1,
            tags: "a:b", recordedValue: 1),
        Accepted(
            line: "foo:1|c|@0.5|#a:b", name: "foo", type: .counter, value: 1, sampleRate: 0.5, tags: "a:b",
            recordedValue: 2),
        Accepted(
            line: "foo:1|c|#a:b|@0.5", name: "foo", type: .counter, value: 1, sampleRate: 0.5, tags: "a:b",
            recordedValue: 2),
        Accepted(line: "foo:1|c|c:", name: "foo", type: .counter, value: 1, recordedValue: 1),
        Accepted(line: "foo:1|c|T", name: "foo", type: .counter, value: 1, recordedValue: 1),
        Accepted(line: "foo:1|c|Tnot-a-time", name: "foo", type: .counter, value: 1, recordedValue: 1),
        Accepted(line: "a|b:1|c", name: "a|b", type: .counter, value: 1, recordedValue: 1),
        Accepted(
            line: "crypto.data.processed:1e3|c", name: "crypto.data.processed", type: .counter, value: 1000,
            recordedValue: 1000),
        Accepted(line: "foo:.5|g", name: "foo", type: .gauge, value: 0.5, recordedValue: 0.5),
        Accepted(line: "foo:1.|g", name: "foo", type: .gauge, value: 1, recordedValue: 1),
        Accepted(line: "foo:-0|c", name: "foo", type: .counter, value: 0, recordedValue: 0),
        Accepted(line: "foo:+5|c", name: "foo", type: .counter, value: 5, recordedValue: 5),
        Accepted(line: "foo:-2.5E-3|h", name: "foo", type: .histogram, value: -0.0025, recordedValue: -0.0025),
        Accepted(
            line: "foo:0.5|ms|@0.1", name: "foo", type: .timer, value: 0.5, sampleRate: 0.1,
            recordedValue: 0.0005, repeatCount: 10),
        Accepted(
            line: "foo:1|c|#a:b:c,d:e f", name: "foo", type: .counter, value: 1, tags: "a:b:c,d:e f",
            recordedValue: 1),
    ]

    @Test(arguments: accepted)
    func parsesAcceptedLine(_ expected: Accepted) throws {
        let bytes = Array(expected.line.utf8)
        let line = try parseLine(bytes: bytes).get()
        #expect(String(decoding: bytes[line.nameRange], as: UTF8.self) == expected.name)
        #expect(line.type == expected.type)
        #expect(line.value == expected.value)
        #expect(line.isRelative == expected.isRelative)
        #expect(line.sampleRate == expected.sampleRate)
        #expect(String(decoding: bytes[line.tagsRange], as: UTF8.self) == expected.tags)
        #expect(line.recordedValue == expected.recordedValue)
        #expect(line.repeatCount == expected.repeatCount)
    }

    @Test(arguments: [
        ("", PushRejectionReason.malformedLine),
        ("foo", .malformedLine),
        ("foo:1", .malformedLine),
        ("foo:1 c", .malformedLine),
        ("karafka.consumer.consume.cpu_idle_second:  0.111090  -0.055903  -0.195390 (  2.419002)", .malformedLine),
        ("|h|#consumer:Kafka::SharedConfigurationConsumer,topic:shared_configuration_update", .malformedLine),
        (":100|ms", .emptyName),
        (":|c", .emptyName),
        ("foo:1o|c", .invalidValue),
        ("foo:|c", .invalidValue),
        ("foo:1:2|ms", .invalidValue),
        ("foo: 1|c", .invalidValue),
        ("foo:1 |c", .invalidValue),
        ("foo:inf|g", .invalidValue),
        ("foo:+Inf|g", .invalidValue),
        ("foo:NaN|g", .invalidValue),
        ("foo:1e999|g", .invalidValue),
        ("foo:-1e400|g", .invalidValue),
        ("foo:0x10|c", .invalidValue),
        ("foo:1_000|c", .invalidValue),
        ("foo:1e|c", .invalidValue),
        ("foo:1e+|c", .invalidValue),
        ("foo:+|c", .invalidValue),
        ("foo:-|g", .invalidValue),
        ("foo:.|c", .invalidValue),
        ("foo:--1|g", .invalidValue),
        ("foo:1.2.3|g", .invalidValue),
        ("foo:2|t", .unknownType),
        ("foo:2|", .unknownType),
        ("foo:2|s", .unknownType),
        ("foo:2|cc", .unknownType),
        ("foo:2|m", .unknownType),
        ("foo:2|msx", .unknownType),
        ("foo:2|C", .unknownType),
        ("foo:2||c", .unknownType),
        ("foo:-1|c", .negativeCounter),
        ("foo:-0.001|c|#a:b", .negativeCounter),
        ("foo:1|c|@0", .invalidSampleRate),
        ("foo:1|c|@bar", .invalidSampleRate),
        ("foo:1|c|@1.5", .invalidSampleRate),
        ("foo:1|c|@-0.5", .invalidSampleRate),
        ("foo:1|c|@", .invalidSampleRate),
        ("foo:1|c|@1e-7", .invalidSampleRate),
        ("foo:1|g|@nan", .invalidSampleRate),
        ("foo:1|ms|@0.5x", .invalidSampleRate),
        ("foo:1|c|", .malformedLine),
        ("foo:1|c||#a:b", .malformedLine),
        ("foo:1|c|x", .malformedLine),
        ("foo:1|c|c", .malformedLine),
        ("foo:1|c|e", .malformedLine),
        ("foo:1|c|#tag1:value|c", .malformedLine),
        ("foo:1|c|#a:b|#c:d", .malformedLine),
        ("foo:1|c|@0.5|@0.5", .malformedLine),
        ("foo:100|c|@0.1|#tag1:value|c:container|extra:component", .malformedLine),
        ("foo:1e308|c|@0.001", .invalidValue),
    ])
    func refusesLine(_ text: String, _ reason: PushRejectionReason) throws {
        let refusal = try #require(rejection(parseLine(text)))
        #expect(refusal.reason == reason)
        #expect(!refusal.message.isEmpty)
    }

    /// Integer values take a shortcut of their own; it must agree with the standard library too.
    @Test func integerValuesAgreeWithTheStandardLibrary() throws {
        var random = SeededGenerator(seed: 0x5EED_0006)
        for _ in 0..<20_000 {
            let digits = (0..<Int.random(in: 1...22, using: &random)).map { _ in
                String(Int.random(in: 0...9, using: &random))
            }.joined()
            let line = try parseLine("m:\(digits)|g").get()
            #expect(line.value == Double(digits), "\(digits)")
        }
    }

    @Test func messagesAreShortAndPrintable() throws {
        let type = String(repeating: "x", count: 10_000)
        let refusal = try #require(rejection(parseLine("foo:1|\(type)\u{1}")))
        #expect(refusal.reason == .unknownType)
        #expect(refusal.message.utf8.count < PushRejection.maximumExcerptLength + 60)
        #expect(refusal.message.contains("..."))

        let control = try #require(
            rejection(parseLine(bytes: Array("foo:1\t\r\u{7F}".utf8) + [0xFF] + Array("|c".utf8))))
        #expect(control.reason == .invalidValue)
        #expect(control.message.contains("'1\\x09\\x0d\\x7f\\xff'"))
        #expect(control.message.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
    }

    @Test func rangesPointIntoTheLine() throws {
        let bytes = Array("svc.requests:5|c|@0.5|#env:prod,zone:a|T12".utf8)
        try bytes.withUnsafeBytes { buffer in
            let line = try PushLine.parse(buffer)
            #expect(Array(line.nameBytes(in: buffer)) == Array("svc.requests".utf8))
            #expect(Array(line.tagBytes(in: buffer)) == Array("env:prod,zone:a".utf8))
        }
    }

    @Test func typeRawValuesAreTheStatsDTypes() {
        #expect(PushMetricType.allCases.map(\.rawValue) == ["c", "g", "ms", "h", "d"])
        #expect(PushMetricType.allCases.filter(\.isObservation) == [.timer, .histogram, .distribution])
    }

    @Test func rejectionReasonsAreSnakeCaseLabelValues() {
        let values = PushRejectionReason.allCases.map(\.rawValue)
        #expect(Set(values).count == values.count)
        for value in values {
            #expect(
                value.utf8.allSatisfy {
                    ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "_")
                        || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                })
        }
        #expect(values.contains("line_too_long"))
        #expect(values.contains("series_limit"))
        #expect(PushRejection(.typeConflict, "x").description == "type_conflict: x")
    }
}
