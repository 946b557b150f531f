import Glibc
import HostCollectors
import ProcFS

/// Everything `tally serve` is told on its command line.
public struct ServerOptions: Sendable {
    /// `--web.listen-address`, repeatable: `:PORT`, `HOST:PORT` or `[v6]:PORT`.
    public var listenAddresses: [String] = [":9479"]
    /// `--web.systemd-socket`: take the listeners from systemd socket activation instead.
    public var usesSystemdSockets = false
    /// `--web.telemetry-path`.
    public var telemetryPath = "/metrics"
    /// `--web.max-requests`: scrapes queued or running at once before `/metrics` answers 503.
    public var maxScrapesInFlight = 40
    /// `--web.max-connections`: HTTP connections held at once.
    public var maxConnections = 512
    /// `--web.header-timeout`: how long a client may take to send a request head (408 after).
    public var headerTimeout: Duration = .seconds(10)
    /// `--web.idle-timeout`: how long an idle keep-alive connection is kept.
    public var idleTimeout: Duration = .seconds(60)
    /// `--path.procfs`.
    public var procfsPath = "/proc"
    /// `--path.sysfs`.
    public var sysfsPath = "/sys"
    /// `--path.rootfs`: the host's root filesystem, under which mount points are statted.
    public var rootfsPath = "/"
    /// `--path.udev.data`: the udev database, for `node_disk_info`.
    public var udevDataPath = "/run/udev/data"
    /// `--collector.disable-defaults`: run only the collectors turned on explicitly.
    public var disablesDefaultCollectors = false
    /// `--collector.<name>` (`+name`) and `--no-collector.<name>` (`-name`), in command-line order.
    public var collectorToggles: [String] = []
    /// `--[no-]collector.cpu.guest`.
    public var cpuGuest = true
    /// `--collector.diskstats.device-exclude`; nil applies node_exporter's default.
    public var diskStatsDeviceExclude: String?
    /// `--collector.diskstats.device-include`.
    public var diskStatsDeviceInclude: String?
    /// `--collector.filesystem.mount-points-exclude`; nil applies node_exporter's default.
    public var mountPointsExclude: String?
    /// `--collector.filesystem.mount-points-include`.
    public var mountPointsInclude: String?
    /// `--collector.filesystem.fs-types-exclude`; nil applies node_exporter's default.
    public var fsTypesExclude: String?
    /// `--collector.filesystem.fs-types-include`.
    public var fsTypesInclude: String?
    /// `--collector.filesystem.mount-timeout`.
    public var mountTimeout: Duration = .seconds(5)
    /// `--collector.filesystem.stat-workers`.
    public var statWorkers = 4
    /// `--collector.netdev.device-exclude`.
    public var netDeviceExclude: String?
    /// `--collector.netdev.device-include`.
    public var netDeviceInclude: String?
    /// `--collector.vmstat.fields`: the /proc/vmstat fields exposed.
    public var vmstatFields = HostCollectorOptions.defaultVMStatFields
    /// `--collector.netclass.ignored-devices`.
    public var netClassIgnoredDevices = "^$"
    /// `--collector.netclass.ignore-invalid-speed`.
    public var netClassIgnoreInvalidSpeed = false
    /// `--collector.powersupply.ignored-supplies`.
    public var powerSupplyIgnoredSupplies = "^$"
    /// `--collector.textfile.directory`, repeatable: directories whose `*.prom` files join every scrape.
    public var textfileDirectories: [String] = []
    /// `--collector.textfile.max-age`: files older than this are left out; nil keeps every file.
    public var textfileMaxAge: Duration?
    /// `--collector.textfile.max-size`: larger files are left out.
    public var textfileMaxSize = 4 << 20
    /// `--collector.netstat.fields`; nil applies node_exporter's default.
    public var netStatFields: String?
    /// `--collector.arp.device-exclude`.
    public var arpDeviceExclude: String?
    /// `--collector.arp.device-include`.
    public var arpDeviceInclude: String?
    /// `--push.socket`: the stream push socket; empty turns it off.
    public var pushSocket: String = PushSocketPaths.serverStreamSocket
    /// `--push.datagram-socket`: the datagram push socket; empty turns it off.
    public var pushDatagramSocket: String = PushSocketPaths.defaultDatagram
    /// `--push.socket-mode`.
    public var pushSocketMode: mode_t = 0o660
    /// `--push.socket-group`: a group name or number.
    public var pushSocketGroup: String?
    /// `--push.allowed-uids`; nil lets every user the socket's mode lets in.
    public var pushAllowedUserIDs: Set<uid_t>?
    /// `--push.allowed-gids`.
    public var pushAllowedGroupIDs: Set<gid_t>?
    /// `--push.state-file`: where pushed series persist; empty keeps them in memory only.
    public var pushStateFile = ""
    /// `--push.state-interval`: how often the state file is rewritten from the journal.
    public var pushStateInterval: Duration = .seconds(60)
    /// `--config.file`.
    public var configFile: String?
    /// `--log.level`: `debug`, `info`, `warn` or `error`.
    public var logLevel = "info"
    /// `--log.format`: `logfmt` or `json`.
    public var logFormat = "logfmt"
    /// `--otlp.listen-address`: the OTLP/HTTP receiver; empty turns it off, nil is the default address (which is
    /// skipped with a warning when its port is taken).
    public var otlpListenAddress: String?
    /// `--otlp.promote-resource-attributes`: resource attributes copied onto every OTLP series.
    public var otlpPromotedResourceAttributes: [String] = []
    /// `--otlp.disable-scope-labels`: no `otel_scope_name` / `otel_scope_version` labels.
    public var otlpDisablesScopeLabels = false

    /// The OTLP receiver's default address: loopback, since it accepts writes.
    public static let defaultOTLPListenAddress = "127.0.0.1:4318"

    public init() {}

    /// The host collectors' options from the paths and `--collector.*` flags.
    func hostCollectorOptions() -> HostCollectorOptions {
        var collectors = HostCollectorOptions(
            procFS: ProcFS(root: procfsPath), sysFS: SysFS(root: sysfsPath), rootFS: rootfsPath,
            udevDatabase: UdevDatabase(root: udevDataPath))
        collectors.cpuGuest = cpuGuest
        collectors.diskStatsDeviceExclude = diskStatsDeviceExclude
        collectors.diskStatsDeviceInclude = diskStatsDeviceInclude
        collectors.filesystemMountPointsExclude = mountPointsExclude
        collectors.filesystemMountPointsInclude = mountPointsInclude
        collectors.filesystemFSTypesExclude = fsTypesExclude
        collectors.filesystemFSTypesInclude = fsTypesInclude
        collectors.filesystemMountTimeout = mountTimeout
        collectors.filesystemStatWorkers = statWorkers
        collectors.netDevDeviceExclude = netDeviceExclude
        collectors.netDevDeviceInclude = netDeviceInclude
        collectors.vmstatFields = vmstatFields
        collectors.netClassIgnoredDevices = netClassIgnoredDevices
        collectors.netClassIgnoreInvalidSpeed = netClassIgnoreInvalidSpeed
        collectors.powerSupplyIgnoredSupplies = powerSupplyIgnoredSupplies
        collectors.textfileDirectories = textfileDirectories
        collectors.textfileMaxAge = textfileMaxAge
        collectors.textfileMaxSize = textfileMaxSize
        if let netStatFields { collectors.netStatFields = netStatFields }
        collectors.arpDeviceExclude = arpDeviceExclude
        collectors.arpDeviceInclude = arpDeviceInclude
        return collectors
    }

    /// The collectors to run, from the defaults and ``collectorToggles``; an unknown name is an error.
    func enabledCollectors() throws(HostCollectorError) -> [String] {
        let toggles = collectorToggles.map { toggle in
            CollectorToggle(name: String(toggle.dropFirst()), isEnabled: toggle.first != "-")
        }
        return try HostCollectorTable.enabledCollectors(disableDefaults: disablesDefaultCollectors, toggles: toggles)
    }
}

/// A host collector `tally serve` can run, for its `--[no-]collector.<name>` flags and help.
public struct HostCollectorInfo: Sendable {
    public let name: String
    public let isEnabledByDefault: Bool

    /// Every collector, in the order they run.
    public static var all: [HostCollectorInfo] {
        HostCollectorTable.entries.map { HostCollectorInfo(name: $0.name, isEnabledByDefault: $0.isEnabledByDefault) }
    }
}

/// Where the push sockets are when no flag says otherwise.
///
/// `/run/tally` is the place under systemd (`RuntimeDirectory=tally`). A user who cannot create it still gets
/// working sockets: tally falls back to `$XDG_RUNTIME_DIR/tally` (or `/tmp/tally-<uid>`), and `tally push` looks
/// there too, so `make run` works without root.
public enum PushSocketPaths {
    public static let defaultStream = "/run/tally/push.sock"
    public static let defaultDatagram = "/run/tally/push.dgram.sock"

    /// The directory used when `/run/tally` cannot be created.
    public static var fallbackDirectory: String {
        if let runtime = environment("XDG_RUNTIME_DIR") { return runtime + "/tally" }
        return "/tmp/tally-\(getuid())"
    }

    /// The fallback for a default path: the same file name in ``fallbackDirectory``.
    public static func fallback(for path: String) -> String {
        fallbackDirectory + "/" + PushStateFiles.baseName(of: path)
    }

    /// The stream socket `tally serve` listens on when `--push.socket` is not given: `$TALLY_PUSH_SOCKET`, else the
    /// default path.
    public static var serverStreamSocket: String {
        environment("TALLY_PUSH_SOCKET") ?? defaultStream
    }

    /// The stream socket `tally push` talks to when `--socket` is not given: `$TALLY_PUSH_SOCKET`, else the
    /// default path, else its fallback when only that exists.
    public static func clientStreamSocket() -> String {
        if let configured = environment("TALLY_PUSH_SOCKET") { return configured }
        let fallback = fallback(for: defaultStream)
        if access(defaultStream, F_OK) != 0, access(fallback, F_OK) == 0 { return fallback }
        return defaultStream
    }
}

/// A command-line value `tally serve` cannot use.
public struct ServerOptionsError: Error, CustomStringConvertible {
    public let flag: String
    public let value: String
    public let expected: String

    public var description: String {
        "\(flag) \(value) is not one of \(expected)"
    }
}
