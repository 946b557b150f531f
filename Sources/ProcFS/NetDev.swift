/// One interface line of /proc/net/dev: 8 receive and 8 transmit counters.
///
/// The file starts with two header lines; each following line is `<name>:` and 16 numbers. The kernel pads the
/// name to 6 characters and the first number to 8, so a long name and a large byte count touch the colon
/// (`veth1a2b3c4:1234567890`). See https://docs.kernel.org/networking/statistics.html and proc(5).
public struct NetDevStats: Sendable, Equatable {
    /// The interface name, e.g. `eth0`.
    public let device: String
    public let receiveBytes: UInt64
    public let receivePackets: UInt64
    public let receiveErrors: UInt64
    public let receiveDropped: UInt64
    public let receiveFIFOErrors: UInt64
    public let receiveFrameErrors: UInt64
    public let receiveCompressed: UInt64
    public let receiveMulticast: UInt64
    public let transmitBytes: UInt64
    public let transmitPackets: UInt64
    public let transmitErrors: UInt64
    public let transmitDropped: UInt64
    public let transmitFIFOErrors: UInt64
    public let transmitCollisions: UInt64
    public let transmitCarrierErrors: UInt64
    public let transmitCompressed: UInt64

    static let file = "/proc/net/dev"
    private static let expectedLine = "\"<interface>: \" and 16 counters"

    /// Parses the content of /proc/net/dev. Headers with no interface lines are an empty list; missing header
    /// lines, a line without a colon, fewer than 16 counters, or a non-numeric or oversized value are malformed.
    /// Columns after the 16th are ignored.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> [NetDevStats] {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> [NetDevStats] {
        var lines = LineScanner(bytes)
        for _ in 0..<2 {
            guard let header = lines.next() else {
                throw .malformed(file: file, line: lines.lineNumber + 1, reason: "missing header line")
            }
            guard header.firstIndex(of: UInt8(ascii: "|")) != nil else {
                throw .malformed(file, line: lines.lineNumber, expected: "a header line with \"|\"", got: header)
            }
        }
        var interfaces: [NetDevStats] = []
        while let line = lines.next() {
            guard !line.trimmingBlanks().isEmpty else { continue }
            guard let colon = line.firstIndex(of: ASCII.colon) else {
                throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line)
            }
            let name = UnsafeRawBufferPointer(rebasing: line[..<colon]).trimmingBlanks()
            var columns = FieldScanner(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...]))
            guard !name.isEmpty, let stats = NetDevStats(device: name, counters: &columns) else {
                throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line)
            }
            interfaces.append(stats)
        }
        return interfaces
    }
}

extension NetDevStats {
    /// The 16 counters after the colon; nil when one is missing or not a number that fits.
    fileprivate init?(device: UnsafeRawBufferPointer, counters columns: inout FieldScanner) {
        guard let receiveBytes = columns.nextUInt64(), let receivePackets = columns.nextUInt64(),
            let receiveErrors = columns.nextUInt64(), let receiveDropped = columns.nextUInt64(),
            let receiveFIFOErrors = columns.nextUInt64(), let receiveFrameErrors = columns.nextUInt64(),
            let receiveCompressed = columns.nextUInt64(), let receiveMulticast = columns.nextUInt64(),
            let transmitBytes = columns.nextUInt64(), let transmitPackets = columns.nextUInt64(),
            let transmitErrors = columns.nextUInt64(), let transmitDropped = columns.nextUInt64(),
            let transmitFIFOErrors = columns.nextUInt64(), let transmitCollisions = columns.nextUInt64(),
            let transmitCarrierErrors = columns.nextUInt64(), let transmitCompressed = columns.nextUInt64()
        else { return nil }
        self.init(
            device: device.string, receiveBytes: receiveBytes, receivePackets: receivePackets,
            receiveErrors: receiveErrors, receiveDropped: receiveDropped, receiveFIFOErrors: receiveFIFOErrors,
            receiveFrameErrors: receiveFrameErrors, receiveCompressed: receiveCompressed,
            receiveMulticast: receiveMulticast, transmitBytes: transmitBytes, transmitPackets: transmitPackets,
            transmitErrors: transmitErrors, transmitDropped: transmitDropped, transmitFIFOErrors: transmitFIFOErrors,
            transmitCollisions: transmitCollisions, transmitCarrierErrors: transmitCarrierErrors,
            transmitCompressed: transmitCompressed)
    }
}
