import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `schedstat` collector: `node_schedstat_running_seconds_total{cpu}`,
/// `node_schedstat_waiting_seconds_total{cpu}` and `node_schedstat_timeslices_total{cpu}` from /proc/schedstat
/// (collector/schedstat_linux.go). A kernel without CONFIG_SCHEDSTATS has no such file: nothing is exposed.
final class SchedStatCollector: Sendable {
    /// /proc/schedstat.
    private let file: KernelFile
    private let running: ObservableInstrument
    private let waiting: ObservableInstrument
    private let timeslices: ObservableInstrument
    private let layout = Mutex(DeviceLayout<LabelSet>())

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try SchedStatCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        file = KernelFile(path: options.procFS.path("schedstat"))
        let instruments = try InstrumentFactory(meter: meter).make([
            .counter(
                "node_schedstat_running_seconds_total", unit: "s",
                help: "Number of seconds CPU spent running a process."),
            .counter(
                "node_schedstat_waiting_seconds_total", unit: "s",
                help: "Number of seconds spent by processing waiting for this CPU."),
            .counter("node_schedstat_timeslices_total", help: "Number of timeslices executed by CPU."),
        ])
        running = instruments[0]
        waiting = instruments[1]
        timeslices = instruments[2]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        guard let stat = try file.parseIfPresent(SchedStat.parse) else { return }
        let cpus = stat.cpus
        layout.withLock { layout in
            layout.update(
                count: cpus.count, name: { String(cpus[$0].number) },
                makeEntry: { number in LabelSet(sortedUniqueLabels: [Label("cpu", number)]) }, labels: { $0 })
            let slots = layout.slots
            for position in layout.order {
                guard let labels = slots[position] else { continue }
                let cpu = cpus[position]
                recorder.observe(running, Double(cpu.runningNanoseconds) / 1e9, labels: labels)
                recorder.observe(waiting, Double(cpu.waitingNanoseconds) / 1e9, labels: labels)
                recorder.observe(timeslices, Double(cpu.timeslices), labels: labels)
            }
        }
    }
}
