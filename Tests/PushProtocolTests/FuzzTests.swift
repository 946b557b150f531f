import PushProtocol
import Testing

/// Random and mutated input through the splitter, the parser, the canonicalization and the command and
/// reply codecs: nothing crashes, and every outcome is a line or a rejection that obeys the invariants.
@Suite struct FuzzTests {
    static let seeds: [[UInt8]] = [
        "crypto_bronze_records_total:1|c|#symbol:BT0001T,stage:bronze",
        "foo.timing:0.5|ms|@0.1|#env:prod",
        "temperature:-98.6|g|#location:kitchen|T1656581400|c:abc",
        "h:1e3|h|@0.25",
        "d:.5|d|#a:b:c,#d:e",
        "!sync",
        "!delete crypto.data.processed env:prod,zone:a",
        "x:1|c|#k:é",
    ].map { Array($0.utf8) }

    static let interesting: [UInt8] = Array(":|@#,.-+eE0123456789!cgmshdT \r\n\u{7F}".utf8) + [0, 0xC3, 0xFF, 0x80]

    /// One line to try: random bytes, or a seed line with a few bytes replaced, inserted or removed.
    static func makeLine(using random: inout SeededGenerator) -> [UInt8] {
        if Int.random(in: 0..<4, using: &random) == 0 {
            return (0..<Int.random(in: 0...80, using: &random)).map { _ in
                Bool.random(using: &random)
                    ? interesting.randomElement(using: &random) ?? 0 : UInt8.random(in: 0...255, using: &random)
            }
        }
        var line = seeds.randomElement(using: &random) ?? []
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let byte =
                Bool.random(using: &random)
                ? interesting.randomElement(using: &random) ?? 0 : UInt8.random(in: 0...255, using: &random)
            let position = Int.random(in: 0...line.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0 where position < line.count: line[position] = byte
            case 1 where position < line.count: line.remove(at: position)
            default: line.insert(byte, at: position)
            }
        }
        return line
    }

    @Test func randomAndMutatedLinesNeverCrashAndAlwaysResolve() throws {
        var random = SeededGenerator(seed: 0x5EED_0003)
        var accepted = 0
        var refused = 0
        var commands = 0
        for _ in 0..<60 {
            var stream: [UInt8] = []
            for _ in 0..<5_000 {
                stream.append(contentsOf: Self.makeLine(using: &random))
                stream.append(UInt8(ascii: "\n"))
            }
            let reads = (0..<6).map { _ in Int.random(in: 1...9_000, using: &random) }
            let lines = split(stream, readSizes: reads)
            #expect(lines == referenceSplit(stream))
            for output in lines {
                guard case .line(let bytes) = output else {
                    Issue.record("a short line was reported too long")
                    continue
                }
                if let command = parseCommand(bytes: bytes) {
                    commands += 1
                    if case .failure(let refusal) = command { Self.checkPrintable(refusal) }
                    continue
                }
                switch series(bytes: bytes) {
                case .success(let (line, key)):
                    accepted += 1
                    let broken = Self.brokenInvariant(line, key, in: bytes)
                    if let broken { Issue.record("\(broken): \(String(decoding: bytes, as: UTF8.self))") }
                case .failure(let refusal):
                    refused += 1
                    Self.checkPrintable(refusal)
                }
            }
        }
        #expect(accepted > 10_000)
        #expect(refused > 10_000)
        #expect(commands > 100)
    }

    /// The first invariant of an accepted line that `line` and `key` break, or nil.
    static func brokenInvariant(_ line: PushLine, _ key: PushSeriesKey, in bytes: [UInt8]) -> String? {
        let checks: [(Bool, String)] = [
            (!line.nameRange.isEmpty && line.nameRange.upperBound <= bytes.count, "name range"),
            (
                line.tagsRange.lowerBound >= line.nameRange.upperBound && line.tagsRange.upperBound <= bytes.count,
                "tags range"
            ),
            (line.value.isFinite && line.recordedValue.isFinite, "finite values"),
            (line.sampleRate >= PushLine.minimumSampleRate && line.sampleRate <= 1, "rate"),
            (line.repeatCount >= 1 && line.repeatCount <= 1_000_000, "repeat count"),
            (line.type != .counter || line.value >= 0, "counter sign"),
            (!line.isRelative || line.type == .gauge, "relative only for gauges"),
            (!key.name.isEmpty && key.name.utf8.allSatisfy { isNameByte($0) || $0 == UInt8(ascii: ":") }, "name bytes"),
            (key.name.utf8.first.map { !($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) } ?? false, "name start"),
            (key.labels.map(\.name) == key.labels.map(\.name).sorted(), "labels sorted"),
            (Set(key.labels.map(\.name)).count == key.labels.count, "labels unique"),
            (
                key.labels.allSatisfy {
                    !$0.name.hasPrefix("__") && $0.name.utf8.allSatisfy(isNameByte) && !$0.value.isEmpty
                        && $0.name.utf8.first.map { !($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) } ?? false
                }, "label names and values"
            ),
        ]
        return checks.first { !$0.0 }?.1
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
    }

    /// A refusal's message is short enough, and its reply is one printable line that reads back.
    static func checkPrintable(_ refusal: PushRejection) {
        let reply = PushReply.reject(lineNumber: 42, reason: refusal.reason, message: refusal.message)
        var buffer: [UInt8] = []
        reply.encode(into: &buffer)
        let parsed = buffer.dropLast().withUnsafeBytes { PushReply.parse($0) }
        let isFine =
            !refusal.message.isEmpty && refusal.message.utf8.count < 300
            && buffer.dropLast().allSatisfy { $0 >= 0x20 && $0 < 0x7F } && parsed == reply
        if !isFine { Issue.record("bad refusal: \(refusal)") }
    }

    @Test func randomBytesThroughReplyParserNeverCrash() {
        var random = SeededGenerator(seed: 0x5EED_0004)
        let words = ["reject ", "reject-more ", "done ", "deleted ", "error ", "1 ", "malformed_line ", "x"]
        var parsed = 0
        for _ in 0..<50_000 {
            var line: [UInt8] = []
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                if Bool.random(using: &random) {
                    line.append(contentsOf: (words.randomElement(using: &random) ?? "").utf8)
                } else {
                    line.append(UInt8.random(in: 0...255, using: &random))
                }
            }
            if let reply = line.withUnsafeBytes({ PushReply.parse($0) }) {
                parsed += 1
                var buffer: [UInt8] = []
                reply.encode(into: &buffer)
                #expect(buffer.last == UInt8(ascii: "\n"))
            }
        }
        #expect(parsed > 0)
    }
}
