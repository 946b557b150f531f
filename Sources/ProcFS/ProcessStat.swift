/// The fields of /proc/[pid]/stat that process metrics need.
///
/// The line is `<pid> (<comm>) <state> <ppid> ...`. The command name may itself contain spaces and parentheses, so
/// it runs from the first `(` to the last `)`; the numbered fields below follow proc(5).
public struct ProcessStat: Sendable, Equatable {
    /// Field 1: the process ID.
    public let pid: Int32
    /// Field 2: the command name (at most 15 bytes, from the executable or `prctl(PR_SET_NAME)`).
    public let command: String
    /// Field 3: the state, e.g. `R` running, `S` sleeping, `D` disk sleep, `Z` zombie.
    public let state: Character
    /// Field 4: the parent process ID.
    public let parentPID: Int32
    /// Field 14: user-mode CPU time, in USER_HZ ticks.
    public let userTicks: UInt64
    /// Field 15: kernel-mode CPU time, in USER_HZ ticks.
    public let systemTicks: UInt64
    /// Field 20: the number of threads.
    public let threadCount: UInt64
    /// Field 22: when the process started, in USER_HZ ticks after boot.
    public let startTicks: UInt64
    /// Field 23: virtual memory size in bytes.
    public let virtualMemoryBytes: UInt64
    /// Field 24: resident set size in pages.
    public let residentPages: UInt64

    static let file = "/proc/[pid]/stat"
    private static let expectedLine = "\"<pid> (<comm>) <state> <ppid> ...\" with at least 24 fields"

    /// Parses the content of /proc/[pid]/stat. An empty file, missing parentheses, fewer than 24 fields, or a
    /// non-numeric or oversized value in a field read here is malformed.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> ProcessStat {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> ProcessStat {
        var lines = LineScanner(bytes)
        guard let line = lines.next(), !line.trimmingBlanks().isEmpty else { throw .emptyFile(file) }
        guard let stat = ProcessStat(line) else { throw .malformed(file, line: 1, expected: expectedLine, got: line) }
        return stat
    }
}

extension ProcessStat {
    fileprivate init?(_ line: UnsafeRawBufferPointer) {
        guard let open = line.firstIndex(of: UInt8(ascii: "(")),
            let close = line.lastIndex(of: UInt8(ascii: ")")), open < close,
            let pid = UnsafeRawBufferPointer(rebasing: line[..<open]).trimmingBlanks().decimalInt64()
                .flatMap(Int32.init(exactly:))
        else { return nil }
        let command = UnsafeRawBufferPointer(rebasing: line[(open + 1)..<close])
        var fields = FieldScanner(UnsafeRawBufferPointer(rebasing: line[(close + 1)...]))

        // Fields are numbered from 1 as in proc(5); the scanner starts at field 3, the state.
        guard let stateField = fields.next(), stateField.count == 1,
            let parentPID = fields.next()?.decimalInt64().flatMap(Int32.init(exactly:))
        else { return nil }
        var number = 4
        // Skips to field `target` and parses it as an unsigned number.
        func field(_ target: Int) -> UInt64? {
            while number < target - 1 {
                guard fields.next() != nil else { return nil }
                number += 1
            }
            number = target
            return fields.nextUInt64()
        }
        guard let userTicks = field(14), let systemTicks = field(15), let threadCount = field(20),
            let startTicks = field(22), let virtualMemoryBytes = field(23), let residentPages = field(24)
        else { return nil }
        self.init(
            pid: pid, command: command.string, state: Character(Unicode.Scalar(stateField[0])),
            parentPID: parentPID, userTicks: userTicks, systemTicks: systemTicks, threadCount: threadCount,
            startTicks: startTicks, virtualMemoryBytes: virtualMemoryBytes, residentPages: residentPages)
    }
}
