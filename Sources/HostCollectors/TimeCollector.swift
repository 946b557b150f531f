import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `time` collector: `node_time_seconds` and `node_time_zone_offset_seconds{time_zone}` from the
/// wall clock, and `node_time_clocksource_available_info{clocksource,device}` and
/// `node_time_clocksource_current_info{clocksource,device}` from /sys/devices/system/clocksource (collector/time.go,
/// time_linux.go).
///
/// As in node_exporter, `device` is the position of the `clocksource<N>` directory among those of sysfs in sorted
/// order (in practice only `clocksource0` exists). The directories are listed once, at registration: the kernel
/// creates them at boot. Without them only the clock's two families are exposed.
final class TimeCollector: Sendable {
    private let clock: any RealTimeClock
    private let devices: [Device]
    private let now: ObservableInstrument
    private let zoneOffset: ObservableInstrument
    private let available: ObservableInstrument
    private let current: ObservableInstrument
    private let state = Mutex(State())

    /// One clocksource device and its files.
    private struct Device: Sendable {
        /// The `device` label: the position among the devices.
        let label: String
        let availableFile: KernelFile
        let currentFile: KernelFile
    }

    /// Label sets kept from the last collection, rebuilt only when a name changes.
    private struct State {
        var zone = ""
        var zoneLabels = LabelSet.empty
        /// Per device: the available names and their label sets, in file order.
        var availableNames: [[String]] = []
        var availableLabels: [[LabelSet]] = []
        /// Per device: the current name and its label set.
        var currentNames: [String] = []
        var currentLabels: [LabelSet] = []
    }

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try TimeCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        clock = options.realTimeClock
        let directory = options.sysFS.path("devices/system/clocksource")
        let names = ((try? DirectoryListing(path: directory).entries()) ?? []).map(\.name).filter(
            Self.isClockSourceDevice)
        devices = names.enumerated().map { index, name in
            Device(
                label: String(index),
                availableFile: KernelFile(path: directory + "/" + name + "/available_clocksource"),
                currentFile: KernelFile(path: directory + "/" + name + "/current_clocksource"))
        }
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge("node_time_seconds", unit: "s", help: "System time in seconds since epoch (1970)."),
            .gauge("node_time_zone_offset_seconds", unit: "s", help: "System time zone offset in seconds."),
            .gauge(
                "node_time_clocksource_available_info",
                help: "Available clocksources read from '/sys/devices/system/clocksource'."),
            .gauge(
                "node_time_clocksource_current_info",
                help: "Current clocksource read from '/sys/devices/system/clocksource'."),
        ])
        now = instruments[0]
        zoneOffset = instruments[1]
        available = instruments[2]
        current = instruments[3]
    }

    /// Whether a directory name matches node_exporter's glob `clocksource[0-9]*`.
    static func isClockSourceDevice(_ name: String) -> Bool {
        let prefix = "clocksource"
        guard name.hasPrefix(prefix), let next = name.utf8.dropFirst(prefix.utf8.count).first else { return false }
        return next >= UInt8(ascii: "0") && next <= UInt8(ascii: "9")
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let time = clock.now()
        var availableNames: [[String]] = []
        var currentNames: [String] = []
        let (knownAvailable, knownCurrent) = state.withLock { ($0.availableNames, $0.currentNames) }
        for (index, device) in devices.enumerated() {
            let known = index < knownAvailable.count ? knownAvailable[index] : []
            availableNames.append(ClockSource.parseAvailable(try device.availableFile.read(), knownNames: known))
            let knownName = index < knownCurrent.count ? knownCurrent[index] : ""
            currentNames.append(ClockSource.parseCurrent(try device.currentFile.read(), known: knownName))
        }
        recorder.observe(now, Double(time.nanosecondsSinceEpoch) / 1e9)
        state.withLock { state in
            if state.zone != time.timeZone || state.zoneLabels.count == 0 {
                state.zone = time.timeZone
                state.zoneLabels = LabelSet(sortedUniqueLabels: [Label("time_zone", time.timeZone)])
            }
            recorder.observe(zoneOffset, Double(time.timeZoneOffset), labels: state.zoneLabels)
            if availableNames != state.availableNames {
                state.availableNames = availableNames
                state.availableLabels = zip(devices, availableNames).map { device, names in
                    names.map {
                        LabelSet(sortedUniqueLabels: [Label("clocksource", $0), Label("device", device.label)])
                    }
                }
            }
            if currentNames != state.currentNames {
                state.currentNames = currentNames
                state.currentLabels = zip(devices, currentNames).map { device, name in
                    LabelSet(sortedUniqueLabels: [Label("clocksource", name), Label("device", device.label)])
                }
            }
            for labels in state.availableLabels.joined() {
                recorder.observe(available, 1, labels: labels)
            }
            for labels in state.currentLabels {
                recorder.observe(current, 1, labels: labels)
            }
        }
    }
}
