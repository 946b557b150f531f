import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `vmstat` collector: the /proc/vmstat fields whose names match `--collector.vmstat.fields` as
/// the untyped `node_vmstat_<field>` (collector/vmstat_linux.go). The node-mixin alert NodeMemoryMajorPagesFaults
/// uses `node_vmstat_pgmajfault`.
///
/// The fields depend on the kernel, so the instruments are created from the file itself, as the meminfo collector
/// does: for the matching fields present at registration, and for a matching field that appears later at the
/// collection that first sees it (exposed from the next collection on). The pattern is matched once per field
/// name, never per collection.
final class VMStatCollector: Sendable {
    /// /proc/vmstat.
    private let file: KernelFile
    private let pattern: Pattern
    private weak let meter: Meter?
    private let state = Mutex(State())

    private struct State {
        /// The instrument of each field name seen; nil for a field the pattern leaves out or whose name could not be
        /// registered.
        var instruments: [String: ObservableInstrument?] = [:]
        /// The field names of the last read in file order, and their instruments.
        var lastNames: [String] = []
        var lastInstruments: [ObservableInstrument?] = []
        /// Whether the last collection created instruments that `lastInstruments` does not hold yet.
        var hasNewInstruments = false
    }

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try VMStatCollector(meter: meter, options: context.options)
        if let vmstat = try? collector.file.parse({ (bytes) throws(ProcFSError) in try VMStat.parse(bytes) }) {
            try collector.state.withLock { (state) throws(HostCollectorError) in
                // In the order of their names, so that the meter hands its families over sorted.
                let names = vmstat.fields.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                for name in names where state.instruments[name] == nil {
                    state.instruments[name] =
                        collector.pattern.matches(name) ? try Self.makeInstrument(for: name, on: meter) : nil
                }
            }
        }
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        self.meter = meter
        file = KernelFile(path: options.procFS.path("vmstat"))
        pattern = try options.vmstatFieldPattern()
    }

    private static func makeInstrument(
        for name: String, on meter: Meter
    ) throws(HostCollectorError) -> ObservableInstrument {
        try InstrumentFactory(meter: meter).make(
            .untyped("node_vmstat_" + name, help: "/proc/vmstat information field \(name)."))
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let knownNames = state.withLock { $0.lastNames }
        let vmstat = try file.parse { (bytes) throws(ProcFSError) in try VMStat.parse(bytes, knownNames: knownNames) }
        state.withLock { state in
            let fields = vmstat.fields
            let unchanged =
                !state.hasNewInstruments && fields.count == state.lastNames.count
                && zip(fields, state.lastNames).allSatisfy { $0.name == $1 }
            if !unchanged {
                state.hasNewInstruments = false
                state.lastNames = fields.map(\.name)
                state.lastInstruments = fields.map { field in
                    if let known = state.instruments[field.name] { return known }
                    // A field seen for the first time: the meter collecting at the moment does not know its
                    // instrument yet, so it is exposed from the next collection on.
                    let instrument =
                        pattern.matches(field.name)
                        ? meter.flatMap { try? Self.makeInstrument(for: field.name, on: $0) }
                        : nil
                    state.instruments[field.name] = .some(instrument)
                    state.hasNewInstruments = state.hasNewInstruments || instrument != nil
                    return nil
                }
            }
            for (field, instrument) in zip(fields, state.lastInstruments) {
                guard let instrument else { continue }
                recorder.observe(instrument, field.value)
            }
        }
    }
}
