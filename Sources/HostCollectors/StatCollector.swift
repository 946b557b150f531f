import MetricsCore
import ProcFS

/// node_exporter's `stat` collector: boot time, context switches, forks, interrupts and the running and blocked
/// task counts from /proc/stat (collector/stat_linux.go). A line the kernel does not print is not reported.
final class StatCollector: Sendable {
    /// /proc/stat.
    private let file: KernelFile
    private let bootTime: ObservableInstrument
    private let contextSwitches: ObservableInstrument
    private let forks: ObservableInstrument
    private let interrupts: ObservableInstrument
    private let running: ObservableInstrument
    private let blocked: ObservableInstrument

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try StatCollector(meter: meter, context: context)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        file = KernelFile(path: context.options.procFS.path("stat"))
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge(
                "node_boot_time_seconds", unit: "s", help: "When the system booted, in seconds since the Unix epoch."),
            .counter("node_context_switches_total", help: "Context switches since boot."),
            .counter("node_forks_total", help: "Processes and threads created since boot."),
            .counter("node_intr_total", help: "Interrupts serviced since boot."),
            .gauge("node_procs_running", help: "Tasks currently runnable."),
            .gauge("node_procs_blocked", help: "Tasks currently blocked waiting for I/O."),
        ])
        bootTime = instruments[0]
        contextSwitches = instruments[1]
        forks = instruments[2]
        interrupts = instruments[3]
        running = instruments[4]
        blocked = instruments[5]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let stat = try file.parse(KernelStat.parse)
        if let value = stat.bootTime { recorder.observe(bootTime, Double(value)) }
        if let value = stat.contextSwitches { recorder.observe(contextSwitches, Double(value)) }
        if let value = stat.processesCreated { recorder.observe(forks, Double(value)) }
        if let value = stat.interrupts { recorder.observe(interrupts, Double(value)) }
        if let value = stat.processesRunning { recorder.observe(running, Double(value)) }
        if let value = stat.processesBlocked { recorder.observe(blocked, Double(value)) }
    }
}
