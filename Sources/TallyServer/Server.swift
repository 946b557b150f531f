import Glibc
import HTTP1
import HostCollectors
import Logging
import MetricsCore
import PushStore
import SystemIO
import Systemd

/// tally serving: the HTTP listeners, the push sockets, the collectors and systemd supervision, on one event loop.
///
/// Start-up happens in ``init(options:logger:)``: the configuration is loaded, the collectors registered, the push
/// state restored and every listener bound. ``run()`` then makes a first collection, tells systemd `READY=1`, and
/// serves until SIGTERM or SIGINT. SIGHUP reloads the configuration file. ``serve(_:)`` does all of it, after
/// preparing the process.
public final class Server {
    private let options: ServerOptions
    private let enabledCollectors: [String]
    private let logger: Logger
    private let loop: EventLoop
    private let registry: MetricRegistry
    private let workers: ScrapeWorkers
    private let http: HTTPServer
    private let pushStore: PushStore?
    private let push: PushService?
    private let persistence: PushPersistence?
    private let otlp: OTLPReceiver?
    private let notifier = SystemdNotifier()
    private let reloadSuccess: Gauge
    private var signals: SignalFD?
    private var lastError: String?
    private var isStopping = false
    /// A short summary of where tally listens, for the log and systemd's STATUS.
    private var listening: [String] = []

    private static let scrapeWorkerCount = 2

    /// Runs `tally serve` with `options` until SIGTERM or SIGINT and returns the exit status: prepares the process
    /// (signals, allocator), sets up logging, starts the server and serves. A failure to start is logged.
    public static func serve(_ options: ServerOptions) throws(ServerOptionsError) -> Int32 {
        guard let format = LogFormat(rawValue: options.logFormat) else {
            throw ServerOptionsError(flag: "--log.format", value: options.logFormat, expected: "logfmt or json")
        }
        guard let level = logLevels[options.logLevel] else {
            throw ServerOptionsError(
                flag: "--log.level", value: options.logLevel, expected: "debug, info, warn or error")
        }
        LoggingSystem.bootstrap { _ in TallyLogHandler(format: format, level: level) }
        let logger = Logger(label: "tally")
        do {
            // Before any thread exists: SIGTERM, SIGINT and SIGHUP go to the event loop's signalfd.
            try prepareProcessSignals()
            configureAllocator()
            return try Server(options: options, logger: logger).run()
        } catch {
            logger.critical("tally cannot start", metadata: ["error": "\(error)"])
            return 1
        }
    }

    private static let logLevels: [String: Logger.Level] = [
        "debug": .debug, "info": .info, "warn": .warning, "warning": .warning, "error": .error,
    ]

    /// Fixes glibc's mmap threshold at 128 KiB. Left dynamic, glibc raises it after the first large buffer is freed,
    /// and every later multi-megabyte scrape body (100,000 pushed series make about 6 MB) is then carved from the
    /// heap and stays resident after use; at a fixed threshold such buffers are mapped and returned when freed.
    /// Also keeps every thread in one malloc arena: tally's few threads allocate little (the hot paths reuse their
    /// buffers), and an arena per thread would hold a few hundred KiB of partly used pages each.
    private static func configureAllocator() {
        setMallocMmapThreshold(128 * 1024)
        setMallocArenaLimit(1)
    }

    init(options: ServerOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
        let configuration =
            try options.configFile.map { path throws in try TallyConfiguration.load(path: path) }
            ?? TallyConfiguration()
        registry = try MetricRegistry(views: configuration.views, collectorStatusPrefix: "node_scrape_collector")
        let buildInfo = try registry.makeGauge(
            name: "tally_build_info",
            help: "A constant 1 labelled with the version, revision and Swift compiler of tally.")
        buildInfo.record(
            1,
            labels: LabelSet([
                Label("version", BuildInfo.version), Label("revision", BuildInfo.revision),
                Label("swift_version", BuildInfo.swiftVersion),
            ]))
        reloadSuccess = try registry.makeGauge(
            name: "tally_config_last_reload_successful", help: "Whether the last configuration load succeeded.")
        reloadSuccess.record(1)
        let collectors = options.hostCollectorOptions()
        enabledCollectors = try options.enabledCollectors()
        try HostCollectorTable.register(enabled: enabledCollectors, options: collectors, registry: registry)
        try ProcessCollector.register(options: collectors, registry: registry)

        loop = try EventLoop()
        let pushEnabled = !options.pushSocket.isEmpty || !options.pushDatagramSocket.isEmpty
        let otlpEnabled = options.otlpListenAddress?.isEmpty != true
        if pushEnabled || otlpEnabled {
            let store = try PushStore(
                registry: registry,
                limits: PushLimits(
                    maxSeries: configuration.maxPushedSeries,
                    defaultTimeToLiveSeconds: configuration.defaultTimeToLiveSeconds))
            store.otlpOptions = OTLPIngestOptions(
                promotedResourceAttributes: options.otlpPromotedResourceAttributes,
                addsScopeLabels: !options.otlpDisablesScopeLabels)
            let persistence =
                options.pushStateFile.isEmpty
                ? nil : PushPersistence(stateFile: options.pushStateFile, store: store, loop: loop, logger: logger)
            try persistence?.restoreAndStart()
            pushStore = store
            self.persistence = persistence
            push =
                pushEnabled
                ? try PushService(
                    loop: loop, store: store, persistence: persistence,
                    policy: PushService.PeerPolicy(
                        allowedUserIDs: options.pushAllowedUserIDs, allowedGroupIDs: options.pushAllowedGroupIDs),
                    registry: registry, logger: logger) : nil
        } else {
            pushStore = nil
            persistence = nil
            push = nil
        }
        workers = try ScrapeWorkers(registry: registry, count: Self.scrapeWorkerCount)
        http = try HTTPServer(
            loop: loop, workers: workers, registry: registry,
            limits: HTTPServer.Limits(
                maxConnections: options.maxConnections, maxScrapesInFlight: options.maxScrapesInFlight,
                connection: HTTPConnectionStateMachine.Configuration(
                    headerTimeout: options.headerTimeout, idleTimeout: options.idleTimeout)),
            telemetryPath: options.telemetryPath, logger: logger)
        if otlpEnabled, let pushStore {
            otlp = try OTLPReceiver(
                server: http, store: pushStore, persistence: persistence, registry: registry, logger: logger)
        } else {
            otlp = nil
        }
        try bindListeners()
    }

    // MARK: Listeners

    private func bindListeners() throws {
        if options.usesSystemdSockets {
            var wanted: Set<SocketActivation.Listener> = [.http]
            if !options.pushSocket.isEmpty { wanted.insert(.push) }
            if !options.pushDatagramSocket.isEmpty { wanted.insert(.pushDatagram) }
            let sockets = try withFlagName { () throws(SocketActivationError) in try SocketActivation.passedSockets() }
            // The OTLP receiver is served under socket activation when a socket named otlp is passed, so that units
            // written before it existed keep working.
            if otlp != nil, sockets.contains(where: { $0.name == SocketActivation.Listener.otlp.name }) {
                wanted.insert(.otlp)
            }
            let passed = try withFlagName { () throws(SocketActivationError) in
                try SocketActivation.sockets(
                    from: sockets, for: wanted, among: [.http, .push, .pushDatagram, .otlp],
                    takingUnnamedSocketAs: .http)
            }
            for descriptor in passed[.http] {
                let listener = try StreamListener(adopting: descriptor)
                try http.serve(listener)
                listening.append("http \(listener.localAddress) (systemd)")
            }
            for descriptor in passed[.push] {
                try push?.serve(stream: StreamListener(adopting: descriptor))
                listening.append("push stream (systemd)")
            }
            for descriptor in passed[.pushDatagram] {
                try push?.serve(datagram: DatagramSocket(adopting: descriptor))
                listening.append("push datagram (systemd)")
            }
            if let otlp {
                for descriptor in passed[.otlp] {
                    let listener = try StreamListener(adopting: descriptor)
                    try http.serve(listener, router: otlp, configuration: OTLPReceiver.configuration(httpConfiguration))
                    listening.append("otlp \(listener.localAddress) (systemd)")
                }
            }
            return
        }
        try bindOTLPListener()
        for text in options.listenAddresses {
            let listener = try StreamListener(tcp: ListenAddress(parsing: text))
            try http.serve(listener)
            listening.append("http \(listener.localAddress)")
        }
        let socketOptions = UnixSocketOptions(mode: options.pushSocketMode, group: options.pushSocketGroup)
        if !options.pushSocket.isEmpty {
            let path = try bindWithFallback(
                options.pushSocket, isDefault: options.pushSocket == PushSocketPaths.defaultStream
            ) {
                path in try push?.serve(stream: StreamListener(unixPath: path, options: socketOptions))
            }
            listening.append("push stream \(path)")
        }
        if !options.pushDatagramSocket.isEmpty {
            let path = try bindWithFallback(
                options.pushDatagramSocket, isDefault: options.pushDatagramSocket == PushSocketPaths.defaultDatagram
            ) { path in try push?.serve(datagram: DatagramSocket(unixPath: path, options: socketOptions)) }
            listening.append("push datagram \(path)")
        }
    }

    /// The connection configuration of the web listeners.
    private var httpConfiguration: HTTPConnectionStateMachine.Configuration {
        HTTPConnectionStateMachine.Configuration(headerTimeout: options.headerTimeout, idleTimeout: options.idleTimeout)
    }

    /// Binds the OTLP receiver's address. The default address (loopback, port 4318) is skipped with a warning when
    /// its port is taken; an address given explicitly that cannot be bound fails the start.
    private func bindOTLPListener() throws {
        guard let otlp else { return }
        let text = options.otlpListenAddress ?? ServerOptions.defaultOTLPListenAddress
        let listener: StreamListener
        do {
            listener = try StreamListener(tcp: ListenAddress(parsing: text))
        } catch SocketError.system(let failure) where options.otlpListenAddress == nil && failure.errno == EADDRINUSE {
            logger.warning(
                "the default OTLP address is in use; the OTLP receiver is off (set --otlp.listen-address)",
                metadata: ["address": "\(text)", "error": "\(failure)"])
            return
        }
        try http.serve(listener, router: otlp, configuration: OTLPReceiver.configuration(httpConfiguration))
        listening.append("otlp \(listener.localAddress)")
    }

    /// Binds a push socket at `path`; a default path tally may not create (no root) falls back to a directory of
    /// the user's. Returns the path bound.
    private func bindWithFallback(_ path: String, isDefault: Bool, bind: (String) throws -> Void) throws -> String {
        do {
            try bind(path)
            return path
        } catch {
            guard isDefault, Self.isPermissionProblem(error) else { throw error }
            let fallback = PushSocketPaths.fallback(for: path)
            logger.notice(
                "cannot create the default push socket; using a path of this user instead",
                metadata: ["default": "\(path)", "path": "\(fallback)", "reason": "\(error)"])
            try bind(fallback)
            return fallback
        }
    }

    private static func isPermissionProblem(_ error: any Error) -> Bool {
        let denied: Set<Int32> = [EACCES, EPERM, EROFS]
        switch error {
        case SocketError.system(let failure), SocketError.cannotCreateDirectory(_, _, let failure):
            return denied.contains(failure.errno)
        case let failure as SystemError:
            return denied.contains(failure.errno)
        default:
            return false
        }
    }

    /// `body`'s socket-activation error, if any, prefixed with the flag that asked for socket activation.
    private func withFlagName<Value>(
        _ body: () throws(SocketActivationError) -> Value
    ) throws(StartupError) -> Value {
        do {
            return try body()
        } catch {
            throw StartupError(description: "--web.systemd-socket: \(error)")
        }
    }

    // MARK: Running

    /// Serves until SIGTERM or SIGINT; returns the process exit status.
    func run() throws -> Int32 {
        signals = try SignalFD(.server, loop: loop) { [unowned self] signal in
            if signal == SIGHUP { reload() } else { shutDown(signal: signal) }
        }
        let first = registry.collect()
        for failed in first.producerResults where !failed.succeeded {
            logger.warning(
                "collector failed in the first collection",
                metadata: ["collector": "\(failed.name)", "error": "\(failed.error ?? "")"])
        }
        http.isReady = true
        logger.info(
            "tally is serving",
            metadata: [
                "version": "\(BuildInfo.version)", "listening": "\(listening.joined(separator: ", "))",
                "collectors": "\(enabledCollectors.joined(separator: ","))",
            ])
        notify { try $0.ready() }
        updateStatus()
        scheduleTimers()
        try loop.run()
        workers.shutDown()
        return 0
    }

    private func scheduleTimers() {
        do {
            if let watchdog = try Watchdog.fromEnvironment() {
                let interval = max(watchdog.pingInterval, .milliseconds(10))
                loop.schedule(after: .zero, repeating: interval) { [unowned self] in notify { try $0.watchdog() } }
                logger.info("systemd watchdog enabled", metadata: ["ping_interval": "\(interval)"])
            }
        } catch {
            logger.warning("ignoring an unusable systemd watchdog setting", metadata: ["error": "\(error)"])
        }
        loop.schedule(after: .seconds(10), repeating: .seconds(10)) { [unowned self] in updateStatus() }
        if let pushStore {
            loop.schedule(after: .seconds(1), repeating: .seconds(1)) { pushStore.expireSeries() }
        }
        if let persistence {
            loop.schedule(after: options.pushStateInterval, repeating: options.pushStateInterval) {
                persistence.compact()
            }
        }
    }

    /// SIGHUP: reload the configuration file. An invalid file is kept out; the error is logged and shown in
    /// systemd's STATUS until a good one is loaded.
    private func reload() {
        notify { try $0.reloading() }
        if let path = options.configFile {
            do {
                let configuration = try TallyConfiguration.load(path: path)
                registry.updateViews(configuration.views)
                pushStore?.limits = PushLimits(
                    maxSeries: configuration.maxPushedSeries,
                    defaultTimeToLiveSeconds: configuration.defaultTimeToLiveSeconds)
                lastError = nil
                reloadSuccess.record(1)
                logger.info("configuration reloaded", metadata: ["file": "\(path)"])
            } catch {
                lastError = "configuration not reloaded: \(error)"
                reloadSuccess.record(0)
                logger.error("configuration not reloaded; the previous one stays", metadata: ["error": "\(error)"])
            }
        }
        updateStatus()
        notify { try $0.ready() }
    }

    /// SIGTERM or SIGINT: stop accepting, finish what is in flight, save the push state, remove the socket files.
    private func shutDown(signal: Int32) {
        guard !isStopping else { return }
        isStopping = true
        notify { try $0.stopping() }
        logger.info("shutting down", metadata: ["signal": "\(signal == SIGTERM ? "SIGTERM" : "SIGINT")"])
        http.isReady = false
        http.stopAccepting()
        push?.stop()
        otlp?.isStopping = true
        persistence?.close()
        http.onDrained = { [loop] in loop.stop() }
        loop.schedule(after: .milliseconds(800)) { [loop] in loop.stop() }
    }

    private func updateStatus() {
        var parts = [listening.first ?? "serving"]
        if let pushStore { parts.append("\(pushStore.seriesCount) pushed series") }
        parts.append("\(http.scrapesServed) scrapes served")
        parts.append("last error: \(lastError ?? "none")")
        let line = parts.joined(separator: "; ")
        notify { try $0.status(line) }
    }

    /// Sends a notification to systemd; a failure is logged, never fatal (sd_notify(3) says to ignore them).
    private func notify(_ send: (SystemdNotifier) throws -> Void) {
        guard notifier.isActive else { return }
        do {
            try send(notifier)
        } catch {
            logger.warning("cannot notify systemd", metadata: ["error": "\(error)"])
        }
    }
}

/// A start-up failure, described for the log line that reports it.
struct StartupError: Error, CustomStringConvertible {
    let description: String
}
