import Exposition
import HTTP1
import Logging
import MetricsCore
import MonotonicTime
import OTLP
import PushStore
import SystemIO

/// The OTLP/HTTP metrics receiver: `POST /v1/metrics` with an `ExportMetricsServiceRequest` in protobuf or JSON,
/// gzip, deflate or identity, applied to the push store.
///
/// Runs on the event loop, as pushes do: an 87 kB request of 800 points (three attributes each) costs about 4 ms of
/// CPU in a release build, during which pushes wait and a scrape waits for the store's lock. With a state file, the
/// request's protobuf form is appended to the push journal and the 200 is sent once it is durable.
final class OTLPReceiver: HTTPRouter {
    /// The largest request body, compressed or not.
    static let maxBodyBytes = 20 << 20
    static let path = "/v1/metrics"
    /// Seconds a client is asked to wait before retrying after a 503.
    static let retryAfterSeconds = 5

    private let server: HTTPServer
    private let store: PushStore
    private let persistence: PushPersistence?
    private let logger: Logger
    private let decompressor = BodyDecompressor()
    /// The protobuf form of a JSON body; reused, and released when it grew large.
    private var scratch: [UInt8] = []
    private let requests: ResponseCounter
    private let points: Counter
    private let rejectedPoints: Counter
    private let deltaGaps: Counter
    private let droppedExemplars: Counter
    private let overflowPoints: Counter
    private let reasonLabels: [OTLPRejectionReason: LabelSet]
    private var lastHTTP2Warning: MonotonicInstant?
    /// Set at shutdown: requests get 503 with `Retry-After`.
    var isStopping = false

    /// The connection configuration of the OTLP listeners: the web listener's timeouts, a 20 MiB body limit.
    static func configuration(
        _ base: HTTPConnectionStateMachine.Configuration
    ) -> HTTPConnectionStateMachine.Configuration {
        var configuration = base
        configuration.maxBodyBytes = maxBodyBytes
        return configuration
    }

    init(
        server: HTTPServer, store: PushStore, persistence: PushPersistence?, registry: MetricRegistry, logger: Logger
    ) throws(MetricsError) {
        self.server = server
        self.store = store
        self.persistence = persistence
        self.logger = logger
        requests = try ResponseCounter(
            registry: registry, name: "tally_otlp_requests_total",
            help: "OTLP export requests answered, by status code.")
        points = try registry.makeCounter(
            name: "tally_otlp_points_total", help: "OTLP data points accepted.")
        rejectedPoints = try registry.makeCounter(
            name: "tally_otlp_rejected_points_total", help: "OTLP data points refused, by reason.")
        deltaGaps = try registry.makeCounter(
            name: "tally_otlp_delta_gaps_total",
            help: "OTLP delta points whose start time did not join the previous point of their series (still added).")
        droppedExemplars = try registry.makeCounter(
            name: "tally_otlp_dropped_exemplars_total", help: "Exemplars received over OTLP, which tally does not keep."
        )
        overflowPoints = try registry.makeCounter(
            name: "tally_otlp_overflow_points_total",
            help: "OTLP data points recorded into a metric's overflow series (cardinality limit reached).")
        reasonLabels = Dictionary(
            uniqueKeysWithValues: OTLPRejectionReason.allCases.map { ($0, LabelSet([Label("reason", $0.rawValue)])) })
    }

    // MARK: Routing

    func route(_ request: HTTPRequest, on connection: HTTPConnection) {
        let head = request.head
        guard head.path == Self.path else {
            respond(
                connection, head,
                plain(head, .notFound, "not found; OTLP metrics are received at POST \(Self.path)\n"))
            return
        }
        guard head.method == .other("POST") else {
            var response = HTTPResponse.methodNotAllowed(
                allowing: [.other("POST")], keepAlive: head.keepAlive, requestVersion: head.version)
            response.date = server.date()
            respond(connection, head, response)
            return
        }
        guard let encoding = Self.encoding(contentType: head.headers["content-type"]) else {
            respond(
                connection, head,
                plain(
                    head, .unsupportedMediaType,
                    "Content-Type must be application/x-protobuf or application/json, not "
                        + "\(head.headers["content-type"] ?? "none")\n"))
            return
        }
        guard !isStopping else {
            var response = status(
                head, encoding, .serviceUnavailable, code: 14, "tally is shutting down; retry later")
            response.headers.append(name: "Retry-After", value: String(Self.retryAfterSeconds))
            respond(connection, head, response)
            return
        }
        let coding: BodyDecompressor.Coding?
        switch BodyDecompressor.coding(contentEncoding: head.headers["content-encoding"]) {
        case .success(let value): coding = value
        case .failure(let unsupported):
            respond(
                connection, head,
                status(
                    head, encoding, .unsupportedMediaType, code: 3,
                    "Content-Encoding \(unsupported.name) is not supported (use gzip, deflate or identity)"))
            return
        }
        var body = request.body
        if let coding {
            do {
                body = try decompressor.decompress(body, coding: coding, limit: Self.maxBodyBytes)
            } catch .tooLarge(let limit) {
                respond(
                    connection, head,
                    status(head, encoding, .contentTooLarge, code: 8, "the inflated body exceeds \(limit) bytes"))
                return
            } catch {
                respond(connection, head, status(head, encoding, .badRequest, code: 3, "\(error)"))
                return
            }
        }
        ingest(body, encoding: encoding, head: head, on: connection)
    }

    /// HTTP/2 on this port is a gRPC exporter (or an HTTP/2 client with prior knowledge): say what to use instead.
    func rejection(_ error: HTTPRequestError) -> HTTPResponse {
        guard error == .http2NotSupported else { return HTTPResponse(rejecting: error) }
        let now = server.loop.clock.now()
        if lastHTTP2Warning.map({ now - $0 >= .seconds(60) }) ?? true {
            lastHTTP2Warning = now
            logger.warning(
                "an HTTP/2 (gRPC) client connected to the OTLP port; tally receives OTLP over HTTP/1.1: set the exporter's protocol to http/protobuf",
                metadata: ["hint": "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"])
        }
        var response = HTTPResponse(
            status: .httpVersionNotSupported,
            message:
                "tally receives OTLP over HTTP/1.1 (OTLP/HTTP), not gRPC or HTTP/2: set the exporter's protocol to "
                + "http/protobuf (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf) and its endpoint to "
                + "http://<host>:4318\(Self.path)",
            keepAlive: false)
        response.date = server.date()
        return response
    }

    // MARK: Applying a request

    private enum Encoding {
        case protobuf
        case json

        var contentType: String {
            switch self {
            case .protobuf: "application/x-protobuf"
            case .json: "application/json"
            }
        }
    }

    /// The body's encoding from its media type (parameters ignored), or nil for one tally does not read.
    private static func encoding(contentType: String?) -> Encoding? {
        guard let contentType else { return nil }
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            .filter { $0 != " " && $0 != "\t" }.lowercased()
        switch mediaType {
        case "application/x-protobuf", "application/protobuf": return .protobuf
        case "application/json": return .json
        default: return nil
        }
    }

    private func ingest(_ body: [UInt8], encoding: Encoding, head: HTTPRequestHead, on connection: HTTPConnection) {
        let result: OTLPIngestResult
        let protobuf: [UInt8]
        do throws(OTLPDecodingError) {
            switch encoding {
            case .protobuf:
                protobuf = body
            case .json:
                try transcode(body)
                protobuf = scratch
            }
            result = try store.ingestOTLP(protobuf: protobuf)
        } catch {
            if scratch.capacity > 1 << 20 { scratch = [] }
            logger.debug("OTLP request refused", metadata: ["error": "\(error)"])
            respond(connection, head, status(head, encoding, .badRequest, code: 3, error.description))
            return
        }
        count(result)
        let response = success(head, encoding, result)
        guard let persistence, result.acceptedPoints > 0, let sequence = persistence.append(protobuf, kind: .otlp)
        else {
            if scratch.capacity > 1 << 20 { scratch = [] }
            respond(connection, head, response)
            return
        }
        if scratch.capacity > 1 << 20 { scratch = [] }
        persistence.whenDurable(through: sequence) { [weak self, weak connection] outcome in
            guard let self, let connection else { return }
            switch outcome {
            case .success:
                respond(connection, head, response)
            case .failure(let failure):
                var unavailable = status(
                    head, encoding, .serviceUnavailable, code: 14,
                    "the points were applied but could not be made durable: \(failure.description)")
                unavailable.headers.append(name: "Retry-After", value: String(Self.retryAfterSeconds))
                respond(connection, head, unavailable)
            }
        }
    }

    /// Transcodes a JSON body into ``scratch``.
    private func transcode(_ body: [UInt8]) throws(OTLPDecodingError) {
        var output = scratch
        scratch = []
        let result: Result<Void, OTLPDecodingError> = body.withUnsafeBytes { buffer in
            do throws(OTLPDecodingError) {
                try OTLPJSONDecoder().transcode(buffer, into: &output)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        scratch = output
        try result.get()
    }

    private func count(_ result: OTLPIngestResult) {
        if result.acceptedPoints > 0 { points.add(Double(result.acceptedPoints)) }
        for (reason, count) in result.rejections {
            rejectedPoints.add(Double(count), labels: reasonLabels[reason]!)
        }
        if result.deltaGaps > 0 { deltaGaps.add(Double(result.deltaGaps)) }
        if result.droppedExemplars > 0 { droppedExemplars.add(Double(result.droppedExemplars)) }
        if result.overflowPoints > 0 { overflowPoints.add(Double(result.overflowPoints)) }
    }

    // MARK: Responses

    private func respond(_ connection: HTTPConnection, _ head: HTTPRequestHead, _ response: HTTPResponse) {
        requests.count(response.status.code)
        connection.respond(response, isHead: false)
    }

    /// 200 with an `ExportMetricsServiceResponse`, carrying the refused points as a partial success.
    private func success(_ head: HTTPRequestHead, _ encoding: Encoding, _ result: OTLPIngestResult) -> HTTPResponse {
        let rejected = Int64(result.rejectedPoints)
        let message = result.firstRejection ?? ""
        let body =
            switch encoding {
            case .protobuf:
                OTLPResponse.exportMetricsServiceResponse(rejectedDataPoints: rejected, errorMessage: message)
            case .json:
                OTLPResponse.exportMetricsServiceResponseJSON(rejectedDataPoints: rejected, errorMessage: message)
            }
        return server.response(head, .ok, contentType: encoding.contentType, body: body)
    }

    /// An error with a `google.rpc.Status` body in the request's encoding.
    private func status(
        _ head: HTTPRequestHead, _ encoding: Encoding, _ httpStatus: HTTPStatus, code: Int32, _ message: String
    ) -> HTTPResponse {
        let body =
            switch encoding {
            case .protobuf: OTLPResponse.status(code: code, message: message)
            case .json: OTLPResponse.statusJSON(code: code, message: message)
            }
        return server.response(head, httpStatus, contentType: encoding.contentType, body: body)
    }

    private func plain(_ head: HTTPRequestHead, _ status: HTTPStatus, _ text: String) -> HTTPResponse {
        server.response(head, status, text: text)
    }
}
