import Glibc
import HostCollectors

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
    /// The host collectors' paths and options.
    public var collectors: HostCollectorOptions
    /// The host collectors to run, resolved from `--collector.<name>` flags.
    public var enabledCollectors: [String]
    /// `--push.socket`: the stream push socket; empty turns it off.
    public var pushSocket: String = PushSocketPaths.defaultStream
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

    public init(collectors: HostCollectorOptions, enabledCollectors: [String]) {
        self.collectors = collectors
        self.enabledCollectors = enabledCollectors
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
        if let runtime = getenv("XDG_RUNTIME_DIR"), runtime.pointee != 0 {
            return String(cString: runtime) + "/tally"
        }
        return "/tmp/tally-\(getuid())"
    }

    /// The fallback for a default path: the same file name in ``fallbackDirectory``.
    public static func fallback(for path: String) -> String {
        fallbackDirectory + "/" + PushStateFiles.baseName(of: path)
    }

    /// The stream socket `tally push` talks to when `--socket` is not given: `$TALLY_PUSH_SOCKET`, else the
    /// default path, else its fallback when only that exists.
    public static func clientStreamSocket() -> String {
        if let configured = getenv("TALLY_PUSH_SOCKET"), configured.pointee != 0 { return String(cString: configured) }
        let fallback = fallback(for: defaultStream)
        if access(defaultStream, F_OK) != 0, access(fallback, F_OK) == 0 { return fallback }
        return defaultStream
    }
}
