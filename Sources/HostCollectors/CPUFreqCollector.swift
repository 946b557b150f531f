import Glibc
import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `cpufreq` collector: the frequencies of /sys/devices/system/cpu/cpu<N>/cpufreq in hertz
/// (collector/cpufreq_linux.go, through prometheus/procfs). The files hold kHz.
///
/// A file that does not exist or may not be read (`cpuinfo_cur_freq` is readable by root only) is left out; one
/// that is not an unsigned integer fails the collector. CPUs without a `cpufreq` directory (a virtual machine
/// without a frequency driver) expose nothing. node_exporter 1.5 has no `node_cpu_scaling_governor`.
final class CPUFreqCollector: Sendable {
    /// The files of `cpufreq/` and the metrics they become.
    private static let files: [(file: String, metric: String, help: String)] = [
        ("cpuinfo_cur_freq", "node_cpu_frequency_hertz", "Current cpu thread frequency in hertz."),
        ("cpuinfo_min_freq", "node_cpu_frequency_min_hertz", "Minimum cpu thread frequency in hertz."),
        ("cpuinfo_max_freq", "node_cpu_frequency_max_hertz", "Maximum cpu thread frequency in hertz."),
        ("scaling_cur_freq", "node_cpu_scaling_frequency_hertz", "Current scaled CPU thread frequency in hertz."),
        ("scaling_min_freq", "node_cpu_scaling_frequency_min_hertz", "Minimum scaled CPU thread frequency in hertz."),
        ("scaling_max_freq", "node_cpu_scaling_frequency_max_hertz", "Maximum scaled CPU thread frequency in hertz."),
    ]

    private let sysFS: SysFS
    private let listing: DirectoryListing
    private let gauges: [ObservableInstrument]
    private let layout = Mutex(DeviceLayout<CPU>())

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try CPUFreqCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        sysFS = options.sysFS
        listing = DirectoryListing(path: options.sysFS.path("devices/system/cpu"))
        gauges = try InstrumentFactory(meter: meter).make(Self.files.map { .gauge($0.metric, help: $0.help) })
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let entries = try listing.entriesIfPresent()
        try layout.withLock { (layout) throws(ProcFSError) in
            layout.update(
                count: entries.count, name: { entries[$0].name },
                makeEntry: { name in CPU(name: name, sysFS: sysFS) }, labels: \.labels)
            let slots = layout.slots
            for position in layout.order {
                guard let cpu = slots[position] else { continue }
                for (index, file) in cpu.files.enumerated() {
                    guard let bytes = try file.readAttribute(skipping: [ENOENT, EACCES]) else { continue }
                    let kilohertz = try file.parse(bytes, by: SysFSAttribute.parseUnsigned)
                    recorder.observe(gauges[index], Double(kilohertz) * 1000, labels: cpu.labels)
                }
            }
        }
    }

    /// One CPU: its `{cpu}` label set and its `cpufreq/` files.
    private struct CPU: Sendable {
        let labels: LabelSet
        let files: [KernelFile]

        /// nil unless `name` is `cpu` followed by a digit (node_exporter globs `cpu[0-9]*`).
        init?(name: String, sysFS: SysFS) {
            guard name.hasPrefix("cpu"), let first = name.utf8.dropFirst(3).first,
                first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")
            else { return nil }
            labels = LabelSet(sortedUniqueLabels: [Label("cpu", String(name.dropFirst(3)))])
            files = CPUFreqCollector.files.map { sysFS.path("devices/system/cpu/\(name)/cpufreq/\($0.file)") }
                .map(KernelFile.init(path:))
        }
    }
}
