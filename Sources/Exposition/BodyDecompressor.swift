import CZlib

/// Why a compressed request body was not inflated.
public enum DecompressionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The body is not valid gzip or deflate data, or ends early.
    case corrupt(String)
    /// Inflating would pass the limit; nothing past it was produced.
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .corrupt(let reason): "the compressed body is corrupt: \(reason)"
        case .tooLarge(let limit): "the decompressed body is larger than \(limit) bytes"
        }
    }
}

/// Inflates `Content-Encoding: gzip` and `deflate` request bodies (RFC 9110 §8.4.1) through zlib, never producing
/// more than a limit: a small body that inflates to gigabytes (a "gzip bomb") is refused as soon as its output passes
/// the limit, with at most one chunk of output past it held.
///
/// One inflate stream is set up per coding and reset for each body. Not `Sendable`: one thread uses an instance.
public final class BodyDecompressor {
    /// The content codings it reads.
    public enum Coding: Sendable {
        /// RFC 1952 gzip members; several members in a row are one body, as gzip(1) writes them.
        case gzip
        /// RFC 9110's "deflate": a zlib stream (RFC 1950); a raw deflate stream (RFC 1951) is accepted too, as
        /// browsers and Go's net/http do, since some senders mean that.
        case deflate
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private var initializedWindowBits: Int32?
    private static let chunk = 64 * 1024

    public init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if initializedWindowBits != nil { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// The content coding a `Content-Encoding` value names, nil for `identity` or no value; throws for one it does
    /// not read (the caller answers 415).
    public static func coding(contentEncoding value: String?) -> Result<Coding?, UnsupportedCoding> {
        guard let value else { return .success(nil) }
        switch value.lowercased().filter({ $0 != " " && $0 != "\t" }) {
        case "", "identity": return .success(nil)
        case "gzip", "x-gzip": return .success(.gzip)
        case "deflate": return .success(.deflate)
        default: return .failure(UnsupportedCoding(name: value))
        }
    }

    /// A `Content-Encoding` tally does not read.
    public struct UnsupportedCoding: Error, Equatable, Sendable {
        public let name: String
    }

    /// `input` inflated, at most `limit` bytes.
    public func decompress(
        _ input: [UInt8], coding: Coding, limit: Int
    ) throws(DecompressionError) -> [UInt8] {
        switch coding {
        case .gzip:
            return try inflateAll(input, windowBits: 15 + 16, limit: limit, acceptsConcatenation: true)
        case .deflate:
            do {
                return try inflateAll(input, windowBits: 15, limit: limit, acceptsConcatenation: false)
            } catch .corrupt {
                return try inflateAll(input, windowBits: -15, limit: limit, acceptsConcatenation: false)
            }
        }
    }

    private func prepare(windowBits: Int32) throws(DecompressionError) {
        if initializedWindowBits == windowBits {
            guard inflateReset(stream) == Z_OK else { throw .corrupt("inflateReset failed") }
            return
        }
        if initializedWindowBits != nil {
            inflateEnd(stream)
            initializedWindowBits = nil
        }
        stream.pointee = z_stream()
        // inflateInit2 is a macro; its function takes the version and structure size for a compatibility check.
        let status = inflateInit2_(stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw .corrupt("inflateInit2 failed with zlib code \(status)") }
        initializedWindowBits = windowBits
    }

    private func inflateAll(
        _ input: [UInt8], windowBits: Int32, limit: Int, acceptsConcatenation: Bool
    ) throws(DecompressionError) -> [UInt8] {
        try prepare(windowBits: windowBits)
        var output: [UInt8] = []
        output.reserveCapacity(min(max(input.count * 4, Self.chunk), limit + 1))
        var consumed = 0
        var failure: DecompressionError?
        input.withUnsafeBufferPointer { inputBuffer in
            while failure == nil {
                let room = min(Self.chunk, limit + 1 - output.count)
                let start = output.count
                output.append(contentsOf: repeatElement(0, count: room))
                let (used, produced, status) = output.withUnsafeMutableBufferPointer { outputBuffer in
                    stream.pointee.next_in = inputBuffer.baseAddress.map {
                        UnsafeMutablePointer(mutating: $0 + consumed)
                    }
                    stream.pointee.avail_in = UInt32(clamping: inputBuffer.count - consumed)
                    stream.pointee.next_out = outputBuffer.baseAddress.map { $0 + start }
                    stream.pointee.avail_out = UInt32(room)
                    let before = stream.pointee.avail_in
                    let status = inflate(stream, Z_NO_FLUSH)
                    return (Int(before - stream.pointee.avail_in), room - Int(stream.pointee.avail_out), status)
                }
                consumed += used
                output.removeSubrange((start + produced)...)
                if output.count > limit {
                    failure = .tooLarge(limit: limit)
                } else if status == Z_STREAM_END {
                    // Another gzip member may follow; trailing bytes after a deflate stream are an error.
                    guard consumed < input.count else { break }
                    guard acceptsConcatenation, inflateReset(stream) == Z_OK else {
                        failure = .corrupt("bytes after the end of the compressed stream")
                        break
                    }
                } else if status != Z_OK {
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib code \(status)"
                    failure = .corrupt(status == Z_BUF_ERROR ? "truncated" : message)
                } else if used == 0 && produced == 0 {
                    failure = .corrupt("truncated")
                }
            }
        }
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        if let failure { throw failure }
        return output
    }
}
