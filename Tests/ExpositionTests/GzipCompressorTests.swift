import CZlib
import Exposition
import Testing

@Suite("gzip")
struct GzipCompressorTests {
    /// Inflates a gzip member with zlib.
    private static func gunzip(_ compressed: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        try #require(inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = compressed
        var status = Z_OK
        try input.withUnsafeMutableBufferPointer { input in
            stream.next_in = input.baseAddress
            stream.avail_in = UInt32(input.count)
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { chunk in
                    stream.next_out = chunk.baseAddress
                    stream.avail_out = UInt32(chunk.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return chunk.count - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[..<produced])
            } while status == Z_OK
            try #require(status == Z_STREAM_END)
            #expect(stream.avail_in == 0, "nothing after the gzip member")
        }
        return output
    }

    private static func exposition(seriesPerFamily: Int) throws -> [UInt8] {
        var body: [UInt8] = []
        let snapshot = try Fixtures.manySeries(familyCount: 4, seriesPerFamily: seriesPerFamily)
        ExpositionEncoder(format: .prometheusText004).encode(snapshot, into: &body)
        return body
    }

    @Test("round trip through zlib's inflate", arguments: [0, 1, 10, 5000])
    func roundTrip(seriesPerFamily: Int) throws {
        let body = seriesPerFamily == 0 ? [] : try Self.exposition(seriesPerFamily: seriesPerFamily)
        let compressor = try GzipCompressor()
        var compressed: [UInt8] = []
        try compressor.compress(body, into: &compressed)
        #expect(compressed.starts(with: [0x1f, 0x8b, 8]), "gzip magic and the deflate method")
        #expect(try Self.gunzip(compressed) == body)
        if body.count > 1000 {
            #expect(compressed.count * 4 < body.count, "an exposition compresses well even at level 1")
        }
    }

    @Test("one compressor serves many bodies, each a whole gzip member appended after what was there")
    func reuse() throws {
        let compressor = try GzipCompressor(level: 6)
        let first = try Self.exposition(seriesPerFamily: 300)
        let second = Array("a different, shorter body\n".utf8)
        var output: [UInt8] = Array("prefix".utf8)
        try compressor.compress(first, into: &output)
        #expect(output.starts(with: Array("prefix".utf8)))
        #expect(try Self.gunzip(Array(output.dropFirst(6))) == first)

        output.removeAll(keepingCapacity: true)
        try compressor.compress(second[...], into: &output)
        #expect(try Self.gunzip(output) == second)

        // A collection without contiguous storage is copied first.
        var lazyOutput: [UInt8] = []
        try compressor.compress(second.lazy.map { $0 }, into: &lazyOutput)
        #expect(try Self.gunzip(lazyOutput) == second)
    }

    @Test("an invalid level is refused with zlib's code", arguments: [-2, 10] as [Int32])
    func invalidLevel(level: Int32) {
        #expect(throws: GzipError(call: "deflateInit2_", code: Z_STREAM_ERROR)) {
            _ = try GzipCompressor(level: level)
        }
    }

    @Test("the error says which call failed")
    func errorDescription() {
        #expect(
            GzipError(call: "deflate", code: -2, message: "stream error").description
                == "deflate failed with zlib code -2: stream error")
        #expect(GzipError(call: "deflateReset", code: -2).description == "deflateReset failed with zlib code -2")
    }
}
