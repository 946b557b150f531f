/// One CPU's line of /proc/net/softnet_stat: the packets its network receive softirq processed and dropped.
///
/// One line per online CPU of hexadecimal columns: processed, dropped, time squeezed, five unused zeros, CPU
/// collisions (0 since Linux 4.x), received RPS (2.6.39), flow limit count (4.18), backlog length and the CPU's number
/// (5.14), input and process queue lengths (6.x). See net/core/net-procfs.c.
public struct SoftnetStat: Sendable, Equatable {
    /// The CPU: the kernel's number for it from the 13th column, or where the kernel does not print one, the
    /// line's position (the CPU number while every CPU is online).
    public let cpu: Int
    /// Packets processed.
    public let processed: UInt64
    /// Packets dropped because the input queue was full.
    public let dropped: UInt64
    /// Times the softirq ran out of budget or time with work left.
    public let timeSqueezed: UInt64

    static let file = "/proc/net/softnet_stat"

    /// Parses the content of /proc/net/softnet_stat. A line of fewer than 9 columns (older kernels had no fewer) or
    /// with a column that is not hexadecimal is malformed.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> [SoftnetStat] {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> [SoftnetStat] {
        var lines = LineScanner(bytes)
        var cpus: [SoftnetStat] = []
        while let line = lines.next() {
            guard !line.trimmingBlanks().isEmpty else { continue }
            var columns = FieldScanner(line)
            var values: (UInt64, UInt64, UInt64, cpu: UInt64?) = (0, 0, 0, nil)
            var count = 0
            while let column = columns.next() {
                guard let value = column.hexadecimalUInt64() else {
                    throw .malformed(file, line: lines.lineNumber, expected: "hexadecimal columns", got: line)
                }
                switch count {
                case 0: values.0 = value
                case 1: values.1 = value
                case 2: values.2 = value
                case 12: values.cpu = value
                default: break
                }
                count += 1
            }
            guard count >= 9, (values.cpu ?? 0) <= UInt64(Int32.max) else {
                throw .malformed(file, line: lines.lineNumber, expected: "at least 9 hexadecimal columns", got: line)
            }
            cpus.append(
                SoftnetStat(
                    cpu: values.cpu.map { Int($0) } ?? cpus.count, processed: values.0, dropped: values.1,
                    timeSqueezed: values.2))
        }
        return cpus
    }
}
