import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `arp` collector: the entries of /proc/net/arp per interface as `node_arp_entries{device}`, filtered
/// by `--collector.arp.device-exclude` or `-include` (collector/arp_linux.go).
final class ARPCollector: Sendable {
    /// /proc/net/arp.
    private let file: KernelFile
    private let filter: NameFilter
    private let entries: ObservableInstrument
    private let layout = Mutex(DeviceLayout<LabelSet>())

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try ARPCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        file = KernelFile(path: options.procFS.path("net/arp"))
        filter = try options.arpFilter()
        entries = try InstrumentFactory(meter: meter).make(
            .gauge("node_arp_entries", help: "Entries of the ARP table, per interface."))
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let devices = try file.parse(ARPEntryCount.parse)
        layout.withLock { layout in
            layout.update(count: devices.count, label: "device", name: { devices[$0].device }, admits: filter.admits)
            for (position, labels) in layout.reportedRows {
                recorder.observe(entries, Double(devices[position].entries), labels: labels)
            }
        }
    }
}
