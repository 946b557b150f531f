import MetricsCore
import ProcFS

/// node_exporter's `selinux` collector: `node_selinux_enabled`, and while SELinux is enabled
/// `node_selinux_current_mode` (1 enforcing, 0 permissive) and `node_selinux_config_mode` (also -1 for disabled)
/// (collector/selinux_linux.go).
///
/// SELinux counts as enabled, as go-selinux decides, when selinuxfs offers `fs/selinux/enforce` and the process's
/// context (`self/attr/current`), if it can be read, is not `kernel` (no policy loaded). node_exporter reads the fixed paths /sys,
/// /proc and /etc; tally reads them under `--path.sysfs`, `--path.procfs` and `--path.rootfs`, which is the same
/// with the default paths. go-selinux also checks selinuxfs's filesystem magic, which a fixture tree cannot have.
final class SELinuxCollector: Sendable {
    private let enforceFile: KernelFile
    private let contextFile: KernelFile
    private let configFile: KernelFile
    private let enabled: ObservableInstrument
    private let currentMode: ObservableInstrument
    private let configMode: ObservableInstrument

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try SELinuxCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        enforceFile = KernelFile(path: options.sysFS.path("fs/selinux/enforce"))
        contextFile = KernelFile(path: options.procFS.path("self/attr/current"))
        let root = options.rootFS.hasSuffix("/") ? options.rootFS : options.rootFS + "/"
        configFile = KernelFile(path: root + "etc/selinux/config")
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge("node_selinux_enabled", help: "SELinux is enabled, 1 is true, 0 is false"),
            .gauge("node_selinux_current_mode", help: "Current SELinux enforcement mode"),
            .gauge("node_selinux_config_mode", help: "Configured SELinux enforcement mode"),
        ])
        enabled = instruments[0]
        currentMode = instruments[1]
        configMode = instruments[2]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        // go-selinux: enabled when selinuxfs is there and the context is not `kernel`; a context that cannot be
        // read counts as not `kernel`.
        guard let enforce = try? enforceFile.read(),
            (try? contextFile.read()).map(SELinux.parseContext) != "kernel"
        else {
            recorder.observe(enabled, 0)
            return
        }
        let mode = try enforceFile.parse(enforce, by: SELinux.parseEnforce)
        let configured = (try? configFile.read()).map(SELinux.parseConfiguredMode) ?? -1
        recorder.observe(enabled, 1)
        recorder.observe(configMode, Double(configured))
        recorder.observe(currentMode, Double(mode))
    }
}
