/// The load averages of /proc/loadavg, e.g. `0.21 0.37 0.39 1/719 19737`.
///
/// See https://docs.kernel.org/filesystems/proc.html#kernel-data and proc(5).
public struct LoadAvg: Sendable, Equatable {
    /// Average number of runnable or uninterruptible tasks over the last minute.
    public let load1: Double
    /// The same over 5 minutes.
    public let load5: Double
    /// The same over 15 minutes.
    public let load15: Double
    /// Scheduling entities (threads) currently runnable: the number before the slash.
    public let runningTasks: UInt64
    /// Scheduling entities that exist: the number after the slash.
    public let totalTasks: UInt64
    /// The most recently created process ID.
    public let lastPID: Int32

    static let file = "/proc/loadavg"
    private static let expectedLine = "\"<load1> <load5> <load15> <running>/<total> <last pid>\""

    /// Parses the content of /proc/loadavg (its first line; columns after the fifth are ignored). An empty file or a
    /// missing, non-numeric or oversized column is malformed.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> LoadAvg {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> LoadAvg {
        var lines = LineScanner(bytes)
        guard let line = lines.next(), !line.trimmingBlanks().isEmpty else { throw .emptyFile(file) }
        var columns = FieldScanner(line)
        guard let load1 = columns.next()?.decimalDouble(), let load5 = columns.next()?.decimalDouble(),
            let load15 = columns.next()?.decimalDouble(), let tasks = columns.next(),
            let slash = tasks.firstIndex(of: ASCII.slash),
            let running = UnsafeRawBufferPointer(rebasing: tasks[..<slash]).decimalUInt64(),
            let total = UnsafeRawBufferPointer(rebasing: tasks[(slash + 1)...]).decimalUInt64(),
            let lastPID = columns.next()?.decimalInt64(), let pid = Int32(exactly: lastPID)
        else { throw .malformed(file, line: 1, expected: expectedLine, got: line) }
        return LoadAvg(
            load1: load1, load5: load5, load15: load15, runningTasks: running, totalTasks: total, lastPID: pid)
    }
}
