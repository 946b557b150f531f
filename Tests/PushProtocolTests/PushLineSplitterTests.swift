import PushProtocol
import Testing

@Suite struct PushLineSplitterTests {
    private static let limit = PushLineSplitter.maximumLineLength

    @Test func splitsLinesAndSkipsEmptyOnes() {
        let stream = Array("a:1|c\nb:2|g\r\n\n\r\nc:3|ms\n".utf8)
        #expect(
            split(stream, readSizes: [stream.count]) == [
                .line(Array("a:1|c".utf8)), .line(Array("b:2|g".utf8)), .line(Array("c:3|ms".utf8)),
            ])
    }

    @Test func joinsLinesCutBetweenReads() {
        let stream = Array("first:1|c\nsecond:2|c\nthird:3|c\n".utf8)
        let whole = split(stream, readSizes: [stream.count])
        for size in 1...stream.count {
            #expect(split(stream, readSizes: [size]) == whole, "reads of \(size) bytes")
        }
        #expect(whole.count == 3)
    }

    @Test func keepsPartialLineUntilFinish() {
        var splitter = PushLineSplitter()
        var seen: [SplitLine] = []
        Array("x:1|c\ny:2".utf8).withUnsafeBytes { bytes in splitter.consume(bytes) { seen.append(SplitLine($0)) } }
        #expect(seen == [.line(Array("x:1|c".utf8))])
        #expect(splitter.hasPartialLine)
        Array("|g".utf8).withUnsafeBytes { bytes in splitter.consume(bytes) { seen.append(SplitLine($0)) } }
        #expect(seen.count == 1)
        splitter.finish { seen.append(SplitLine($0)) }
        #expect(seen == [.line(Array("x:1|c".utf8)), .line(Array("y:2|g".utf8))])
        #expect(!splitter.hasPartialLine)
    }

    @Test func keepsCarriageReturnInsideLine() {
        #expect(split(Array("a\rb\n".utf8), readSizes: [1]) == [.line(Array("a\rb".utf8))])
        #expect(split(Array("a\r\r\n".utf8), readSizes: [2]) == [.line(Array("a\r".utf8))])
    }

    private func line(length: Int) -> [UInt8] {
        let head = Array("big:1|c|#k:".utf8)
        return head + [UInt8](repeating: UInt8(ascii: "v"), count: length - head.count)
    }

    @Test(arguments: [1, 7, 4096, 65_536, 65_537, 1 << 20])
    func acceptsLineOfExactlyTheLimit(readSize: Int) throws {
        let exact = line(length: Self.limit)
        #expect(split(exact + [UInt8(ascii: "\n")], readSizes: [readSize]) == [.line(exact)])
        #expect(split(exact + Array("\r\n".utf8), readSizes: [readSize]) == [.line(exact)])
        #expect(split(exact, readSizes: [readSize]) == [.line(exact)])
        let parsed = try parseLine(bytes: exact).get()
        #expect(parsed.tagsRange.count == Self.limit - 9)
    }

    @Test(arguments: [1, 7, 4096, 65_536, 65_537, 1 << 20])
    func refusesLineOneByteOverTheLimitAndDropsItsRest(readSize: Int) throws {
        let over = line(length: Self.limit + 1)
        let stream = Array("before:1|c\n".utf8) + over + Array("\nafter:2|c\n".utf8)
        let outputs = split(stream, readSizes: [readSize])
        #expect(outputs == [.line(Array("before:1|c".utf8)), .tooLong, .line(Array("after:2|c".utf8))])
        if case .line(let after) = outputs.last {
            #expect(try parseLine(bytes: after).get().value == 2)
        }
    }

    @Test(arguments: [1000, 65_537, 300_000])
    func reportsLongLineOnceWhateverItsLength(readSize: Int) {
        let stream = [UInt8](repeating: UInt8(ascii: "x"), count: 1_000_000) + Array("\nok:1|c\n".utf8)
        #expect(split(stream, readSizes: [readSize]) == [.tooLong, .line(Array("ok:1|c".utf8))])
    }

    @Test func refusesUnterminatedLongLineAtFinish() {
        let over = line(length: Self.limit + 1)
        #expect(split(over, readSizes: [Self.limit + 1]) == [.tooLong])
        #expect(split(over + [UInt8(ascii: "\r")], readSizes: [100]) == [.tooLong])
    }

    @Test func splitsDatagrams() {
        var seen: [SplitLine] = []
        let datagram = Array("a:1|c\r\n\nb:2|c\nc:3|c".utf8)
        datagram.withUnsafeBytes { PushLineSplitter.forEachLine(inDatagram: $0) { seen.append(SplitLine($0)) } }
        #expect(seen == [.line(Array("a:1|c".utf8)), .line(Array("b:2|c".utf8)), .line(Array("c:3|c".utf8))])

        seen = []
        [UInt8]().withUnsafeBytes { PushLineSplitter.forEachLine(inDatagram: $0) { seen.append(SplitLine($0)) } }
        Array("\n\n".utf8).withUnsafeBytes {
            PushLineSplitter.forEachLine(inDatagram: $0) { seen.append(SplitLine($0)) }
        }
        #expect(seen.isEmpty)

        let long = line(length: Self.limit + 1) + Array("\nz:1|c".utf8)
        long.withUnsafeBytes { PushLineSplitter.forEachLine(inDatagram: $0) { seen.append(SplitLine($0)) } }
        #expect(seen == [.tooLong, .line(Array("z:1|c".utf8))])
    }

    /// Random streams, cut into random reads, give what splitting the whole stream at once gives.
    @Test func agreesWithReferenceSplitOnRandomStreams() {
        var random = SeededGenerator(seed: 0x5EED_0002)
        let alphabet = Array("ab:1|c\n\r#".utf8)
        for round in 0..<300 {
            var stream: [UInt8] = []
            let pieces = Int.random(in: 0...20, using: &random)
            for _ in 0..<pieces {
                switch Int.random(in: 0..<20, using: &random) {
                case 0:
                    stream.append(contentsOf: line(length: Self.limit + Int.random(in: -2...2, using: &random)))
                    if Bool.random(using: &random) { stream.append(UInt8(ascii: "\r")) }
                case 1:
                    stream.append(
                        contentsOf: line(length: Int.random(in: Self.limit...(3 * Self.limit), using: &random)))
                default:
                    for _ in 0..<Int.random(in: 0...40, using: &random) {
                        stream.append(alphabet.randomElement(using: &random) ?? 0)
                    }
                }
                if Bool.random(using: &random) {
                    stream.append(contentsOf: Array("\r\n".utf8))
                } else {
                    stream.append(UInt8(ascii: "\n"))
                }
            }
            let reads = (0..<8).map { _ in Int.random(in: 1...(Self.limit + 10), using: &random) }
            let smallReads = (0..<8).map { _ in Int.random(in: 1...64, using: &random) }
            let expected = referenceSplit(stream)
            #expect(split(stream, readSizes: reads) == expected, "round \(round)")
            #expect(split(stream, readSizes: smallReads) == expected, "round \(round), small reads")
        }
    }
}
