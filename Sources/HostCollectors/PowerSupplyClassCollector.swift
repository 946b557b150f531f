import Glibc
import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `powersupplyclass` collector: the attributes of /sys/class/power_supply/<supply> as
/// `node_power_supply_*{power_supply}` gauges and `node_power_supply_info` (collector/powersupplyclass_linux.go,
/// through prometheus/procfs).
///
/// Each supply's directory is listed at every collection, since a battery's attributes come and go with the battery.
/// Only regular files are read. One that is missing or answers `EOPNOTSUPP` or `EINVAL` is left out; a numeric one
/// that is not an integer fails the collector, as in node_exporter. Micro-units (µA, µV, µWh, µW) are exposed in base
/// units, tenths of a degree in degrees. `node_power_supply_info` carries only the text attributes that are not
/// empty, so its label names vary from supply to supply.
final class PowerSupplyClassCollector: Sendable {
    /// What a file of a supply's directory becomes.
    private enum Role {
        /// The gauge at this index of ``gauges``, divided by `divisor` (as node_exporter divides, for the same
        /// rounding).
        case gauge(Int, divisor: Double)
        /// Parsed (a malformed value fails the collector) but not exposed.
        case checked
        /// The label of `node_power_supply_info` at this index of ``infoLabels``.
        case text(Int)
    }

    /// The gauges: the file and the metric name after `node_power_supply_`.
    private static let gauges: [(file: String, metric: String, divisor: Double)] = [
        ("authentic", "authentic", 1), ("calibrate", "calibrate", 1), ("capacity", "capacity", 1),
        ("capacity_alert_max", "capacity_alert_max", 1), ("capacity_alert_min", "capacity_alert_min", 1),
        ("cycle_count", "cyclecount", 1), ("online", "online", 1), ("present", "present", 1),
        ("time_to_empty_now", "time_to_empty_seconds", 1), ("time_to_full_now", "time_to_full_seconds", 1),
        ("current_boot", "current_boot", 1e6), ("current_max", "current_max", 1e6),
        ("current_now", "current_ampere", 1e6), ("energy_empty", "energy_empty", 1e6),
        ("energy_empty_design", "energy_empty_design", 1e6), ("energy_full", "energy_full", 1e6),
        ("energy_full_design", "energy_full_design", 1e6), ("energy_now", "energy_watthour", 1e6),
        ("voltage_boot", "voltage_boot", 1e6), ("voltage_max", "voltage_max", 1e6),
        ("voltage_max_design", "voltage_max_design", 1e6), ("voltage_min", "voltage_min", 1e6),
        ("voltage_min_design", "voltage_min_design", 1e6), ("voltage_now", "voltage_volt", 1e6),
        ("voltage_ocv", "voltage_ocv", 1e6), ("charge_control_limit", "charge_control_limit", 1e6),
        ("charge_control_limit_max", "charge_control_limit_max", 1e6), ("charge_counter", "charge_counter", 1e6),
        ("charge_empty", "charge_empty", 1e6), ("charge_empty_design", "charge_empty_design", 1e6),
        ("charge_full", "charge_full", 1e6), ("charge_full_design", "charge_full_design", 1e6),
        ("charge_now", "charge_ampere", 1e6), ("charge_term_current", "charge_term_current", 1e6),
        ("constant_charge_current", "constant_charge_current", 1e6),
        ("constant_charge_current_max", "constant_charge_current_max", 1e6),
        ("constant_charge_voltage", "constant_charge_voltage", 1e6),
        ("constant_charge_voltage_max", "constant_charge_voltage_max", 1e6),
        ("precharge_current", "precharge_current", 1e6), ("input_current_limit", "input_current_limit", 1e6),
        ("power_now", "power_watt", 1e6), ("temp", "temp_celsius", 10),
        ("temp_alert_max", "temp_alert_max_celsius", 10), ("temp_alert_min", "temp_alert_min_celsius", 10),
        ("temp_ambient", "temp_ambient_celsius", 10), ("temp_ambient_max", "temp_ambient_max_celsius", 10),
        ("temp_ambient_min", "temp_ambient_min_celsius", 10), ("temp_max", "temp_max_celsius", 10),
        ("temp_min", "temp_min_celsius", 10),
    ]
    /// Numeric files prometheus/procfs parses without node_exporter exposing them.
    private static let checkedFiles = [
        "charge_avg", "current_avg", "energy_avg", "power_avg", "time_to_empty_avg", "time_to_full_avg", "voltage_avg",
    ]
    /// The text files that label `node_power_supply_info`, each under its own name.
    private static let infoLabels = [
        "capacity_level", "charge_type", "health", "manufacturer", "model_name", "scope", "serial_number", "status",
        "technology", "type", "usb_type",
    ]
    private static let roles: [String: Role] = {
        var roles: [String: Role] = [:]
        for (index, gauge) in gauges.enumerated() { roles[gauge.file] = .gauge(index, divisor: gauge.divisor) }
        for file in checkedFiles { roles[file] = .checked }
        for (index, label) in infoLabels.enumerated() { roles[label] = .text(index) }
        return roles
    }()

    private let sysFS: SysFS
    private let listing: DirectoryListing
    private let filter: NameFilter
    private let instruments: [ObservableInstrument]
    private let info: ObservableInstrument
    private let layout = Mutex(DeviceLayout<Supply>())

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try PowerSupplyClassCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        sysFS = options.sysFS
        listing = DirectoryListing(path: options.sysFS.path("class/power_supply"))
        filter = try options.powerSupplyFilter()
        var specs = Self.gauges.map { gauge in
            InstrumentSpec.gauge(
                "node_power_supply_" + gauge.metric,
                help: "\(gauge.metric) value of /sys/class/power_supply/<power_supply>.")
        }
        specs.append(.gauge("node_power_supply_info", help: "info of /sys/class/power_supply/<power_supply>."))
        let made = try InstrumentFactory(meter: meter).make(specs)
        instruments = Array(made[..<Self.gauges.count])
        info = made[Self.gauges.count]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let entries = try listing.entriesIfPresent()
        try layout.withLock { (layout) throws(ProcFSError) in
            layout.update(
                count: entries.count, name: { entries[$0].name },
                makeEntry: { name in filter.admits(name) ? Supply(name: name, sysFS: sysFS) : nil },
                labels: \.labels)
            let slots = layout.slots
            for position in layout.order {
                guard let supply = slots[position] else { continue }
                try observe(supply, into: &recorder)
            }
        }
    }

    private func observe(_ supply: Supply, into recorder: inout ObservationRecorder) throws(ProcFSError) {
        // A supply whose directory went away after the listing is left out.
        let entries = try supply.listing.entriesIfPresent()
        guard !entries.isEmpty else { return }
        var textChanged = false
        for index in supply.text.indices { supply.seen[index] = false }
        for entry in entries where entry.kind == .regularFile {
            guard let role = Self.roles[entry.name] else { continue }
            let file = supply.file(entry.name)
            guard let bytes = try file.readAttribute(skipping: [ENOENT, EOPNOTSUPP, EINVAL]) else { continue }
            switch role {
            case .gauge(let index, let divisor):
                let value = try file.parse(bytes, by: SysFSAttribute.parseInteger)
                recorder.observe(instruments[index], Double(value) / divisor, labels: supply.labels)
            case .checked:
                _ = try file.parse(bytes, by: SysFSAttribute.parseInteger)
            case .text(let index):
                supply.seen[index] = true
                if supply.text[index] != bytes {
                    supply.text[index] = bytes
                    textChanged = true
                }
            }
        }
        for index in supply.text.indices where !supply.seen[index] && supply.text[index] != nil {
            supply.text[index] = nil
            textChanged = true
        }
        if textChanged || supply.info == .empty { supply.rebuildInfo() }
        recorder.observe(info, 1, labels: supply.info)
    }

    /// What the collector keeps about one power supply.
    private final class Supply: @unchecked Sendable {
        // `@unchecked`: only touched with the layout's lock held.
        let name: String
        /// `{power_supply}`.
        let labels: LabelSet
        /// The supply's directory.
        let listing: DirectoryListing
        private let directory: String
        private var files: [String: KernelFile] = [:]
        /// The last content of each of ``PowerSupplyClassCollector/infoLabels``; nil when absent.
        var text: [[UInt8]?]
        /// Whether each text file was read in the current collection.
        var seen: [Bool]
        private(set) var info = LabelSet.empty

        init(name: String, sysFS: SysFS) {
            self.name = name
            labels = LabelSet(sortedUniqueLabels: [Label("power_supply", name)])
            directory = sysFS.path("class/power_supply/" + name)
            listing = DirectoryListing(path: directory)
            text = Array(repeating: nil, count: PowerSupplyClassCollector.infoLabels.count)
            seen = Array(repeating: false, count: PowerSupplyClassCollector.infoLabels.count)
        }

        /// The kernel file of the attribute `attribute`, kept for later collections.
        func file(_ attribute: String) -> KernelFile {
            if let file = files[attribute] { return file }
            let file = KernelFile(path: directory + "/" + attribute)
            files[attribute] = file
            return file
        }

        func rebuildInfo() {
            var labels = [Label("power_supply", name)]
            for (index, label) in PowerSupplyClassCollector.infoLabels.enumerated() {
                guard let bytes = text[index] else { continue }
                let value = SysFSAttribute.parseText(bytes)
                if !value.isEmpty { labels.append(Label(label, value)) }
            }
            info = LabelSet(labels)
        }
    }
}
