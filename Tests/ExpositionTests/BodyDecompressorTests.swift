import Exposition
import Testing

/// Request bodies in gzip and deflate, inflated within a limit.
@Suite struct BodyDecompressorTests {
    static let text = Array("hello, tally".utf8)
    /// `zlib.compress(b"hello, tally")` in Python: a zlib stream, what RFC 9110 calls deflate.
    static let zlibStream: [UInt8] = [
        120, 156, 203, 72, 205, 201, 201, 215, 81, 40, 73, 204, 201, 169, 4, 0, 29, 16, 4, 135,
    ]
    /// The same as a raw deflate stream (`wbits=-15`), which some senders label deflate.
    static let rawDeflate: [UInt8] = [203, 72, 205, 201, 201, 215, 81, 40, 73, 204, 201, 169, 4, 0]

    private func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        try GzipCompressor().compress(bytes, into: &output)
        return output
    }

    @Test func inflatesGzip() throws {
        let body = try gzip(Self.text)
        #expect(try BodyDecompressor().decompress(body, coding: .gzip, limit: 100) == Self.text)
    }

    @Test func inflatesConcatenatedGzipMembersAsOneBody() throws {
        let body = try gzip(Array("first ".utf8)) + gzip(Array("second".utf8))
        #expect(try BodyDecompressor().decompress(body, coding: .gzip, limit: 100) == Array("first second".utf8))
    }

    @Test func inflatesZlibAndRawDeflate() throws {
        let decompressor = BodyDecompressor()
        #expect(try decompressor.decompress(Self.zlibStream, coding: .deflate, limit: 100) == Self.text)
        #expect(try decompressor.decompress(Self.rawDeflate, coding: .deflate, limit: 100) == Self.text)
        // The stream is reused across bodies and codings.
        #expect(try decompressor.decompress(gzip(Self.text), coding: .gzip, limit: 100) == Self.text)
        #expect(try decompressor.decompress(Self.zlibStream, coding: .deflate, limit: 100) == Self.text)
    }

    @Test func acceptsABodyOfExactlyTheLimit() throws {
        let body = try gzip(Self.text)
        #expect(try BodyDecompressor().decompress(body, coding: .gzip, limit: Self.text.count) == Self.text)
        #expect(throws: DecompressionError.tooLarge(limit: Self.text.count - 1)) {
            try BodyDecompressor().decompress(body, coding: .gzip, limit: Self.text.count - 1)
        }
    }

    @Test func refusesABombWithoutInflatingPastTheLimit() throws {
        let bomb = try gzip([UInt8](repeating: 0, count: 8 << 20))
        #expect(bomb.count < 64 << 10)
        #expect(throws: DecompressionError.tooLarge(limit: 1 << 20)) {
            try BodyDecompressor().decompress(bomb, coding: .gzip, limit: 1 << 20)
        }
    }

    @Test(arguments: [
        ("truncated", Array(zlibStream.prefix(10))),
        ("garbage", Array("not compressed at all".utf8)),
        ("trailing bytes", zlibStream + [1, 2, 3]),
        ("empty", []),
    ])
    func refusesCorruptDeflate(name: String, body: [UInt8]) {
        #expect(throws: (any Error).self, "\(name)") {
            try BodyDecompressor().decompress(body, coding: .deflate, limit: 100)
        }
    }

    @Test func refusesTruncatedGzip() throws {
        let body = try gzip(Self.text)
        #expect {
            try BodyDecompressor().decompress(Array(body.dropLast(4)), coding: .gzip, limit: 100)
        } throws: { error in
            (error as? DecompressionError).map { if case .corrupt = $0 { true } else { false } } ?? false
        }
    }

    @Test(
        arguments: [
            (nil, "none"), ("identity", "none"), ("gzip", "gzip"), ("GZip", "gzip"), ("x-gzip", "gzip"),
            ("deflate", "deflate"), ("br", "unsupported"), ("gzip, br", "unsupported"),
        ] as [(String?, String)])
    func namesTheCoding(header: String?, expected: String) {
        let result: String
        switch BodyDecompressor.coding(contentEncoding: header) {
        case .success(nil): result = "none"
        case .success(.gzip): result = "gzip"
        case .success(.deflate): result = "deflate"
        case .failure: result = "unsupported"
        }
        #expect(result == expected)
    }
}
