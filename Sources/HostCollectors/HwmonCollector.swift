import Glibc
import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `hwmon` collector: every sensor file of /sys/class/hwmon/hwmon<N> (and of its `device/`) as
/// `node_hwmon_<type>[_<property>]_<unit>{chip,sensor}`, `node_hwmon_chip_names{chip,chip_name}` and
/// `node_hwmon_sensor_label{chip,sensor,label}` (collector/hwmon_linux.go).
///
/// The chip label comes from where the `device` symlink points (`platform_coretemp_0` for
/// `/sys/devices/platform/coretemp.0`), else from the `name` file, else from the directory's own name. The metric
/// names follow from the file names, so the families are not known in advance: they are created for the chips found
/// at registration, and for a chip that appears later when it is first seen, in which case its new families are
/// exposed from the following collection on. A sensor file that cannot be read or is not a number is left out, as in
/// node_exporter; a chip directory that cannot be listed fails the collector.
final class HwmonCollector: Sendable {
    private static let sensorTypes: Set<String> = [
        "vrm", "beep_enable", "update_interval", "in", "cpu", "fan", "pwm", "temp", "curr", "power", "energy",
        "humidity", "intrusion",
    ]

    private let meter: Meter
    private let sysFS: SysFS
    private let listing: DirectoryListing
    private let state = Mutex(State())

    private struct State {
        var layout = DeviceLayout<Chip>()
        /// Every family created so far, by sample name.
        var instruments: [String: ObservableInstrument] = [:]
    }

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = HwmonCollector(meter: meter, options: context.options)
        // Creates the families of the chips present now, so that the first collection exposes them all. A failure
        // here shows in that collection.
        _ = try? collector.state.withLock { (state) throws(ProcFSError) in try collector.updateChips(&state) }
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) {
        self.meter = meter
        sysFS = options.sysFS
        listing = DirectoryListing(path: options.sysFS.path("class/hwmon"))
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        try state.withLock { (state) throws(ProcFSError) in
            for chip in try updateChips(&state) { chip.observe(into: &recorder) }
        }
    }

    /// Lists the chips, creating what a new one needs; the chips in label order.
    private func updateChips(_ state: inout State) throws(ProcFSError) -> [Chip] {
        let entries = try listing.entriesIfPresent()
        var failure: ProcFSError?
        var instruments = state.instruments
        state.layout.update(
            count: entries.count, name: { entries[$0].name },
            makeEntry: { name in
                do throws(ProcFSError) {
                    return try Chip.make(
                        directory: sysFS.path("class/hwmon/" + name),
                        instrument: { spec in
                            if let existing = instruments[spec.name] { return existing }
                            guard let made = try? InstrumentFactory(meter: meter).make(spec) else { return nil }
                            instruments[spec.name] = made
                            return made
                        })
                } catch {
                    failure = error
                    return nil
                }
            },
            labels: \.sortLabels)
        state.instruments = instruments
        if let failure {
            // Try the chip again at the next collection.
            state.layout = DeviceLayout()
            throw failure
        }
        let slots = state.layout.slots
        return state.layout.order.compactMap { slots[$0] }
    }

    /// One reading of a chip: a file and how its content becomes a sample.
    private struct Reading {
        enum Conversion {
            /// The number multiplied by `factor` (node_exporter multiplies by 0.001).
            case multiplied(Double)
            /// The number divided by `divisor` (node_exporter divides by 1e6).
            case divided(Double)
            /// 1 when the file holds exactly `1`, else 0 (`beep_enable`).
            case isOne
        }

        let file: KernelFile
        let instrument: ObservableInstrument
        let labels: LabelSet
        let conversion: Conversion
    }

    /// A sensor's `label` file, exposed as `node_hwmon_sensor_label`.
    private final class SensorLabel {
        let file: KernelFile
        let chip: String
        let sensor: String
        var bytes: [UInt8]?
        var labels = LabelSet.empty

        init(file: KernelFile, chip: String, sensor: String) {
            self.file = file
            self.chip = chip
            self.sensor = sensor
        }
    }

    /// What the collector keeps about one chip directory.
    private final class Chip: @unchecked Sendable {
        // `@unchecked`: only touched with the collector's lock held.
        /// `{chip}`, which orders the chips.
        let sortLabels: LabelSet
        private let chipNames: LabelSet?
        private let chipNamesInstrument: ObservableInstrument?
        private let readings: [Reading]
        private let sensorLabels: [SensorLabel]
        private let sensorLabelInstrument: ObservableInstrument?

        private init(
            chip: String, chipNames: LabelSet?, chipNamesInstrument: ObservableInstrument?, readings: [Reading],
            sensorLabels: [SensorLabel], sensorLabelInstrument: ObservableInstrument?
        ) {
            sortLabels = LabelSet(sortedUniqueLabels: [Label("chip", chip)])
            self.chipNames = chipNames
            self.chipNamesInstrument = chipNamesInstrument
            self.readings = readings
            self.sensorLabels = sensorLabels
            self.sensorLabelInstrument = sensorLabelInstrument
        }

        func observe(into recorder: inout ObservationRecorder) {
            if let chipNames, let chipNamesInstrument { recorder.observe(chipNamesInstrument, 1, labels: chipNames) }
            if let sensorLabelInstrument {
                for label in sensorLabels {
                    guard let bytes = try? label.file.read() else { continue }
                    if bytes != label.bytes {
                        label.bytes = bytes
                        let text = SysFSAttribute.parseLine(bytes)
                        label.labels = LabelSet([
                            Label("chip", label.chip), Label("label", text), Label("sensor", label.sensor),
                        ])
                    }
                    recorder.observe(sensorLabelInstrument, 1, labels: label.labels)
                }
            }
            for reading in readings {
                guard let bytes = try? reading.file.read() else { continue }
                let value: Double
                switch reading.conversion {
                case .isOne:
                    value = SysFSAttribute.parseLine(bytes) == "1" ? 1 : 0
                case .multiplied(let factor):
                    guard let number = try? SysFSAttribute.parseFloat(bytes) else { continue }
                    value = number * factor
                case .divided(let divisor):
                    guard let number = try? SysFSAttribute.parseFloat(bytes) else { continue }
                    value = number / divisor
                }
                recorder.observe(reading.instrument, value, labels: reading.labels)
            }
        }

        /// The chip of the hwmon directory `directory`; nil when it is not a directory. `instrument` gives the
        /// instrument of a family, creating it if needed.
        static func make(
            directory: String, instrument: (InstrumentSpec) -> ObservableInstrument?
        ) throws(ProcFSError) -> Chip? {
            var status = stat()
            guard stat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { return nil }
            guard let chip = chipName(directory: directory) else {
                throw .malformed(file: directory, line: 0, reason: "could not derive a monitoring name")
            }
            // Sensor files of the directory, then of `device/`, which win for the same sensor and property.
            var files: [String: [String: String]] = [:]
            var sensorTypes: [String: String] = [:]
            var directories = [directory]
            var deviceStatus = stat()
            if stat(directory + "/device", &deviceStatus) == 0 { directories.append(directory + "/device") }
            for path in directories {
                for entry in try DirectoryListing(path: path).entries() where entry.kind != .directory {
                    guard let attribute = HwmonAttribute.parse(fileName: entry.name),
                        HwmonCollector.sensorTypes.contains(attribute.type)
                    else { continue }
                    files[attribute.sensor, default: [:]][attribute.property] = path + "/" + entry.name
                    sensorTypes[attribute.sensor] = attribute.type
                }
            }
            var chipNames: LabelSet?
            var chipNamesInstrument: ObservableInstrument?
            if let raw = try? KernelFile(path: directory + "/name").read() {
                let name = HwmonAttribute.cleanName(String(decoding: raw, as: UTF8.self))
                if !name.isEmpty {
                    chipNames = LabelSet([Label("chip", chip), Label("chip_name", name)])
                    chipNamesInstrument = instrument(
                        .gauge("node_hwmon_chip_names", help: "Annotation metric for human-readable chip names"))
                }
            }
            var readings: [Reading] = []
            var sensorLabels: [SensorLabel] = []
            for (sensor, properties) in files {
                guard let type = sensorTypes[sensor] else { continue }
                let labels = LabelSet([Label("chip", chip), Label("sensor", sensor)])
                if let path = properties["label"] {
                    sensorLabels.append(SensorLabel(file: KernelFile(path: path), chip: chip, sensor: sensor))
                }
                for (spec, conversion, path) in families(type: type, properties: properties) {
                    guard let made = instrument(spec) else { continue }
                    readings.append(
                        Reading(file: KernelFile(path: path), instrument: made, labels: labels, conversion: conversion))
                }
            }
            let sensorLabelInstrument =
                sensorLabels.isEmpty
                ? nil : instrument(.gauge("node_hwmon_sensor_label", help: "Label for given chip and sensor"))
            readings.sort { lhs, rhs in
                lhs.instrument.descriptor.name == rhs.instrument.descriptor.name
                    ? lhs.labels < rhs.labels : lhs.instrument.descriptor.name < rhs.instrument.descriptor.name
            }
            sensorLabels.sort { $0.sensor < $1.sensor }
            return Chip(
                chip: chip, chipNames: chipNames, chipNamesInstrument: chipNamesInstrument, readings: readings,
                sensorLabels: sensorLabels, sensorLabelInstrument: sensorLabelInstrument)
        }

        /// The family, conversion and file of each property of one sensor, named as node_exporter names them.
        private static func families(
            type: String, properties: [String: String]
        ) -> [(InstrumentSpec, Reading.Conversion, String)] {
            switch type {
            case "beep_enable":
                guard let path = properties[""] else { return [] }
                return [(.gauge("node_hwmon_beep_enabled", help: "Hardware beep enabled"), .isOne, path)]
            case "vrm":
                guard let path = properties[""] else { return [] }
                return [
                    (
                        .gauge("node_hwmon_voltage_regulator_version", help: "Hardware voltage regulator"),
                        .multiplied(1), path
                    )
                ]
            case "update_interval":
                guard let path = properties[""] else { return [] }
                return [
                    (
                        .gauge("node_hwmon_update_interval_seconds", help: "Hardware monitor update interval"),
                        .multiplied(0.001), path
                    )
                ]
            default:
                break
            }
            let prefix = "node_hwmon_" + type
            var result: [(InstrumentSpec, Reading.Conversion, String)] = []
            for (element, path) in properties where element != "label" {
                var name = prefix
                if element == "input" {
                    if properties[""] != nil { name += "_input" }
                } else if !element.isEmpty {
                    name += "_" + HwmonAttribute.cleanName(element)
                }
                result.append(family(type: type, element: element, name: name, path: path))
            }
            return result
        }

        private static func family(
            type: String, element: String, name: String, path: String
        ) -> (InstrumentSpec, Reading.Conversion, String) {
            if element == "fault" || element == "alarm" {
                return (.gauge(name, help: "Hardware sensor \(element) status (\(type))"), .multiplied(1), path)
            }
            if element == "beep" {
                return (
                    .gauge(name + "_enabled", help: "Hardware monitor sensor has beeping enabled"), .multiplied(1), path
                )
            }
            switch type {
            case "in", "cpu":
                return (
                    .gauge(name + "_volts", help: "Hardware monitor for voltage (\(element))"), .multiplied(0.001), path
                )
            case "temp" where element != "type":
                let shown = element.isEmpty ? "input" : element
                return (
                    .gauge(name + "_celsius", help: "Hardware monitor for temperature (\(shown))"), .multiplied(0.001),
                    path
                )
            case "curr":
                return (
                    .gauge(name + "_amps", help: "Hardware monitor for current (\(element))"), .multiplied(0.001), path
                )
            case "energy":
                return (
                    .counter(name + "_joule_total", help: "Hardware monitor for joules used so far (\(element))"),
                    .divided(1e6), path
                )
            case "power" where element == "accuracy":
                return (
                    .gauge(name, help: "Hardware monitor power meter accuracy, as a ratio"), .divided(1e6), path
                )
            case "power"
            where element == "average_interval" || element == "average_interval_min"
                || element == "average_interval_max":
                return (
                    .gauge(name + "_seconds", help: "Hardware monitor power usage update interval (\(element))"),
                    .multiplied(0.001), path
                )
            case "power":
                return (
                    .gauge(name + "_watt", help: "Hardware monitor for power usage in watts (\(element))"),
                    .divided(1e6), path
                )
            case "humidity":
                return (
                    .gauge(
                        name,
                        help: "Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a "
                            + "percentage) (\(element))"), .divided(1e6), path
                )
            case "fan" where element == "input" || element == "min" || element == "max" || element == "target":
                return (
                    .gauge(name + "_rpm", help: "Hardware monitor for fan revolutions per minute (\(element))"),
                    .multiplied(1), path
                )
            default:
                return (.gauge(name, help: "Hardware monitor \(type) element \(element)"), .multiplied(1), path)
            }
        }

        /// node_exporter's `hwmonName`: `<parent>_<device>` of where `device` points, else the `name` file, else the
        /// directory's real name, each cleaned.
        private static func chipName(directory: String) -> String? {
            if let device = realPath(directory + "/device") {
                let components = device.split(separator: "/", omittingEmptySubsequences: true)
                let name = HwmonAttribute.cleanName(components.last.map(String.init) ?? "")
                let type = HwmonAttribute.cleanName(components.dropLast().last.map(String.init) ?? "")
                if !type.isEmpty && !name.isEmpty { return type + "_" + name }
                if !name.isEmpty { return name }
            }
            if let raw = try? KernelFile(path: directory + "/name").read(), !raw.isEmpty {
                let name = HwmonAttribute.cleanName(String(decoding: raw, as: UTF8.self))
                if !name.isEmpty { return name }
            }
            guard let real = realPath(directory) else { return nil }
            let name = HwmonAttribute.cleanName(real.split(separator: "/").last.map(String.init) ?? "")
            return name.isEmpty ? nil : name
        }

        private static func realPath(_ path: String) -> String? {
            guard let resolved = realpath(path, nil) else { return nil }
            defer { free(resolved) }
            return String(cString: resolved)
        }
    }
}
