import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `netdev` collector reading /proc/net/dev (its `--no-collector.netdev.netlink` path): the 16
/// counters of each interface as `node_network_<field>_total{device}`, with node_exporter's legacy field names
/// (collector/netdev_linux.go).
final class NetDevCollector: Sendable {
    /// The exposed field names, in the order of the columns of /proc/net/dev.
    static let fields = [
        "receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo", "receive_frame",
        "receive_compressed", "receive_multicast", "transmit_bytes", "transmit_packets", "transmit_errs",
        "transmit_drop", "transmit_fifo", "transmit_colls", "transmit_carrier", "transmit_compressed",
    ]

    private static let help = [
        "Bytes received.", "Packets received.", "Receive errors.", "Received packets dropped.",
        "Receive FIFO buffer errors.", "Receive framing errors.", "Compressed packets received.",
        "Multicast packets received.", "Bytes transmitted.", "Packets transmitted.", "Transmit errors.",
        "Transmitted packets dropped.", "Transmit FIFO buffer errors.", "Collisions detected while transmitting.",
        "Carrier losses while transmitting.", "Compressed packets transmitted.",
    ]

    /// /proc/net/dev.
    private let file: KernelFile
    private let filter: NameFilter
    /// One counter per element of ``fields``.
    private let counters: [ObservableInstrument]
    private let layout = Mutex(DeviceLayout<LabelSet>())

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try NetDevCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        file = KernelFile(path: options.procFS.path("net/dev"))
        filter = try options.netDevFilter()
        counters = try InstrumentFactory(meter: meter).make(
            zip(Self.fields, Self.help).map { field, help in
                .counter(
                    "node_network_\(field)_total", unit: field.hasSuffix("_bytes") ? "By" : "",
                    help: help + " Per interface.")
            })
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let interfaces = try file.parse(NetDevStats.parse)
        layout.withLock { layout in
            layout.update(
                count: interfaces.count, label: "device", name: { interfaces[$0].device }, admits: filter.admits)
            for (position, labels) in layout.reportedRows {
                let row = interfaces[position]
                recorder.observe(counters[0], Double(row.receiveBytes), labels: labels)
                recorder.observe(counters[1], Double(row.receivePackets), labels: labels)
                recorder.observe(counters[2], Double(row.receiveErrors), labels: labels)
                recorder.observe(counters[3], Double(row.receiveDropped), labels: labels)
                recorder.observe(counters[4], Double(row.receiveFIFOErrors), labels: labels)
                recorder.observe(counters[5], Double(row.receiveFrameErrors), labels: labels)
                recorder.observe(counters[6], Double(row.receiveCompressed), labels: labels)
                recorder.observe(counters[7], Double(row.receiveMulticast), labels: labels)
                recorder.observe(counters[8], Double(row.transmitBytes), labels: labels)
                recorder.observe(counters[9], Double(row.transmitPackets), labels: labels)
                recorder.observe(counters[10], Double(row.transmitErrors), labels: labels)
                recorder.observe(counters[11], Double(row.transmitDropped), labels: labels)
                recorder.observe(counters[12], Double(row.transmitFIFOErrors), labels: labels)
                recorder.observe(counters[13], Double(row.transmitCollisions), labels: labels)
                recorder.observe(counters[14], Double(row.transmitCarrierErrors), labels: labels)
                recorder.observe(counters[15], Double(row.transmitCompressed), labels: labels)
            }
        }
    }
}
