/// The bytes queued in all UDP sockets of one address family, from /proc/net/udp or /proc/net/udp6.
///
/// After a header line, one line per socket: `sl local_address rem_address st tx_queue:rx_queue tr tm->when retrnsmt
/// uid timeout inode ref pointer drops`, with the queues in hexadecimal bytes. See net/ipv4/udp.c and
/// https://docs.kernel.org/networking/proc_net_tcp.html.
public struct UDPQueues: Sendable, Equatable {
    /// Bytes in the sockets' send queues.
    public let transmitBytes: UInt64
    /// Bytes in the sockets' receive queues.
    public let receiveBytes: UInt64
    /// The number of sockets.
    public let sockets: Int

    static let file = "/proc/net/udp"
    private static let expectedLine = "10 or more columns with \"<tx_queue>:<rx_queue>\" in hexadecimal as the fifth"

    /// Parses the content of /proc/net/udp or /proc/net/udp6. An empty file, a socket line of fewer than 10 columns or
    /// whose fifth column is not two hexadecimal numbers around a colon is malformed. Only the queues are checked.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> UDPQueues {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> UDPQueues {
        var lines = LineScanner(bytes)
        guard lines.next() != nil else { throw .emptyFile(file) }
        var transmit: UInt64 = 0
        var receive: UInt64 = 0
        var sockets = 0
        while let line = lines.next() {
            guard !line.trimmingBlanks().isEmpty else { continue }
            var columns = FieldScanner(line)
            for _ in 0..<4 { _ = columns.next() }
            guard let queues = columns.next(), let colon = queues.firstIndex(of: ASCII.colon),
                let transmitted = UnsafeRawBufferPointer(rebasing: queues[..<colon]).hexadecimalUInt64(),
                let received = UnsafeRawBufferPointer(rebasing: queues[(colon + 1)...]).hexadecimalUInt64()
            else {
                throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line)
            }
            var count = 5
            while count < 10, columns.next() != nil { count += 1 }
            guard count == 10 else { throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line) }
            // Wrapping: a hostile file can overflow a sum, but never trap.
            transmit &+= transmitted
            receive &+= received
            sockets += 1
        }
        return UDPQueues(transmitBytes: transmit, receiveBytes: receive, sockets: sockets)
    }
}
