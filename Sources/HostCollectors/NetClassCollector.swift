import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `netclass` collector: the attributes of /sys/class/net/<interface> as `node_network_*{device}`
/// gauges and counters, `node_network_up` and `node_network_info` (collector/netclass_linux.go, reading sysfs as its
/// default `--no-collector.netclass.netlink` does).
///
/// Every entry of /sys/class/net except regular files (`bonding_masters`) is an interface. An attribute that cannot
/// be read for a reason prometheus/procfs passes over (missing, not permitted, `EINVAL` for the `speed` or `carrier`
/// of a link that is down, `EOPNOTSUPP`) is left out, and so is a numeric attribute that is not an integer; other
/// read errors fail the collector.
final class NetClassCollector: Sendable {
    /// The numeric attributes: the file, the metric's name after `node_network_`, and whether it is a counter.
    private static let attributes: [(file: String, metric: String, isCounter: Bool)] = [
        ("addr_assign_type", "address_assign_type", false),
        ("carrier", "carrier", false),
        ("carrier_changes", "carrier_changes_total", true),
        ("carrier_up_count", "carrier_up_changes_total", true),
        ("carrier_down_count", "carrier_down_changes_total", true),
        ("dev_id", "device_id", false),
        ("dormant", "dormant", false),
        ("flags", "flags", false),
        ("ifindex", "iface_id", false),
        ("iflink", "iface_link", false),
        ("link_mode", "iface_link_mode", false),
        ("mtu", "mtu_bytes", false),
        ("name_assign_type", "name_assign_type", false),
        ("netdev_group", "net_dev_group", false),
        ("speed", "speed_bytes", false),
        ("tx_queue_len", "transmit_queue_length", false),
        ("type", "protocol_type", false),
    ]
    /// The position of `speed` in ``attributes``: Mbit/s, exposed in bytes per second.
    private static let speedAttribute = 14

    /// The text attributes that make up `node_network_info`, in the order of ``Interface/text``.
    private static let textAttributes = ["address", "broadcast", "duplex", "ifalias", "operstate"]
    private static let operStateText = 4

    private let sysFS: SysFS
    private let listing: DirectoryListing
    private let filter: NameFilter
    private let ignoresInvalidSpeed: Bool
    private let numeric: [ObservableInstrument]
    private let up: ObservableInstrument
    private let info: ObservableInstrument
    private let layout = Mutex(DeviceLayout<Interface>())

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try NetClassCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        sysFS = options.sysFS
        listing = DirectoryListing(path: options.sysFS.path("class/net"))
        filter = try options.netClassFilter()
        ignoresInvalidSpeed = options.netClassIgnoreInvalidSpeed
        var specs = Self.attributes.map { attribute in
            let name = "node_network_" + attribute.metric
            let help = "Network device property: \(attribute.metric)"
            return attribute.isCounter ? InstrumentSpec.counter(name, help: help) : .gauge(name, help: help)
        }
        specs.append(.gauge("node_network_up", help: "Value is 1 if operstate is 'up', 0 otherwise."))
        specs.append(
            .gauge("node_network_info", help: "Non-numeric data from /sys/class/net/<iface>, value is always 1."))
        let instruments = try InstrumentFactory(meter: meter).make(specs)
        numeric = Array(instruments[..<Self.attributes.count])
        up = instruments[Self.attributes.count]
        info = instruments[Self.attributes.count + 1]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let entries = try listing.entriesIfPresent().filter { $0.kind != .regularFile }
        try layout.withLock { (layout) throws(ProcFSError) in
            layout.update(
                count: entries.count, name: { entries[$0].name },
                makeEntry: { device in filter.admits(device) ? Interface(device: device, sysFS: sysFS) : nil },
                labels: \.labels)
            let slots = layout.slots
            for position in layout.order {
                guard let interface = slots[position] else { continue }
                try observe(interface, into: &recorder)
            }
        }
    }

    private func observe(_ interface: Interface, into recorder: inout ObservationRecorder) throws(ProcFSError) {
        // An interface without any readable text attribute (they always include `address`) went away after the
        // listing.
        guard try interface.readText() else { return }
        recorder.observe(info, 1, labels: interface.info)
        recorder.observe(up, interface.isUp ? 1 : 0, labels: interface.labels)
        for (index, file) in interface.numeric.enumerated() {
            guard let bytes = try file.readAttribute(), var value = try? SysFSAttribute.parseInteger(bytes) else {
                continue
            }
            if index == Self.speedAttribute {
                if value < 0 && ignoresInvalidSpeed { continue }
                // Go's int64 arithmetic, truncating toward zero: -1 (unknown) is -125000.
                value = value &* 1_000_000 / 8
            }
            recorder.observe(numeric[index], Double(value), labels: interface.labels)
        }
    }

    /// What the collector keeps about one interface.
    // `@unchecked`: only touched with the layout's lock held, by one collection at a time.
    private final class Interface: @unchecked Sendable {
        let device: String
        /// `{device}`.
        let labels: LabelSet
        /// One file per element of ``NetClassCollector/attributes``.
        let numeric: [KernelFile]
        /// One file per element of ``NetClassCollector/textAttributes``.
        private let textFiles: [KernelFile]
        /// The last content read of each text attribute, nil when it could not be read.
        private var text: [[UInt8]?]
        private(set) var info = LabelSet.empty
        /// Whether `operstate` is `up`.
        private(set) var isUp = false

        init(device: String, sysFS: SysFS) {
            self.device = device
            labels = LabelSet(sortedUniqueLabels: [Label("device", device)])
            numeric = NetClassCollector.attributes.map {
                KernelFile(path: sysFS.path("class/net/\(device)/\($0.file)"))
            }
            textFiles = NetClassCollector.textAttributes.map {
                KernelFile(path: sysFS.path("class/net/\(device)/\($0)"))
            }
            text = Array(repeating: nil, count: NetClassCollector.textAttributes.count)
            rebuildInfo()
        }

        /// Reads the text attributes, rebuilding the info labels when one changed; whether any could be read.
        func readText() throws(ProcFSError) -> Bool {
            var changed = false
            var readAny = false
            for (index, file) in textFiles.enumerated() {
                let bytes = try file.readAttribute()
                if bytes != nil { readAny = true }
                if bytes != text[index] {
                    text[index] = bytes
                    changed = true
                }
            }
            if changed { rebuildInfo() }
            return readAny
        }

        func rebuildInfo() {
            let values = text.map { $0.map(SysFSAttribute.parseText) ?? "" }
            info = LabelSet([
                Label("address", values[0]), Label("broadcast", values[1]), Label("device", device),
                Label("duplex", values[2]), Label("ifalias", values[3]), Label("operstate", values[4]),
            ])
            isUp = values[NetClassCollector.operStateText] == "up"
        }
    }
}
