import MetricsCore
import ProcFS
import Synchronization

/// node_exporter 1.5's `softnet` collector: /proc/net/softnet_stat as `node_softnet_processed_total{cpu}`,
/// `node_softnet_dropped_total{cpu}` and `node_softnet_times_squeezed_total{cpu}` (collector/softnet_linux.go).
///
/// The `cpu` label is the kernel's number for the CPU where the file has it (Linux 5.14 and later), as later
/// node_exporter releases take it; node_exporter 1.5 numbers the lines instead, which is the same while every CPU is
/// online.
final class SoftnetCollector: Sendable {
    /// /proc/net/softnet_stat.
    private let file: KernelFile
    private let processed: ObservableInstrument
    private let dropped: ObservableInstrument
    private let timesSqueezed: ObservableInstrument
    private let layout = Mutex(DeviceLayout<LabelSet>())

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try SoftnetCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        file = KernelFile(path: options.procFS.path("net/softnet_stat"))
        let instruments = try InstrumentFactory(meter: meter).make([
            .counter("node_softnet_processed_total", help: "Packets processed by each CPU's network receive softirq."),
            .counter(
                "node_softnet_dropped_total", help: "Packets each CPU dropped because its input queue was full."),
            .counter(
                "node_softnet_times_squeezed_total",
                help: "Times each CPU's network receive softirq ran out of budget or time with packets left."),
        ])
        processed = instruments[0]
        dropped = instruments[1]
        timesSqueezed = instruments[2]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let cpus = try file.parse(SoftnetStat.parse)
        layout.withLock { layout in
            layout.update(count: cpus.count, label: "cpu", name: { String(cpus[$0].cpu) })
            for (position, labels) in layout.reportedRows {
                let cpu = cpus[position]
                recorder.observe(processed, Double(cpu.processed), labels: labels)
                recorder.observe(dropped, Double(cpu.dropped), labels: labels)
                recorder.observe(timesSqueezed, Double(cpu.timeSqueezed), labels: labels)
            }
        }
    }
}
