/// The kernel and CPU activity counters of /proc/stat.
///
/// The aggregate `cpu` line is required; everything else may be absent. Lines this type does not know (`page`,
/// `swap`, future additions) are skipped, and offline CPUs simply have no `cpuN` line. See
/// https://docs.kernel.org/filesystems/proc.html#miscellaneous-kernel-statistics-in-proc-stat and proc(5).
public struct KernelStat: Sendable, Equatable {
    /// Time spent in each mode, in USER_HZ ticks (1/100 s on every common architecture). Columns an older kernel
    /// does not print (iowait…softirq before 2.6, steal before 2.6.11, guest before 2.6.24, guest_nice before
    /// 2.6.33) are 0.
    public struct CPUTimes: Sendable, Equatable {
        public let user: UInt64
        public let nice: UInt64
        public let system: UInt64
        public let idle: UInt64
        public let iowait: UInt64
        public let irq: UInt64
        public let softirq: UInt64
        public let steal: UInt64
        /// Time running a virtual CPU for guests; already included in `user`.
        public let guest: UInt64
        /// Time running a niced guest; already included in `nice`.
        public let guestNice: UInt64
    }

    /// One `cpuN` line.
    public struct CPU: Sendable, Equatable {
        /// N, the CPU number.
        public let index: Int
        public let times: CPUTimes
    }

    /// The aggregate `cpu` line: the sum over all CPUs.
    public let total: CPUTimes
    /// The `cpuN` lines in file order.
    public let cpus: [CPU]
    /// `intr`: interrupts serviced since boot (the first number of the line, the total).
    public let interrupts: UInt64?
    /// `ctxt`: context switches since boot.
    public let contextSwitches: UInt64?
    /// `btime`: boot time in seconds since the Unix epoch.
    public let bootTime: UInt64?
    /// `processes`: processes and threads created (forks) since boot.
    public let processesCreated: UInt64?
    /// `procs_running`: threads currently runnable.
    public let processesRunning: UInt64?
    /// `procs_blocked`: threads currently blocked on I/O.
    public let processesBlocked: UInt64?
    /// `softirq`: soft interrupts serviced since boot (the first number of the line, the total).
    public let softInterrupts: UInt64?

    static let file = "/proc/stat"

    /// Parses the content of /proc/stat. An empty file, a missing `cpu` line, a CPU line with fewer than 4 columns,
    /// and a known line with a missing, non-numeric or oversized value are malformed.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> KernelStat {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> KernelStat {
        guard !bytes.isEmpty else { throw .emptyFile(file) }
        var lines = LineScanner(bytes)
        var total: CPUTimes?
        var cpus: [CPU] = []
        var interrupts: UInt64?
        var contextSwitches: UInt64?
        var bootTime: UInt64?
        var processesCreated: UInt64?
        var processesRunning: UInt64?
        var processesBlocked: UInt64?
        var softInterrupts: UInt64?

        while let line = lines.next() {
            var columns = FieldScanner(line)
            guard let key = columns.next() else { continue }
            if key.starts(with: "cpu") {
                let suffix = UnsafeRawBufferPointer(rebasing: key[3...])
                guard let times = CPUTimes(&columns) else {
                    throw .malformed(
                        file, line: lines.lineNumber, expected: "\"cpu[N] <user> <nice> <system> <idle> ...\"",
                        got: line)
                }
                if suffix.isEmpty {
                    total = times
                } else if let index = suffix.decimalUInt64(), index <= UInt64(Int32.max) {
                    cpus.append(CPU(index: Int(index), times: times))
                } else {
                    throw .malformed(file, line: lines.lineNumber, expected: "a CPU number after \"cpu\"", got: line)
                }
                continue
            }
            guard let counter = Counter(key) else { continue }
            guard let value = columns.nextUInt64() else {
                throw .malformed(file, line: lines.lineNumber, expected: "\"\(key.string) <number> ...\"", got: line)
            }
            switch counter {
            case .interrupts: interrupts = value
            case .contextSwitches: contextSwitches = value
            case .bootTime: bootTime = value
            case .processesCreated: processesCreated = value
            case .processesRunning: processesRunning = value
            case .processesBlocked: processesBlocked = value
            case .softInterrupts: softInterrupts = value
            }
        }
        guard let total else {
            throw .malformed(file: file, line: 1, reason: "no aggregate \"cpu\" line")
        }
        return KernelStat(
            total: total, cpus: cpus, interrupts: interrupts, contextSwitches: contextSwitches, bootTime: bootTime,
            processesCreated: processesCreated, processesRunning: processesRunning,
            processesBlocked: processesBlocked, softInterrupts: softInterrupts)
    }

    /// The single-number lines, by their key.
    private enum Counter {
        case interrupts, contextSwitches, bootTime, processesCreated, processesRunning, processesBlocked
        case softInterrupts

        init?(_ key: UnsafeRawBufferPointer) {
            if key.equals("intr") {
                self = .interrupts
            } else if key.equals("ctxt") {
                self = .contextSwitches
            } else if key.equals("btime") {
                self = .bootTime
            } else if key.equals("processes") {
                self = .processesCreated
            } else if key.equals("procs_running") {
                self = .processesRunning
            } else if key.equals("procs_blocked") {
                self = .processesBlocked
            } else if key.equals("softirq") {
                self = .softInterrupts
            } else {
                return nil
            }
        }
    }
}

extension KernelStat.CPUTimes {
    /// The time columns of a `cpu` line: at least user, nice, system and idle; later columns default to 0 and
    /// columns beyond guest_nice are ignored. Nil when a column is not a number that fits.
    init?(_ columns: inout FieldScanner) {
        guard let user = columns.nextUInt64(), let nice = columns.nextUInt64(), let system = columns.nextUInt64(),
            let idle = columns.nextUInt64(), let iowait = Self.optionalColumn(&columns),
            let irq = Self.optionalColumn(&columns), let softirq = Self.optionalColumn(&columns),
            let steal = Self.optionalColumn(&columns), let guest = Self.optionalColumn(&columns),
            let guestNice = Self.optionalColumn(&columns)
        else { return nil }
        self.init(
            user: user, nice: nice, system: system, idle: idle, iowait: iowait, irq: irq, softirq: softirq,
            steal: steal, guest: guest, guestNice: guestNice)
    }

    /// 0 when an older kernel does not print the column, nil when it is present but not a number that fits.
    private static func optionalColumn(_ columns: inout FieldScanner) -> UInt64? {
        guard let field = columns.next() else { return 0 }
        return field.decimalUInt64()
    }
}
