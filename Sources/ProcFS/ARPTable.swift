/// The number of entries /proc/net/arp holds for one network device.
///
/// The file is a header line, `IP address  HW type  Flags  HW address  Mask  Device`, then one line per neighbour
/// with those six columns, the device last. Every entry counts, incomplete ones too, as node_exporter 1.x counts
/// them. See net/ipv4/arp.c.
public struct ARPEntryCount: Sendable, Equatable {
    /// The device, e.g. `eth0`.
    public let device: String
    /// Its entries.
    public let entries: Int

    static let file = "/proc/net/arp"

    /// Parses /proc/net/arp into one count per device, in the order the devices first appear. A line of fewer than six
    /// columns is malformed; the header line (starting with `IP`) and blank lines are skipped.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> [ARPEntryCount] {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> [ARPEntryCount] {
        var lines = LineScanner(bytes)
        var devices: [String] = []
        var counts: [Int] = []
        var positions: [String: Int] = [:]
        while let line = lines.next() {
            var columns = FieldScanner(line)
            guard let first = columns.next() else { continue }
            var count = 1
            var last = first
            while let column = columns.next() {
                last = column
                count += 1
            }
            guard count >= 6 else {
                throw .malformed(file, line: lines.lineNumber, expected: "6 columns, the device last", got: line)
            }
            guard !first.equals("IP") else { continue }
            // Device names have at most 15 bytes, which a String holds without allocating.
            let device = last.string
            if let position = positions[device] {
                counts[position] += 1
            } else {
                positions[device] = devices.count
                devices.append(device)
                counts.append(1)
            }
        }
        return zip(devices, counts).map { ARPEntryCount(device: $0, entries: $1) }
    }
}
