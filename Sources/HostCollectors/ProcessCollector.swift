import MetricsCore
import ProcFS
import Synchronization

/// tally's own process metrics, named as Prometheus client libraries name them (client_golang
/// prometheus/process_collector.go): CPU time, memory, file descriptors and start time, from /proc/self/stat,
/// /proc/self/limits, /proc/self/fd and the boot time in /proc/stat.
///
/// The meter is called "process" and does not appear in the per-collector status families: it is not a node
/// collector. A read that fails fails the whole meter for that collection.
public final class ProcessCollector: Sendable {
    /// USER_HZ, the unit of the times in /proc/[pid]/stat (1/100 s on every architecture Linux exposes it on).
    static let ticksPerSecond = 100.0

    private let procFS: ProcFS
    /// /proc/self/stat.
    private let statFile: KernelFile
    /// /proc/self/limits.
    private let limitsFile: KernelFile
    /// /proc/self/fd.
    private let descriptors: DirectoryEntryCounter
    private let pageSize: Double
    private let cpuSeconds: ObservableInstrument
    private let residentMemory: ObservableInstrument
    private let virtualMemory: ObservableInstrument
    private let virtualMemoryLimit: ObservableInstrument
    private let openFileDescriptors: ObservableInstrument
    private let fileDescriptorLimit: ObservableInstrument
    private let startTime: ObservableInstrument
    /// The process's start time in seconds since the epoch, once read: it cannot change, and /proc/stat, where the
    /// boot time is, is the largest file read here.
    private let startSeconds = Mutex<Double?>(nil)
    /// /proc/self/limits as last read and parsed: it changes only when someone calls `setrlimit` or `prlimit`, so an
    /// unchanged file is not parsed again.
    private let limitsCache = Mutex<(bytes: [UInt8], limits: ProcessLimits)?>(nil)

    /// Creates the "process" meter on `registry` and its instruments.
    public static func register(options: HostCollectorOptions, registry: MetricRegistry) throws(HostCollectorError) {
        let meter = registry.makeMeter(name: "process", reportsCollectorStatus: false)
        let collector = try ProcessCollector(meter: meter, options: options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        procFS = options.procFS
        statFile = KernelFile(path: options.procFS.path("self/stat"))
        limitsFile = KernelFile(path: options.procFS.path("self/limits"))
        descriptors = DirectoryEntryCounter(path: options.procFS.path("self/fd"))
        pageSize = Double(options.pageSize)
        let instruments = try InstrumentFactory(meter: meter).make([
            .counter(
                "process_cpu_seconds_total", unit: "s",
                help: "CPU time the process used in user and kernel mode, in seconds."),
            .gauge("process_resident_memory_bytes", unit: "By", help: "Resident memory of the process, in bytes."),
            .gauge("process_virtual_memory_bytes", unit: "By", help: "Virtual memory of the process, in bytes."),
            .gauge(
                "process_virtual_memory_max_bytes", unit: "By",
                help: "Limit on the process's virtual memory (RLIMIT_AS), in bytes."),
            .gauge("process_open_fds", help: "File descriptors the process has open."),
            .gauge("process_max_fds", help: "Limit on the process's open file descriptors (RLIMIT_NOFILE)."),
            .gauge(
                "process_start_time_seconds", unit: "s",
                help: "When the process started, in seconds since the Unix epoch."),
        ])
        cpuSeconds = instruments[0]
        residentMemory = instruments[1]
        virtualMemory = instruments[2]
        virtualMemoryLimit = instruments[3]
        openFileDescriptors = instruments[4]
        fileDescriptorLimit = instruments[5]
        startTime = instruments[6]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let stat = try statFile.parse(ProcessStat.parse)
        let limits = try readLimits()
        let openDescriptors = try descriptors.count()
        let started = try startSeconds.withLock { (seconds) throws(ProcFSError) -> Double? in
            if let seconds { return seconds }
            guard let bootTime = try procFS.stat().bootTime else { return nil }
            seconds = Double(bootTime) + Double(stat.startTicks) / Self.ticksPerSecond
            return seconds
        }
        recorder.observe(cpuSeconds, (Double(stat.userTicks) + Double(stat.systemTicks)) / Self.ticksPerSecond)
        recorder.observe(residentMemory, Double(stat.residentPages) * pageSize)
        recorder.observe(virtualMemory, Double(stat.virtualMemoryBytes))
        if let limit = limits.maxAddressSpace { recorder.observe(virtualMemoryLimit, Self.value(of: limit)) }
        recorder.observe(openFileDescriptors, Double(openDescriptors))
        if let limit = limits.maxOpenFiles { recorder.observe(fileDescriptorLimit, Self.value(of: limit)) }
        if let started { recorder.observe(startTime, started) }
    }

    private func readLimits() throws(ProcFSError) -> ProcessLimits {
        let bytes = try limitsFile.read()
        if let cached = limitsCache.withLock({ $0 }), cached.bytes == bytes { return cached.limits }
        let limits = try limitsFile.parse(bytes, by: ProcessLimits.parse)
        limitsCache.withLock { $0 = (bytes, limits) }
        return limits
    }

    /// A limit as client_golang reports it: `unlimited` is 2^64 - 1.
    private static func value(of limit: ProcessLimits.Value) -> Double {
        switch limit {
        case .unlimited: Double(UInt64.max)
        case .limited(let value): Double(value)
        }
    }
}
