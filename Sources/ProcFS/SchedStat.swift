/// The per-CPU scheduler statistics of /proc/schedstat (kernels with CONFIG_SCHEDSTATS):
///
/// ```
/// version 15
/// timestamp 4297299139
/// cpu0 0 0 0 0 0 0 8126436212760 1402329412345 95637484
/// domain0 00000003 1234 1233 ...
/// ```
///
/// Of a `cpu<N>` line, the seventh to ninth numbers are the time tasks ran on the CPU and waited for it, in
/// nanoseconds, and the timeslices it ran. Other lines (`version`, `timestamp`, `domain<N>`) are skipped. See
/// https://docs.kernel.org/scheduler/sched-stats.html.
public struct SchedStat: Sendable, Equatable {
    /// One `cpu<N>` line.
    public struct CPU: Sendable, Equatable {
        /// N, the CPU number.
        public let number: UInt32
        /// Nanoseconds tasks spent running on this CPU.
        public let runningNanoseconds: UInt64
        /// Nanoseconds tasks spent waiting to run on this CPU.
        public let waitingNanoseconds: UInt64
        /// Timeslices run on this CPU.
        public let timeslices: UInt64

        public init(number: UInt32, runningNanoseconds: UInt64, waitingNanoseconds: UInt64, timeslices: UInt64) {
            self.number = number
            self.runningNanoseconds = runningNanoseconds
            self.waitingNanoseconds = waitingNanoseconds
            self.timeslices = timeslices
        }
    }

    /// The CPUs in file order.
    public let cpus: [CPU]

    static let file = "/proc/schedstat"
    private static let expectedLine = "\"cpu<N> <9 or more numbers>\""

    /// Parses /proc/schedstat. A `cpu<N>` line with fewer than nine numeric columns, or a column that is not an
    /// unsigned number that fits, is malformed; a file without `cpu` lines has no CPUs.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> SchedStat {
        try bytes.parsingBytes { (raw) throws(ProcFSError) -> SchedStat in
            var lines = LineScanner(raw)
            var cpus: [CPU] = []
            while let line = lines.next() {
                var columns = FieldScanner(line)
                guard let name = columns.next(), name.starts(with: "cpu"), name.count > 3 else { continue }
                guard let number = UnsafeRawBufferPointer(rebasing: name[3...]).decimalUInt64(),
                    let cpuNumber = UInt32(exactly: number)
                else { throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line) }
                var values: (UInt64, UInt64, UInt64) = (0, 0, 0)
                for column in 0..<9 {
                    guard let value = columns.nextUInt64() else {
                        throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line)
                    }
                    switch column {
                    case 6: values.0 = value
                    case 7: values.1 = value
                    case 8: values.2 = value
                    default: break
                    }
                }
                cpus.append(
                    CPU(
                        number: cpuNumber, runningNanoseconds: values.0, waitingNanoseconds: values.1,
                        timeslices: values.2))
            }
            return SchedStat(cpus: cpus)
        }
    }
}
