import ArgumentParser
import TallyServer

/// `tally serve`: the flags, turned into ``ServerOptions``.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve /metrics and accept pushed metrics.",
        discussion: """
            Collectors, each turned on or off with --collector.<name> / --no-collector.<name>:
            \(CollectorFlags.help)
            """)

    @Option(
        name: .customLong("web.listen-address"),
        help: "Address to listen on: :PORT, HOST:PORT or [v6]:PORT (repeatable).")
    var listenAddresses: [String] = [":9479"]

    @Flag(
        name: .customLong("web.systemd-socket"),
        help: "Take the listeners (named http, push, push-dgram, otlp) from systemd socket activation.")
    var systemdSocket = false

    @Option(name: .customLong("web.telemetry-path"), help: "Path under which the metrics are exposed.")
    var telemetryPath = "/metrics"

    @Option(name: .customLong("web.max-requests"), help: "Scrapes in flight before /metrics answers 503.")
    var maxRequests = 40

    @Option(name: .customLong("web.max-connections"), help: "HTTP connections held at once.")
    var maxConnections = 512

    @Option(name: .customLong("web.header-timeout"), help: "Time a client has to send a request head (then 408).")
    var headerTimeout = "10s"

    @Option(name: .customLong("web.idle-timeout"), help: "Time an idle keep-alive connection is kept.")
    var idleTimeout = "60s"

    @Option(name: .customLong("path.procfs"), help: "procfs mount point.")
    var procfs = "/proc"

    @Option(name: .customLong("path.sysfs"), help: "sysfs mount point.")
    var sysfs = "/sys"

    @Option(name: .customLong("path.rootfs"), help: "Root of the filesystems to report (for containers).")
    var rootfs = "/"

    @Option(name: .customLong("path.udev.data"), help: "udev database directory.")
    var udevData = "/run/udev/data"

    @Flag(name: .customLong("collector.disable-defaults"), help: "Turn off every collector not turned on explicitly.")
    var disableDefaults = false

    @Option(name: .customLong(CollectorFlags.toggleOption.dropFirst(2).description), help: .hidden)
    var collectorToggles: [String] = []

    @Flag(
        name: .customLong("collector.cpu.guest"), inversion: .prefixedNo,
        help: "Expose node_cpu_guest_seconds_total.")
    var cpuGuest = true

    @Option(
        name: .customLong("collector.diskstats.device-exclude"),
        help: "Regex of devices to leave out (default: node_exporter's, partitions and ram/loop devices).")
    var diskDeviceExclude: String?

    @Option(name: .customLong("collector.diskstats.device-include"), help: "Regex of the only devices to report.")
    var diskDeviceInclude: String?

    @Option(
        name: .customLong("collector.filesystem.mount-points-exclude"),
        help: "Regex of mount points to leave out (default: node_exporter's: /dev, /proc, /sys, ...).")
    var mountPointsExclude: String?

    @Option(
        name: .customLong("collector.filesystem.mount-points-include"),
        help: "Regex of the only mount points to report.")
    var mountPointsInclude: String?

    @Option(
        name: .customLong("collector.filesystem.fs-types-exclude"),
        help: "Regex of filesystem types to leave out (default: node_exporter's pseudo filesystems).")
    var fsTypesExclude: String?

    @Option(
        name: .customLong("collector.filesystem.fs-types-include"),
        help: "Regex of the only filesystem types to report.")
    var fsTypesInclude: String?

    @Option(
        name: .customLong("collector.filesystem.mount-timeout"),
        help: "How long statfs may take before a mount is marked stuck.")
    var mountTimeout = "5s"

    @Option(name: .customLong("collector.filesystem.stat-workers"), help: "statfs calls running at once.")
    var statWorkers = 4

    @Option(name: .customLong("collector.netdev.device-exclude"), help: "Regex of network devices to leave out.")
    var netDeviceExclude: String?

    @Option(name: .customLong("collector.netdev.device-include"), help: "Regex of the only network devices to report.")
    var netDeviceInclude: String?

    @Option(
        name: .customLong("collector.vmstat.fields"),
        help: "Regex of the /proc/vmstat fields to expose (default: node_exporter's).")
    var vmstatFields: String?

    @Option(
        name: .customLong("collector.netclass.ignored-devices"),
        help: "Regex of network devices the netclass collector leaves out.")
    var netClassIgnoredDevices = "^$"

    @Flag(
        name: .customLong("collector.netclass.ignore-invalid-speed"),
        help: "Leave out node_network_speed_bytes of devices whose speed is unknown.")
    var netClassIgnoreInvalidSpeed = false

    @Option(
        name: .customLong("collector.powersupply.ignored-supplies"),
        help: "Regex of power supplies the powersupplyclass collector leaves out.")
    var powerSupplyIgnoredSupplies = "^$"

    @Option(
        name: .customLong("collector.textfile.directory"),
        help: "Directory whose *.prom files are read at each scrape (repeatable).")
    var textfileDirectories: [String] = []

    @Option(
        name: .customLong("collector.textfile.max-age"),
        help: "Leave out, and count as stale, text files not modified for this long (default: off).")
    var textfileMaxAge: String?

    @Option(
        name: .customLong("collector.textfile.max-size"),
        help: "Leave out, and count as too_large, text files larger than this many bytes.")
    var textfileMaxSize = 4 << 20

    @Option(
        name: .customLong("collector.netstat.fields"),
        help:
            "Regex of the <Protocol>_<Counter> counters of /proc/net/{netstat,snmp,snmp6} to report."
    )
    var netStatFields: String?

    @Option(
        name: .customLong("collector.arp.device-exclude"), help: "Regex of interfaces whose ARP entries to leave out.")
    var arpDeviceExclude: String?

    @Option(
        name: .customLong("collector.arp.device-include"),
        help: "Regex of the only interfaces whose ARP entries to report.")
    var arpDeviceInclude: String?

    @Option(
        name: .customLong("push.socket"),
        help: "Stream push socket (TALLY_PUSH_SOCKET sets the default; empty turns it off).")
    var pushSocket = PushSocketPaths.serverStreamSocket

    @Option(name: .customLong("push.datagram-socket"), help: "Datagram push socket (empty turns it off).")
    var pushDatagramSocket = PushSocketPaths.defaultDatagram

    @Option(name: .customLong("push.socket-mode"), help: "File mode of the push sockets, in octal.")
    var pushSocketMode = "0660"

    @Option(name: .customLong("push.socket-group"), help: "Group (name or number) of the push sockets.")
    var pushSocketGroup: String?

    @Option(name: .customLong("push.allowed-uids"), help: "Comma-separated user ids allowed to push (default: all).")
    var allowedUIDs: String?

    @Option(name: .customLong("push.allowed-gids"), help: "Comma-separated group ids allowed to push (default: all).")
    var allowedGIDs: String?

    @Option(
        name: .customLong("push.state-file"),
        help: "File that keeps pushed series across restarts (empty: memory only).")
    var stateFile = ""

    @Option(name: .customLong("push.state-interval"), help: "How often the state file is rewritten.")
    var stateInterval = "60s"

    @Option(name: .customLong("config.file"), help: "YAML configuration of pushed metrics (rules, limits).")
    var configFile: String?

    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.")
    var logLevel = "info"

    @Option(name: .customLong("log.format"), help: "logfmt or json.")
    var logFormat = "logfmt"

    @Option(
        name: .customLong("otlp.listen-address"),
        help: "OTLP/HTTP receiver address, HOST:PORT (default 127.0.0.1:4318; POST /v1/metrics; empty turns it off).")
    var otlpListenAddress: String?

    @Option(
        name: .customLong("otlp.promote-resource-attributes"),
        help: "Comma-separated resource attributes copied as labels onto every OTLP series.")
    var otlpPromoteResourceAttributes = ""

    @Flag(
        name: .customLong("otlp.disable-scope-labels"),
        help: "Leave out the otel_scope_name and otel_scope_version labels of OTLP series.")
    var otlpDisableScopeLabels = false

    func run() throws {
        let status: Int32
        do {
            status = try Server.serve(makeOptions())
        } catch let error as ServerOptionsError {
            throw ValidationError(error.description)
        }
        throw ExitCode(status)
    }

    private func makeOptions() throws -> ServerOptions {
        var options = ServerOptions()
        options.procfsPath = procfs
        options.sysfsPath = sysfs
        options.rootfsPath = rootfs
        options.udevDataPath = udevData
        options.disablesDefaultCollectors = disableDefaults
        options.collectorToggles = collectorToggles
        options.cpuGuest = cpuGuest
        options.diskStatsDeviceExclude = diskDeviceExclude
        options.diskStatsDeviceInclude = diskDeviceInclude
        options.mountPointsExclude = mountPointsExclude
        options.mountPointsInclude = mountPointsInclude
        options.fsTypesExclude = fsTypesExclude
        options.fsTypesInclude = fsTypesInclude
        options.mountTimeout = try duration(mountTimeout, "--collector.filesystem.mount-timeout")
        options.statWorkers = statWorkers
        options.netDeviceExclude = netDeviceExclude
        options.netDeviceInclude = netDeviceInclude
        if let vmstatFields { options.vmstatFields = vmstatFields }
        options.netClassIgnoredDevices = netClassIgnoredDevices
        options.netClassIgnoreInvalidSpeed = netClassIgnoreInvalidSpeed
        options.powerSupplyIgnoredSupplies = powerSupplyIgnoredSupplies
        options.textfileDirectories = textfileDirectories
        options.textfileMaxAge = try textfileMaxAge.map { try duration($0, "--collector.textfile.max-age") }
        options.textfileMaxSize = textfileMaxSize
        options.netStatFields = netStatFields
        options.arpDeviceExclude = arpDeviceExclude
        options.arpDeviceInclude = arpDeviceInclude
        options.listenAddresses = listenAddresses
        options.usesSystemdSockets = systemdSocket
        options.telemetryPath = telemetryPath
        options.maxScrapesInFlight = maxRequests
        options.maxConnections = maxConnections
        options.headerTimeout = try duration(headerTimeout, "--web.header-timeout")
        options.idleTimeout = try duration(idleTimeout, "--web.idle-timeout")
        options.pushSocket = pushSocket
        options.pushDatagramSocket = pushDatagramSocket
        guard let mode = UInt32(pushSocketMode, radix: 8), mode <= 0o777 else {
            throw ValidationError("--push.socket-mode \(pushSocketMode) is not an octal file mode like 0660")
        }
        options.pushSocketMode = mode
        options.pushSocketGroup = pushSocketGroup
        options.pushAllowedUserIDs = try idList(allowedUIDs, "--push.allowed-uids")
        options.pushAllowedGroupIDs = try idList(allowedGIDs, "--push.allowed-gids")
        options.pushStateFile = stateFile
        options.pushStateInterval = try duration(stateInterval, "--push.state-interval")
        options.configFile = configFile
        options.logLevel = logLevel
        options.logFormat = logFormat
        options.otlpListenAddress = otlpListenAddress
        options.otlpPromotedResourceAttributes = otlpPromoteResourceAttributes.split(separator: ",").map {
            String($0.filter { $0 != " " })
        }
        options.otlpDisablesScopeLabels = otlpDisableScopeLabels
        return options
    }

    private func duration(_ text: String, _ flag: String) throws -> Duration {
        guard let seconds = parseDuration(text), seconds > 0 else {
            throw ValidationError("\(flag) \(text) is not a positive duration like 500ms, 5s or 1m")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    private func idList(_ text: String?, _ flag: String) throws -> Set<UInt32>? {
        guard let text else { return nil }
        let ids = text.split(separator: ",").map { UInt32(String($0).filter { $0 != " " }) }
        guard !ids.isEmpty, ids.allSatisfy({ $0 != nil }) else {
            throw ValidationError("\(flag) \(text) is not a comma-separated list of numeric ids")
        }
        return Set(ids.compactMap { $0 })
    }
}
