import Glibc
import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `netdev` collector reading /proc/net/dev (its `--no-collector.netdev.netlink` path): the 16
/// counters of each interface as `node_network_<field>_total{device}`, with node_exporter's legacy field names
/// (collector/netdev_linux.go).
///
/// node_exporter's default, netlink, also reports `node_network_receive_nohandler_total`, which /proc/net/dev lacks;
/// it comes from /sys/class/net/<device>/statistics/rx_nohandler, for the devices that have that file.
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
    private let noHandler: ObservableInstrument
    private let sysFS: SysFS
    private let layout = Mutex(DeviceLayout<Interface>())

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try NetDevCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        file = KernelFile(path: options.procFS.path("net/dev"))
        filter = try options.netDevFilter()
        sysFS = options.sysFS
        let instruments = try InstrumentFactory(meter: meter).make(
            zip(Self.fields, Self.help).map { field, help in
                .counter(
                    "node_network_\(field)_total", unit: field.hasSuffix("_bytes") ? "By" : "",
                    help: help + " Per interface.")
            } + [
                .counter(
                    "node_network_receive_nohandler_total",
                    help: "Packets received and dropped for want of a protocol handler. Per interface.")
            ])
        counters = Array(instruments[..<Self.fields.count])
        noHandler = instruments[Self.fields.count]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let interfaces = try file.parse(NetDevStats.parse)
        try layout.withLock { (layout) throws(ProcFSError) in
            layout.update(
                count: interfaces.count, name: { interfaces[$0].device },
                makeEntry: { device in filter.admits(device) ? Interface(device: device, sysFS: sysFS) : nil },
                labels: \.labels)
            let slots = layout.slots
            for position in layout.order {
                guard let interface = slots[position] else { continue }
                let labels = interface.labels
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
                if let bytes = try interface.noHandlerFile.readAttribute(skipping: [ENOENT]) {
                    let value = try interface.noHandlerFile.parse(bytes, by: SysFSAttribute.parseUnsigned)
                    recorder.observe(noHandler, Double(value), labels: labels)
                }
            }
        }
    }

    /// The label set and sysfs counter of one interface.
    private struct Interface: Sendable {
        let labels: LabelSet
        /// /sys/class/net/<device>/statistics/rx_nohandler.
        let noHandlerFile: KernelFile

        init(device: String, sysFS: SysFS) {
            labels = LabelSet(sortedUniqueLabels: [Label("device", device)])
            noHandlerFile = KernelFile(path: sysFS.path("class/net/\(device)/statistics/rx_nohandler"))
        }
    }
}
