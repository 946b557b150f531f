import Glibc
import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `thermal_zone` collector: `node_thermal_zone_temp{zone,type}` from
/// /sys/class/thermal/thermal_zone<N>, and `node_cooling_device_cur_state` and `_max_state{name,type}` from
/// /sys/class/thermal/cooling_device<N> (collector/thermal_zone_linux.go, through prometheus/procfs).
///
/// A zone's `type`, `policy` and `temp` and a cooling device's `type`, `max_state` and `cur_state` must be readable
/// and well-formed, or the collector fails, as in node_exporter; a zone whose sensor has no reading (`temp` fails
/// with `ENODATA`) is left out. A host without /sys/class/thermal exposes nothing.
final class ThermalZoneCollector: Sendable {
    private let sysFS: SysFS
    private let listing: DirectoryListing
    private let zoneTemperature: ObservableInstrument
    private let currentState: ObservableInstrument
    private let maximumState: ObservableInstrument
    private let layouts = Mutex(Layouts())

    private struct Layouts {
        var zones = DeviceLayout<Device>()
        var coolingDevices = DeviceLayout<Device>()
    }

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try ThermalZoneCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        sysFS = options.sysFS
        listing = DirectoryListing(path: options.sysFS.path("class/thermal"))
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge("node_thermal_zone_temp", help: "Zone temperature in Celsius"),
            .gauge("node_cooling_device_cur_state", help: "Current throttle state of the cooling device"),
            .gauge("node_cooling_device_max_state", help: "Maximum throttle state of the cooling device"),
        ])
        zoneTemperature = instruments[0]
        currentState = instruments[1]
        maximumState = instruments[2]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let entries = try listing.entriesIfPresent()
        try layouts.withLock { (layouts) throws(ProcFSError) in
            layouts.zones.update(
                count: entries.count, name: { entries[$0].name },
                makeEntry: { name in
                    Device(
                        directory: sysFS.path("class/thermal/" + name), prefix: "thermal_zone", name: name,
                        labelName: "zone", values: ["policy", "temp"])
                },
                labels: \.labels)
            let zones = layouts.zones.slots
            for position in layouts.zones.order {
                guard let zone = zones[position] else { continue }
                try zone.refreshLabels()
                _ = try zone.values[0].read()  // policy: required, as in prometheus/procfs.
                guard let temperature = try zone.values[1].readAttribute(skipping: [ENODATA]) else { continue }
                let millidegrees = try zone.values[1].parse(temperature, by: SysFSAttribute.parseDecimalInteger)
                recorder.observe(zoneTemperature, Double(millidegrees) / 1000, labels: zone.labels)
            }
            layouts.coolingDevices.update(
                count: entries.count, name: { entries[$0].name },
                makeEntry: { name in
                    Device(
                        directory: sysFS.path("class/thermal/" + name), prefix: "cooling_device", name: name,
                        labelName: "name", values: ["max_state", "cur_state"])
                },
                labels: \.labels)
            let devices = layouts.coolingDevices.slots
            for position in layouts.coolingDevices.order {
                guard let device = devices[position] else { continue }
                try device.refreshLabels()
                let maximum = try device.values[0].parse(SysFSAttribute.parseDecimalInteger)
                let current = try device.values[1].parse(SysFSAttribute.parseDecimalInteger)
                recorder.observe(currentState, Double(current), labels: device.labels)
                recorder.observe(maximumState, Double(maximum), labels: device.labels)
            }
        }
    }

    /// A thermal zone or cooling device: its number, its `type` and the label set made of them.
    private final class Device: @unchecked Sendable {
        // `@unchecked`: only touched with the collector's lock held.
        private let number: String
        private let labelName: String
        private let typeFile: KernelFile
        private var typeBytes: [UInt8]?
        /// The value files, in the order given.
        let values: [KernelFile]
        private(set) var labels = LabelSet.empty

        /// nil unless `name` is `prefix` followed by a digit (node_exporter globs `thermal_zone[0-9]*`).
        init?(directory: String, prefix: String, name: String, labelName: String, values: [String]) {
            guard name.hasPrefix(prefix), let first = name.utf8.dropFirst(prefix.utf8.count).first,
                first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")
            else { return nil }
            number = String(name.dropFirst(prefix.count))
            self.labelName = labelName
            typeFile = KernelFile(path: directory + "/type")
            self.values = values.map { KernelFile(path: directory + "/" + $0) }
            // The label set orders the device in the exposition; it is checked at every collection.
            typeBytes = try? typeFile.read()
            makeLabels()
        }

        /// Reads `type` again, rebuilding the label set when it changed.
        func refreshLabels() throws(ProcFSError) {
            let bytes = try typeFile.read()
            if bytes != typeBytes {
                typeBytes = bytes
                makeLabels()
            }
        }

        private func makeLabels() {
            labels = LabelSet([
                Label(labelName, number), Label("type", typeBytes.map(SysFSAttribute.parseText) ?? ""),
            ])
        }
    }
}
