import MetricsCore
import ProcFS

/// node_exporter's `loadavg` collector: `node_load1`, `node_load5` and `node_load15` from /proc/loadavg
/// (collector/loadavg_linux.go).
final class LoadAvgCollector: Sendable {
    /// /proc/loadavg.
    private let file: KernelFile
    private let load1: ObservableInstrument
    private let load5: ObservableInstrument
    private let load15: ObservableInstrument

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try LoadAvgCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        file = KernelFile(path: options.procFS.path("loadavg"))
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge("node_load1", help: "Average number of runnable and uninterruptible tasks over the last minute."),
            .gauge("node_load5", help: "Average number of runnable and uninterruptible tasks over the last 5 minutes."),
            .gauge(
                "node_load15", help: "Average number of runnable and uninterruptible tasks over the last 15 minutes."),
        ])
        load1 = instruments[0]
        load5 = instruments[1]
        load15 = instruments[2]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let load = try file.parse(LoadAvg.parse)
        recorder.observe(load1, load.load1)
        recorder.observe(load5, load.load5)
        recorder.observe(load15, load.load15)
    }
}
