import Exposition
import Glibc
import HTTP1
import Logging
import MetricsCore
import SystemIO

/// Answers the requests of one listener's connections; the HTTP server (its `/metrics` routes) is one.
protocol HTTPRouter: AnyObject {
    /// Answers `request`, now or later, with `connection.respond(_:isHead:)`.
    func route(_ request: HTTPRequest, on connection: HTTPConnection)

    /// The answer to a request the connection refused before routing it (a malformed request, HTTP/2...).
    func rejection(_ error: HTTPRequestError) -> HTTPResponse
}

extension HTTPRouter {
    func rejection(_ error: HTTPRequestError) -> HTTPResponse { HTTPResponse(rejecting: error) }
}

/// The HTTP side of tally: accepts connections on every TCP listener, routes `GET`/`HEAD` on `/metrics`, `/`,
/// `/-/healthy` and `/-/ready` of the web listeners, and hands scrapes to the workers. Other listeners (OTLP)
/// bring their own router and connection limits; the connection limit is shared. Lives on the event loop thread.
final class HTTPServer: HTTPRouter {
    struct Limits {
        /// Connections held at once; past it the longest-idle one is closed, or the newcomer gets 503.
        var maxConnections = 512
        /// Scrapes queued or running at once; past it `/metrics` answers 503 (node_exporter's --web.max-requests).
        var maxScrapesInFlight = 40
        var connection = HTTPConnectionStateMachine.Configuration()
    }

    let loop: EventLoop
    /// A read buffer shared by every connection: reads are handled completely before the next one.
    let readBuffer: UnsafeMutableRawBufferPointer
    private let limits: Limits
    private let workers: ScrapeWorkers
    private let telemetryPath: String
    private let landingPage: [UInt8]
    private let logger: Logger
    private let requests: ResponseCounter
    private var listeners: [StreamListener] = []
    private var connections: [ObjectIdentifier: HTTPConnection] = [:]
    private var scrapesInFlight = 0
    /// Connections accepted past the limit only to be answered 503.
    private var overLimitConnections = 0
    /// How many connections may wait for their 503 at once; past that, a newcomer is closed at once.
    private static let maximumOverLimitConnections = 64
    /// Scrapes answered since start, for systemd's STATUS.
    private(set) var scrapesServed = 0
    private var cachedDate: (second: Int, text: String) = (-1, "")
    /// Whether `/-/ready` answers 200: start-up has finished and the first collection succeeded.
    var isReady = false
    /// Called when the last in-flight scrape and the last unsent response are gone (for shutdown).
    var onDrained: (() -> Void)?

    init(
        loop: EventLoop, workers: ScrapeWorkers, registry: MetricRegistry, limits: Limits, telemetryPath: String,
        logger: Logger
    ) throws(MetricsError) {
        self.loop = loop
        self.workers = workers
        self.limits = limits
        self.telemetryPath = telemetryPath
        self.logger = logger
        self.readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        self.requests = try ResponseCounter(
            registry: registry, name: "tally_http_requests_total", help: "HTTP requests answered, by status code.")
        self.landingPage = Array(Self.landingPage(telemetryPath: telemetryPath).utf8)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Starts accepting on a web listener (`/metrics` and the health routes).
    func serve(_ listener: StreamListener) throws(SystemError) {
        try serve(listener, router: self, configuration: limits.connection)
    }

    /// Starts accepting on a listener whose requests `router` answers, each connection with `configuration`.
    func serve(
        _ listener: StreamListener, router: some HTTPRouter, configuration: HTTPConnectionStateMachine.Configuration
    ) throws(SystemError) {
        listeners.append(listener)
        try listener.start(
            on: loop,
            onAccept: { [unowned self, unowned router] socket in
                accept(socket, router: router, configuration: configuration)
            },
            onError: { [logger] error in logger.warning("accept failed", metadata: ["error": "\(error)"]) })
    }

    /// Stops accepting; connections already open are served to the end of their current response.
    func stopAccepting() {
        for listener in listeners { listener.close() }
        listeners = []
        for connection in connections.values where connection.isIdle { connection.close() }
        checkDrained()
    }

    var hasWorkInFlight: Bool { scrapesInFlight > 0 || connections.values.contains { !$0.isIdle } }

    private func accept(
        _ socket: consuming FileDescriptor, router: any HTTPRouter,
        configuration: HTTPConnectionStateMachine.Configuration
    ) {
        var isOverLimit = false
        if connections.count - overLimitConnections >= limits.maxConnections {
            let idle = connections.values.filter { $0.isIdle && !$0.isOverLimit }.min { lhs, rhs in
                (lhs.nextDeadline?.nanoseconds ?? .max) < (rhs.nextDeadline?.nanoseconds ?? .max)
            }
            if let idle {
                idle.close()
            } else if overLimitConnections < Self.maximumOverLimitConnections {
                // Read the newcomer's request and answer it with 503, so that it gets a response rather than a reset.
                isOverLimit = true
            } else {
                countResponse(HTTPStatus.serviceUnavailable.code)
                try? socket.close()
                return
            }
        }
        let connection = HTTPConnection(
            socket: socket, server: self, router: router, configuration: configuration, isOverLimit: isOverLimit)
        if isOverLimit { overLimitConnections += 1 }
        connections[ObjectIdentifier(connection)] = connection
        do {
            try connection.start()
        } catch {
            connection.close()
        }
    }

    func connectionClosed(_ connection: HTTPConnection) {
        connections[ObjectIdentifier(connection)] = nil
        if connection.isOverLimit { overLimitConnections -= 1 }
        checkDrained()
    }

    func countResponse(_ code: Int) {
        requests.count(code)
    }

    /// Answers a request of a web listener.
    func route(_ request: HTTPRequest, on connection: HTTPConnection) {
        let head = request.head
        let isHead = head.method == .head
        guard head.method == .get || isHead else {
            connection.respond(
                .methodNotAllowed(allowing: [.get, .head], keepAlive: head.keepAlive, requestVersion: head.version),
                isHead: false)
            return
        }
        switch head.path {
        case telemetryPath:
            scrape(head, on: connection)
        case "/":
            connection.respond(
                response(head, .ok, contentType: "text/html; charset=utf-8", body: landingPage), isHead: isHead)
        case "/-/healthy":
            connection.respond(response(head, .ok, text: "tally is healthy.\n"), isHead: isHead)
        case "/-/ready":
            connection.respond(
                isReady
                    ? response(head, .ok, text: "tally is ready.\n")
                    : response(head, .serviceUnavailable, text: "tally is starting.\n"),
                isHead: isHead)
        default:
            connection.respond(
                response(head, .notFound, text: "not found; metrics are at \(telemetryPath)\n"), isHead: isHead)
        }
    }

    private func scrape(_ head: HTTPRequestHead, on connection: HTTPConnection) {
        let isHead = head.method == .head
        guard scrapesInFlight < limits.maxScrapesInFlight else {
            connection.respond(
                response(head, .serviceUnavailable, text: "too many scrapes in flight (\(scrapesInFlight))\n"),
                isHead: isHead)
            return
        }
        scrapesInFlight += 1
        let format = ExpositionFormat.negotiate(accept: head.headers["accept"])
        let coding = ContentCoding.negotiate(acceptEncoding: head.headers["accept-encoding"])
        let pending = LoopBound((server: self, connection: connection, head: head), loop: loop)
        workers.submit(
            ScrapeWorkers.Job(format: format, coding: coding) { body in
                pending.loop.execute {
                    let (server, connection, head) = pending.value
                    server.scrapesInFlight -= 1
                    server.scrapesServed += 1
                    var headers: HTTPHeaders = ["Content-Type": format.contentType]
                    if let encoding = coding.headerValue { headers.append(name: "Content-Encoding", value: encoding) }
                    headers.append(name: "Vary", value: "Accept, Accept-Encoding")
                    let response = HTTPResponse(
                        status: .ok, headers: headers, body: body, keepAlive: head.keepAlive,
                        requestVersion: head.version, date: server.date())
                    connection.respond(response, isHead: head.method == .head)
                    server.checkDrained()
                }
            })
    }

    /// A `text/plain` response to `head`.
    func response(_ head: HTTPRequestHead, _ status: HTTPStatus, text: String) -> HTTPResponse {
        response(head, status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    /// A response to `head` with `body` of `contentType`.
    func response(
        _ head: HTTPRequestHead, _ status: HTTPStatus, contentType: String, body: [UInt8]
    )
        -> HTTPResponse
    {
        HTTPResponse(
            status: status, headers: ["Content-Type": contentType], body: body, keepAlive: head.keepAlive,
            requestVersion: head.version, date: date())
    }

    /// The `Date` header value, formatted once a second.
    func date() -> String {
        let second = time(nil)
        if cachedDate.second != second {
            cachedDate = (second, HTTPDate.imfFixdate(secondsSinceEpoch: Int64(second)))
        }
        return cachedDate.text
    }

    private func checkDrained() {
        if let onDrained, !hasWorkInFlight {
            self.onDrained = nil
            onDrained()
        }
    }

    private static func landingPage(telemetryPath: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><title>tally</title></head>
        <body>
        <h1>tally \(BuildInfo.version)</h1>
        <p>Host metrics and pushed pipeline metrics for Prometheus.</p>
        <ul>
        <li><a href="\(telemetryPath)">Metrics</a></li>
        <li><a href="/-/healthy">Health</a> and <a href="/-/ready">readiness</a></li>
        </ul>
        </body>
        </html>

        """
    }
}
