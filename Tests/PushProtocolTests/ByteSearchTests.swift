import Testing

@testable import PushProtocol

@Suite struct ByteSearchTests {
    /// The inline word-at-a-time search (first 64 bytes) and the `memchr` one (beyond) both find the first
    /// match in every range, as a plain scan does.
    @Test func findsFirstMatchLikeAPlainScan() {
        var random = SeededGenerator(seed: 0x5EED_0005)
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...200, using: &random)
            let density = Int.random(in: 1...300, using: &random)
            let bytes = (0..<count).map { _ in
                Int.random(in: 0..<density, using: &random) == 0
                    ? UInt8(ascii: "|") : UInt8.random(in: 0...255, using: &random) | 0x80
            }
            let lower = Int.random(in: 0...count, using: &random)
            let upper = Int.random(in: lower...count, using: &random)
            let expected = bytes[lower..<upper].firstIndex(of: UInt8(ascii: "|"))
            bytes.withUnsafeBytes { buffer in
                #expect(buffer.firstOffset(of: UInt8(ascii: "|"), in: lower..<upper) == expected)
                #expect(buffer.firstOffsetByMemchr(of: UInt8(ascii: "|"), in: lower..<upper) == expected)
            }
        }
    }

    @Test func findsNothingInAnEmptyBuffer() {
        [UInt8]().withUnsafeBytes { buffer in
            #expect(buffer.firstOffset(of: 0, in: 0..<0) == nil)
            #expect(buffer.firstOffsetByMemchr(of: 0, in: 0..<0) == nil)
        }
    }
}
