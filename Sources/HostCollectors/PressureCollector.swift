import MetricsCore
import ProcFS

/// node_exporter's `pressure` collector: the `some` totals of /proc/pressure/cpu, io and memory and the `full`
/// totals of io and memory, in seconds (collector/pressure_linux.go).
///
/// A kernel without pressure stall information (before 4.20, or without CONFIG_PSI) has no /proc/pressure, and
/// one booted with `psi=0` refuses to read it (`EOPNOTSUPP`): then the resource's families are not exposed and the
/// collector does not fail.
final class PressureCollector: Sendable {
    private let cpuFile: KernelFile
    private let ioFile: KernelFile
    private let memoryFile: KernelFile
    private let cpuWaiting: ObservableInstrument
    private let ioWaiting: ObservableInstrument
    private let ioStalled: ObservableInstrument
    private let memoryWaiting: ObservableInstrument
    private let memoryStalled: ObservableInstrument

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try PressureCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        cpuFile = KernelFile(path: options.procFS.path("pressure/cpu"))
        ioFile = KernelFile(path: options.procFS.path("pressure/io"))
        memoryFile = KernelFile(path: options.procFS.path("pressure/memory"))
        let instruments = try InstrumentFactory(meter: meter).make([
            .counter(
                "node_pressure_cpu_waiting_seconds_total", unit: "s",
                help: "Total time in seconds that processes have waited for CPU time"),
            .counter(
                "node_pressure_io_waiting_seconds_total", unit: "s",
                help: "Total time in seconds that processes have waited due to IO congestion"),
            .counter(
                "node_pressure_io_stalled_seconds_total", unit: "s",
                help: "Total time in seconds no process could make progress due to IO congestion"),
            .counter(
                "node_pressure_memory_waiting_seconds_total", unit: "s",
                help: "Total time in seconds that processes have waited for memory"),
            .counter(
                "node_pressure_memory_stalled_seconds_total", unit: "s",
                help: "Total time in seconds no process could make progress due to memory congestion"),
        ])
        cpuWaiting = instruments[0]
        ioWaiting = instruments[1]
        ioStalled = instruments[2]
        memoryWaiting = instruments[3]
        memoryStalled = instruments[4]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        if let cpu = try cpuFile.parseIfPresent(Pressure.parse) {
            observe(cpu.some, as: cpuWaiting, into: &recorder)
        }
        if let io = try ioFile.parseIfPresent(Pressure.parse) {
            observe(io.some, as: ioWaiting, into: &recorder)
            observe(io.full, as: ioStalled, into: &recorder)
        }
        if let memory = try memoryFile.parseIfPresent(Pressure.parse) {
            observe(memory.some, as: memoryWaiting, into: &recorder)
            observe(memory.full, as: memoryStalled, into: &recorder)
        }
    }

    /// The total of `line` in seconds, divided as node_exporter divides it (twice by 1000, which rounds differently
    /// from one division by 10^6).
    private func observe(
        _ line: Pressure.Line?, as instrument: ObservableInstrument, into recorder: inout ObservationRecorder
    ) {
        guard let line else { return }
        recorder.observe(instrument, Double(line.total) / 1000 / 1000)
    }
}
