import MetricsCore
import ProcFS

/// node_exporter's `conntrack` collector: the size of the netfilter connection-tracking table as
/// `node_nf_conntrack_entries` and `node_nf_conntrack_entries_limit`, and its statistics from
/// /proc/net/stat/nf_conntrack summed over the CPUs as the gauges `node_nf_conntrack_stat_*`
/// (collector/conntrack_linux.go).
///
/// The files exist only while the nf_conntrack module is loaded. Where one does not exist, its metrics are left out
/// and the collector still succeeds (node_exporter reports "no data" as a failed collector).
final class ConntrackCollector: Sendable {
    private let countFile: KernelFile
    private let maximumFile: KernelFile
    private let statisticsFile: KernelFile
    private let entries: ObservableInstrument
    private let limit: ObservableInstrument
    /// One gauge per counter of ``ConntrackStatistics``, in the order of ``statisticsValues(_:)``.
    private let statistics: [ObservableInstrument]

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try ConntrackCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        let procFS = options.procFS
        countFile = KernelFile(path: procFS.path("sys/net/netfilter/nf_conntrack_count"))
        maximumFile = KernelFile(path: procFS.path("sys/net/netfilter/nf_conntrack_max"))
        statisticsFile = KernelFile(path: procFS.path("net/stat/nf_conntrack"))
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge("node_nf_conntrack_entries", help: "Flows the connection-tracking table holds."),
            .gauge("node_nf_conntrack_entries_limit", help: "The most flows the connection-tracking table can hold."),
            .gauge("node_nf_conntrack_stat_found", help: "Connection-tracking lookups that found an entry."),
            .gauge("node_nf_conntrack_stat_invalid", help: "Packets connection tracking could not track."),
            .gauge(
                "node_nf_conntrack_stat_ignore",
                help: "Packets already attached to a connection-tracking entry, or not to be tracked."),
            .gauge("node_nf_conntrack_stat_insert", help: "Entries inserted into the connection-tracking table."),
            .gauge(
                "node_nf_conntrack_stat_insert_failed",
                help: "Insertions into the connection-tracking table that failed because the entry was there."),
            .gauge("node_nf_conntrack_stat_drop", help: "Packets dropped because connection tracking failed."),
            .gauge(
                "node_nf_conntrack_stat_early_drop",
                help: "Connection-tracking entries dropped to make room for new ones in a full table."),
            .gauge(
                "node_nf_conntrack_stat_search_restart",
                help: "Connection-tracking lookups restarted because the table was resized."),
        ])
        entries = instruments[0]
        limit = instruments[1]
        statistics = Array(instruments[2...])
    }

    private static func statisticsValues(_ statistics: ConntrackStatistics) -> [UInt64?] {
        [
            statistics.found, statistics.invalid, statistics.ignore, statistics.insert, statistics.insertFailed,
            statistics.drop, statistics.earlyDrop, statistics.searchRestart,
        ]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        guard let count = try countFile.parseIfPresent(ConntrackStatistics.parseTableSize) else { return }
        recorder.observe(entries, Double(count))
        if let maximum = try maximumFile.parseIfPresent(ConntrackStatistics.parseTableSize) {
            recorder.observe(limit, Double(maximum))
        }
        guard let sums = try statisticsFile.parseIfPresent(ConntrackStatistics.parse) else { return }
        for (instrument, value) in zip(statistics, Self.statisticsValues(sums)) {
            if let value { recorder.observe(instrument, Double(value)) }
        }
    }

}
