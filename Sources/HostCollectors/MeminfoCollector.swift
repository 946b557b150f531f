import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `meminfo` collector: every field of /proc/meminfo as the gauge `node_memory_<Field>_bytes`, or
/// `node_memory_<Field>` for the unitless `HugePages_*` counts (collector/meminfo_linux.go).
///
/// The fields depend on the kernel and its configuration, so the instruments are created from the file itself:
/// for the fields present at registration, and for a field that appears later at the collection that first sees it
/// (exposed from the next collection on, since a meter's instruments are fixed while it collects).
final class MeminfoCollector: Sendable {
    /// /proc/meminfo.
    private let file: KernelFile
    private weak let meter: Meter?
    private let state = Mutex(State())

    private struct State {
        /// The instrument of each field name seen; nil for a field whose name could not be registered.
        var instruments: [String: ObservableInstrument?] = [:]
        /// The fields of the last read in file order, so that an unchanged file needs no dictionary lookups.
        var lastFields: [(name: String, instrument: ObservableInstrument?)] = []
        /// Whether the last collection created instruments that `lastFields` does not hold yet.
        var hasNewInstruments = false
    }

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = MeminfoCollector(meter: meter, options: context.options)
        if let meminfo = try? context.options.procFS.meminfo() {
            try collector.state.withLock { (state) throws(HostCollectorError) in
                // In the order of their names, so that the meter hands its families over sorted.
                let fields = meminfo.fields.sorted {
                    metricName(for: $0).utf8.lexicographicallyPrecedes(metricName(for: $1).utf8)
                }
                for field in fields where state.instruments[field.name] == nil {
                    state.instruments[field.name] = try Self.makeInstrument(for: field, on: meter)
                }
            }
        }
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) {
        self.meter = meter
        file = KernelFile(path: options.procFS.path("meminfo"))
    }

    /// The exposed name of a field: `Active(anon)` becomes `node_memory_Active_anon_bytes`, `HugePages_Total`
    /// stays `node_memory_HugePages_Total`.
    static func metricName(for field: Meminfo.Field) -> String {
        var name = "node_memory_"
        for scalar in field.name.unicodeScalars {
            switch scalar {
            case "(": name += "_"
            case ")": break
            default: name.unicodeScalars.append(scalar)
            }
        }
        return field.hasUnit ? name + "_bytes" : name
    }

    private static func makeInstrument(
        for field: Meminfo.Field, on meter: Meter
    ) throws(HostCollectorError) -> ObservableInstrument {
        let name = metricName(for: field)
        let help = "The \(field.name) field of /proc/meminfo\(field.hasUnit ? ", in bytes" : "")."
        let unit = field.hasUnit ? "By" : ""
        // node_exporter types a field as a counter only when its name ends in _total; none does today.
        let spec =
            name.hasSuffix("_total")
            ? InstrumentSpec.counter(name, unit: unit, help: help) : InstrumentSpec.gauge(name, unit: unit, help: help)
        return try InstrumentFactory(meter: meter).make(spec)
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let meminfo = try file.parse(Meminfo.parse)
        state.withLock { state in
            let fields = meminfo.fields
            let unchanged =
                !state.hasNewInstruments && fields.count == state.lastFields.count
                && zip(fields, state.lastFields).allSatisfy { $0.name == $1.name }
            if !unchanged {
                state.hasNewInstruments = false
                state.lastFields = fields.map { field in
                    if let known = state.instruments[field.name] { return (field.name, known) }
                    // A field seen for the first time gets its instrument now; the meter collecting at the moment
                    // does not know it yet, so it is exposed from the next collection on.
                    let instrument = meter.flatMap { try? Self.makeInstrument(for: field, on: $0) }
                    state.instruments[field.name] = .some(instrument)
                    state.hasNewInstruments = state.hasNewInstruments || instrument != nil
                    return (field.name, nil)
                }
            }
            for (field, cached) in zip(fields, state.lastFields) {
                guard let instrument = cached.instrument else { continue }
                recorder.observe(instrument, Double(field.value))
            }
        }
    }
}
