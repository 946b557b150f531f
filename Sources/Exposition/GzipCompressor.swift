import CZlib

/// A zlib call that failed.
public struct GzipError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The zlib function, e.g. `deflateInit2_`.
    public let call: String
    /// zlib's return code (`Z_STREAM_ERROR`, `Z_MEM_ERROR`, ...).
    public let code: Int32
    /// zlib's message for the failure, when it gave one.
    public let message: String?

    public init(call: String, code: Int32, message: String? = nil) {
        self.call = call
        self.code = code
        self.message = message
    }

    public var description: String {
        "\(call) failed with zlib code \(code)" + (message.map { ": \($0)" } ?? "")
    }
}

/// gzip (RFC 1952) compression of response bodies through zlib.
///
/// One deflate stream is set up once and reset for every body, so compressing allocates nothing in zlib after
/// the first use. The default level is 1 (`Z_BEST_SPEED`), which client_golang's promhttp also uses: metrics
/// compress well even so, and level 6 costs several times the CPU.
///
/// Not thread-safe and deliberately not `Sendable`: one thread uses an instance at a time (for example, one per
/// event-loop thread).
public final class GzipCompressor {
    /// The zlib stream. zlib's state points back at it, so it lives at a fixed address.
    private let stream: UnsafeMutablePointer<z_stream>

    /// Creates a compressor.
    ///
    /// - Parameter level: zlib's compression level, 0 (store) to 9 (smallest).
    public init(level: Int32 = Z_BEST_SPEED) throws(GzipError) {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // deflateInit2 is a macro; its function takes the version and structure size for a compatibility check.
        // Window bits 15 + 16 ask for the gzip wrapper rather than zlib's.
        let status = deflateInit2_(
            stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            // Thrown before `self.stream` is set, so deinit does not run and the stream is freed here.
            let error = GzipError(call: "deflateInit2_", code: status, message: Self.message(of: stream))
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw error
        }
        self.stream = stream
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Appends the gzip member that holds `input` to `output`. On failure `output` is left as it was.
    public func compress(_ input: some Collection<UInt8>, into output: inout [UInt8]) throws(GzipError) {
        let outcome = input.withContiguousStorageIfAvailable { compressContiguous($0, into: &output) }
        let failure = outcome ?? Array(input).withUnsafeBufferPointer { compressContiguous($0, into: &output) }
        if let failure { throw failure }
    }

    private func compressContiguous(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) -> GzipError? {
        var status = deflateReset(stream)
        guard status == Z_OK else {
            return GzipError(call: "deflateReset", code: status, message: Self.message(of: stream))
        }
        let originalCount = output.count
        // deflateBound is enough for the whole member in one call; more room is added only if it ever is not.
        let bound = Int(clamping: deflateBound(stream, uLong(input.count)))
        output.append(contentsOf: repeatElement(0, count: bound))
        var written = originalCount
        var consumed = 0
        repeat {
            if written == output.count {
                output.append(contentsOf: repeatElement(0, count: max(1 << 16, (output.count - originalCount) / 2)))
            }
            let inputChunk = min(input.count - consumed, Int(UInt32.max))
            let flush = consumed + inputChunk == input.count ? Z_FINISH : Z_NO_FLUSH
            let (used, produced, result) = output.withUnsafeMutableBufferPointer { outputBuffer in
                let room = min(outputBuffer.count - written, Int(UInt32.max))
                stream.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0 + consumed) }
                stream.pointee.avail_in = UInt32(inputChunk)
                stream.pointee.next_out = outputBuffer.baseAddress.map { $0 + written }
                stream.pointee.avail_out = UInt32(room)
                let result = deflate(stream, flush)
                return (
                    inputChunk - Int(stream.pointee.avail_in), room - Int(stream.pointee.avail_out), result
                )
            }
            consumed += used
            written += produced
            status = result
            // Z_BUF_ERROR means deflate needs more output room, which the next turn adds; without any progress and
            // with room left it would repeat forever, so it ends the loop as a failure.
            if status == Z_BUF_ERROR, used == 0, produced == 0, written < output.count { break }
        } while status == Z_OK || status == Z_BUF_ERROR
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        guard status == Z_STREAM_END else {
            output.removeSubrange(originalCount...)
            return GzipError(call: "deflate", code: status, message: Self.message(of: stream))
        }
        output.removeSubrange(written...)
        return nil
    }

    private static func message(of stream: UnsafeMutablePointer<z_stream>) -> String? {
        stream.pointee.msg.map { String(cString: $0) }
    }
}
