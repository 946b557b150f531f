import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `netstat` collector: the counters of /proc/net/netstat, /proc/net/snmp and /proc/net/snmp6 whose
/// `<Protocol>_<Counter>` key matches `--collector.netstat.fields`, as the untyped `node_netstat_<Protocol>_<Counter>`
/// (collector/netstat_linux.go). /proc/net/snmp6 is left out where it does not exist (no IPv6).
///
/// The pattern is matched once per key (``LearnedInstruments``), and a read is mapped to instruments once per layout
/// of its file: a collection of unchanged files parses numbers and observes the chosen columns, and builds no
/// string.
final class NetStatCollector: Sendable {
    /// The three files, in node_exporter's merge order (a key in two files reports the later file's value).
    private let sources: [Source]
    /// `--collector.netstat.fields`; nil (the flag empty) keeps every counter.
    private let fieldPattern: Pattern?
    private let instruments: LearnedInstruments
    /// Per source: the layout last read and, for it, each reported column with its instrument.
    private let columns: Mutex<[(layout: NetStatisticsLayout?, columns: [Column])]>

    private typealias Column = (index: Int, instrument: ObservableInstrument)

    private struct Source: Sendable {
        let file: KernelFile
        let parse: @Sendable ([UInt8], NetStatisticsLayout?) throws(ProcFSError) -> NetStatistics
        /// Whether a missing file is reported as nothing rather than as a failure.
        let isOptional: Bool
    }

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try NetStatCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        let procFS = options.procFS
        let protocolTable: @Sendable ([UInt8], NetStatisticsLayout?) throws(ProcFSError) -> NetStatistics = {
            (bytes, layout) throws(ProcFSError) in try NetStatistics.parse(bytes, reusing: layout)
        }
        sources = [
            Source(file: KernelFile(path: procFS.path("net/netstat")), parse: protocolTable, isOptional: false),
            Source(file: KernelFile(path: procFS.path("net/snmp")), parse: protocolTable, isOptional: false),
            Source(
                file: KernelFile(path: procFS.path("net/snmp6")),
                parse: { (bytes, layout) throws(ProcFSError) in try NetStatistics.parseSNMP6(bytes, reusing: layout) },
                isOptional: true),
        ]
        fieldPattern = try options.netStatFieldPattern()
        instruments = LearnedInstruments(meter: meter)
        columns = Mutex(Array(repeating: (nil, []), count: sources.count))
        // The keys present now get their instruments at once; a file that cannot be read now is learned later.
        let keys = sources.flatMap { source in
            (try? source.file.parse { (bytes) throws(ProcFSError) in try source.parse(bytes, nil) })?.layout.keys ?? []
        }
        try instruments.register(keys.map { ($0, spec(for: $0)) })
    }

    /// The instrument of `key`, or nil when the fields pattern leaves it out.
    private func spec(for key: String) -> InstrumentSpec? {
        guard fieldPattern?.matches(key) ?? true else { return nil }
        // node_exporter's help: the protocol and the counter joined, `Statistic TcpExtListenDrops.`
        var statistic = key
        if let separator = statistic.firstIndex(of: "_") { statistic.remove(at: separator) }
        return .untyped("node_netstat_" + key, help: "Statistic \(statistic).")
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        for (position, source) in sources.enumerated() {
            let layout = columns.withLock { $0[position].layout }
            let parse = { (bytes: [UInt8]) throws(ProcFSError) in try source.parse(bytes, layout) }
            let read = source.isOptional ? try source.file.parseIfPresent(parse) : try source.file.parse(parse)
            guard let statistics = read else { continue }
            columns.withLock { columns in
                if statistics.layout !== columns[position].layout {
                    columns[position] = (statistics.layout, mapColumns(of: statistics.layout))
                }
                for (index, instrument) in columns[position].columns {
                    recorder.observe(instrument, statistics.values[index])
                }
            }
        }
    }

    /// The reported columns of a layout, with their instruments.
    private func mapColumns(of layout: NetStatisticsLayout) -> [Column] {
        layout.keys.enumerated().compactMap { index, key in
            instruments.instrument(for: key) { spec(for: key) }.map { (index, $0) }
        }
    }
}
