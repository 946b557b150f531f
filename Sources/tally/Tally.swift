import ArgumentParser
import EventLoop
import Glibc
import HostCollectors
import Logging
import ProcFS
import TallyServer

@main
struct Tally: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "Host metrics and pushed pipeline metrics for Prometheus, in one small binary.",
        version: "tally \(BuildInfo.version) (revision \(BuildInfo.revision), Swift \(BuildInfo.swiftVersion))",
        subcommands: [Serve.self, Push.self, CheckConfig.self])

    /// Runs the common forms of `tally push` at once (see ``Push/Invocation``). For `serve`, turns
    /// `--collector.<name>` and `--no-collector.<name>` for the collectors in the table into the hidden
    /// `--collector-toggle` option before parsing, so that the flags come from the table rather than from a list
    /// kept by hand here.
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "push", let push = Push.Invocation(parsing: arguments.dropFirst()) {
            Glibc.exit(push.run())
        }
        if arguments.first == "serve" {
            arguments = CollectorFlags.rewrite(arguments)
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// The `--collector.<name>` flags of the collector table.
enum CollectorFlags {
    static let toggleOption = "--collector-toggle"

    static func rewrite(_ arguments: [String]) -> [String] {
        let names = Set(HostCollectorTable.entries.map(\.name))
        return arguments.flatMap { argument -> [String] in
            if argument.hasPrefix("--collector."), names.contains(String(argument.dropFirst(12))) {
                return [toggleOption + "=+" + argument.dropFirst(12)]
            }
            if argument.hasPrefix("--no-collector."), names.contains(String(argument.dropFirst(15))) {
                return [toggleOption + "=-" + argument.dropFirst(15)]
            }
            return [argument]
        }
    }

    static var help: String {
        HostCollectorTable.entries.map { collector in
            "  --[no-]collector.\(collector.name)  (default \(collector.isEnabledByDefault ? "on" : "off"))"
        }.joined(separator: "\n")
    }
}

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
        help: "Take the listeners (named http, push, push-dgram) from systemd socket activation.")
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
        name: .customLong("push.socket"),
        help: "Stream push socket (TALLY_PUSH_SOCKET sets the default; empty turns it off).")
    var pushSocket = environment("TALLY_PUSH_SOCKET") ?? PushSocketPaths.defaultStream

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

    func run() throws {
        // Before any thread exists: SIGTERM, SIGINT and SIGHUP go to the event loop's signalfd.
        try prepareProcessSignals()
        Server.configureAllocator()
        let format = try parse(LogFormat(rawValue: logFormat), "--log.format", logFormat, expected: "logfmt or json")
        let level = try parse(Self.logLevels[logLevel], "--log.level", logLevel, expected: "debug, info, warn or error")
        LoggingSystem.bootstrap { _ in TallyLogHandler(format: format, level: level) }
        let logger = Logger(label: "tally")
        let options = try makeOptions()
        do {
            let server = try Server(options: options, logger: logger)
            throw ExitCode(try server.run())
        } catch let exit as ExitCode {
            throw exit
        } catch {
            logger.critical("tally cannot start", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }

    private static let logLevels: [String: Logger.Level] = [
        "debug": .debug, "info": .info, "warn": .warning, "warning": .warning, "error": .error,
    ]

    private func makeOptions() throws -> ServerOptions {
        var collectors = HostCollectorOptions(
            procFS: ProcFS(root: procfs), sysFS: SysFS(root: sysfs), rootFS: rootfs,
            udevDatabase: UdevDatabase(root: udevData))
        collectors.cpuGuest = cpuGuest
        collectors.diskStatsDeviceExclude = diskDeviceExclude
        collectors.diskStatsDeviceInclude = diskDeviceInclude
        collectors.filesystemMountPointsExclude = mountPointsExclude
        collectors.filesystemMountPointsInclude = mountPointsInclude
        collectors.filesystemFSTypesExclude = fsTypesExclude
        collectors.filesystemFSTypesInclude = fsTypesInclude
        collectors.filesystemMountTimeout = try duration(mountTimeout, "--collector.filesystem.mount-timeout")
        collectors.filesystemStatWorkers = statWorkers
        collectors.netDevDeviceExclude = netDeviceExclude
        collectors.netDevDeviceInclude = netDeviceInclude
        let toggles = try collectorToggles.map { toggle -> CollectorToggle in
            guard let sign = toggle.first, sign == "+" || sign == "-" else {
                throw ValidationError("malformed collector toggle \(toggle)")
            }
            return CollectorToggle(name: String(toggle.dropFirst()), isEnabled: sign == "+")
        }
        let enabled = try HostCollectorTable.enabledCollectors(disableDefaults: disableDefaults, toggles: toggles)
        var options = ServerOptions(collectors: collectors, enabledCollectors: enabled)
        options.listenAddresses = listenAddresses
        options.usesSystemdSockets = systemdSocket
        options.telemetryPath = telemetryPath
        options.maxScrapesInFlight = maxRequests
        options.maxConnections = maxConnections
        options.headerTimeout = try duration(headerTimeout, "--web.header-timeout")
        options.idleTimeout = try duration(idleTimeout, "--web.idle-timeout")
        options.pushSocket = pushSocket
        options.pushDatagramSocket = pushDatagramSocket
        guard let mode = mode_t(pushSocketMode, radix: 8), mode <= 0o777 else {
            throw ValidationError("--push.socket-mode \(pushSocketMode) is not an octal file mode like 0660")
        }
        options.pushSocketMode = mode
        options.pushSocketGroup = pushSocketGroup
        options.pushAllowedUserIDs = try idList(allowedUIDs, "--push.allowed-uids")
        options.pushAllowedGroupIDs = try idList(allowedGIDs, "--push.allowed-gids")
        options.pushStateFile = stateFile
        options.pushStateInterval = try duration(stateInterval, "--push.state-interval")
        options.configFile = configFile
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

    private func parse<Value>(_ value: Value?, _ flag: String, _ text: String, expected: String) throws -> Value {
        guard let value else { throw ValidationError("\(flag) \(text) is not one of \(expected)") }
        return value
    }
}

struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push StatsD lines to tally and wait until it has confirmed them.",
        discussion: """
            Each LINE is <name>:<value>|<type>[|@<rate>][|#<key>:<value>,...] with type c, g, ms, h or d. \
            With - as the only LINE, lines are read from standard input.

            Exits 0 when tally confirmed every line (durably when it keeps a state file), 1 when it refused \
            some (each is printed with its reason), 2 when tally could not be reached, did not confirm in time, \
            or applied the lines but could not make them durable (printed with the reason).
            """)

    @Option(
        name: .customLong(Invocation.socketOption),
        help: "Push socket (default: $TALLY_PUSH_SOCKET or /run/tally/push.sock).")
    var socket: String?

    @Option(name: .customLong(Invocation.timeoutOption), help: "Seconds to wait for tally's confirmation.")
    var timeout: Double = Invocation.defaultTimeout

    @Argument(help: "The lines to push, or - to read them from standard input.")
    var lines: [String]

    func validate() throws {
        guard !lines.isEmpty else { throw ValidationError("give at least one LINE, or - to read standard input") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        throw ExitCode(Invocation(socket: socket, timeout: timeout, lines: lines).run())
    }

    /// A `tally push` to perform. The common forms (`--socket`, `--timeout`, lines or `-`) are recognised here
    /// without ArgumentParser, whose reflection-based parsing costs about 2 ms of start-up, a lot for a command a
    /// script runs once per event; anything else (help, an unknown option, a bad value) is left to the full parser
    /// and its messages.
    struct Invocation {
        static let socketOption = "socket"
        static let timeoutOption = "timeout"
        static let defaultTimeout = 10.0

        var socket: String?
        var timeout: Double
        var lines: [String]

        init(socket: String?, timeout: Double, lines: [String]) {
            self.socket = socket
            self.timeout = timeout
            self.lines = lines
        }

        /// The invocation the arguments after `push` describe, or nil when they need the full parser.
        init?(parsing arguments: ArraySlice<String>) {
            var socket: String?
            var timeout: Double?
            var lines: [String] = []
            var remaining = arguments[...]
            while let argument = remaining.popFirst() {
                if argument == "--" {
                    lines.append(contentsOf: remaining)
                    break
                }
                guard argument.hasPrefix("-"), argument != "-" else {
                    lines.append(argument)
                    continue
                }
                // `--name=value` or `--name value`; each option at most once.
                let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let value = parts.count == 2 ? String(parts[1]) : remaining.popFirst() else { return nil }
                switch parts[0] {
                case "--" + Self.socketOption where socket == nil:
                    socket = value
                case "--" + Self.timeoutOption where timeout == nil:
                    guard let seconds = Double(value), seconds > 0, seconds.isFinite else { return nil }
                    timeout = seconds
                default:
                    return nil
                }
            }
            guard !lines.isEmpty else { return nil }
            self.init(socket: socket, timeout: timeout ?? Self.defaultTimeout, lines: lines)
        }

        /// Pushes the lines and reports the outcome; returns the exit status.
        func run() -> Int32 {
            let client = PushClient(
                socketPath: socket ?? PushSocketPaths.clientStreamSocket(), timeoutSeconds: timeout)
            let outcome = lines == ["-"] ? client.push(standardInput: STDIN_FILENO) : client.push(lines: lines)
            return outcome.report(to: STDERR_FILENO)
        }
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Check a configuration file and exit.")

    @Option(name: .customLong("config.file"), help: "The YAML configuration file to check.")
    var configFile: String

    func run() throws {
        do {
            let configuration = try TallyConfiguration.load(path: configFile)
            print(
                "\(configFile): valid; \(configuration.views.rules.count) rules, cardinality limit "
                    + "\(configuration.views.defaultCardinalityLimit), at most \(configuration.maxPushedSeries) pushed series"
            )
        } catch {
            var standardError = StandardError()
            print("\(error)", to: &standardError)
            throw ExitCode.failure
        }
    }
}

/// Writes to standard error.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

func environment(_ name: String) -> String? {
    guard let value = getenv(name), value.pointee != 0 else { return nil }
    return String(cString: value)
}
