/// Cuts the bytes read from a stream connection into lines, and enforces the line length limit.
///
/// Feed it every read with ``consume(_:_:)``. Lines that lie whole inside a read are handed out in place
/// (a view into the caller's buffer, valid only during the call); only a line cut by the end of a read is
/// copied, into a tail buffer that is completed by the next read. A line ends at `\n`; a `\r` right
/// before it is dropped; empty lines are skipped and not reported.
///
/// A line longer than ``maximumLineLength`` bytes (not counting the `\n` and a `\r` before it) is
/// reported once as ``Output/lineTooLong`` as soon as that is known, and its bytes are dropped through the
/// next `\n` without being buffered. Memory per connection is therefore at most one line.
public struct PushLineSplitter: Sendable {
    /// The longest line accepted: 64 KiB.
    public static let maximumLineLength = 64 * 1024

    /// One result of splitting.
    public enum Output {
        /// A complete, non-empty line without its line ending. The buffer is valid only inside the call.
        case line(UnsafeRawBufferPointer)
        /// A line longer than ``maximumLineLength``: refuse it as `line_too_long`. It counts as one line.
        case lineTooLong
    }

    /// The beginning of a line cut by the end of the previous read.
    private var tail: [UInt8] = []
    /// True while dropping the rest of a line that was too long, up to its `\n`.
    private var isDiscarding = false

    public init() {}

    /// True when bytes of an unfinished line are buffered (not counting a too-long line being dropped).
    public var hasPartialLine: Bool { !tail.isEmpty }

    /// Splits one read into lines and hands each to `body`, in order.
    public mutating func consume(_ chunk: UnsafeRawBufferPointer, _ body: (Output) -> Void) {
        var start = 0
        let end = chunk.count
        if isDiscarding {
            guard let newline = chunk.firstOffsetByMemchr(of: UInt8(ascii: "\n"), in: 0..<end) else { return }
            isDiscarding = false
            start = newline + 1
        }
        if !tail.isEmpty {
            guard let newline = chunk.firstOffsetByMemchr(of: UInt8(ascii: "\n"), in: start..<end) else {
                appendToTail(UnsafeRawBufferPointer(rebasing: chunk[start..<end]), body)
                return
            }
            if tail.count + (newline - start) > Self.maximumLineLength + 1 {
                tail.removeAll(keepingCapacity: true)
                body(.lineTooLong)
            } else {
                tail.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start..<newline]))
                tail.withUnsafeBytes { Self.deliver($0, body) }
                tail.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
        while start < end {
            guard let newline = chunk.firstOffsetByMemchr(of: UInt8(ascii: "\n"), in: start..<end) else {
                appendToTail(UnsafeRawBufferPointer(rebasing: chunk[start..<end]), body)
                return
            }
            Self.deliver(UnsafeRawBufferPointer(rebasing: chunk[start..<newline]), body)
            start = newline + 1
        }
    }

    /// Ends the stream: hands a last line that had no `\n` to `body`, and resets the splitter.
    public mutating func finish(_ body: (Output) -> Void) {
        if !tail.isEmpty {
            tail.withUnsafeBytes { Self.deliver($0, body) }
            tail.removeAll(keepingCapacity: false)
        }
        isDiscarding = false
    }

    /// Splits one datagram into lines and hands each to `body`. A last line without `\n` counts; the
    /// line length limit applies as on a stream.
    public static func forEachLine(inDatagram datagram: UnsafeRawBufferPointer, _ body: (Output) -> Void) {
        var start = 0
        let end = datagram.count
        while start < end {
            let newline = datagram.firstOffsetByMemchr(of: UInt8(ascii: "\n"), in: start..<end) ?? end
            deliver(UnsafeRawBufferPointer(rebasing: datagram[start..<newline]), body)
            start = newline + 1
        }
    }

    /// Keeps the unfinished end of a read, or starts dropping it when it is already too long.
    private mutating func appendToTail(_ bytes: UnsafeRawBufferPointer, _ body: (Output) -> Void) {
        // One byte over the limit may still be the `\r` of a `\r\n`, so only more than that is certain.
        if tail.count + bytes.count > Self.maximumLineLength + 1 {
            tail.removeAll(keepingCapacity: true)
            isDiscarding = true
            body(.lineTooLong)
        } else {
            tail.append(contentsOf: bytes)
        }
    }

    /// Hands a complete line (without `\n`) on: drops a final `\r`, skips it when empty, refuses it when
    /// too long.
    @inline(__always)
    private static func deliver(_ line: UnsafeRawBufferPointer, _ body: (Output) -> Void) {
        var count = line.count
        if count > 0 && line[count - 1] == UInt8(ascii: "\r") { count -= 1 }
        if count == 0 { return }
        if count > maximumLineLength {
            body(.lineTooLong)
        } else {
            body(.line(UnsafeRawBufferPointer(rebasing: line[0..<count])))
        }
    }
}
