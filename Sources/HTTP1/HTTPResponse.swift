/// A response to serialize: status, header fields and the whole body (RFC 9112 §4, §6).
///
/// The writer adds `Content-Length` (always), `Date` (when given) and `Connection` (when needed); callers put
/// everything else in `headers` and must not add those three themselves.
public struct HTTPResponse: Sendable, Equatable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    /// The body a GET would get. For HEAD it still sets `Content-Length` but is not sent.
    public var body: [UInt8]
    /// Whether the connection stays open after this response; false sends `Connection: close`.
    public var keepAlive: Bool
    /// The version of the request being answered. An HTTP/1.0 client is told `Connection: keep-alive` explicitly,
    /// since keep-alive is not its default. The status line always says HTTP/1.1 (RFC 9110 §2.5).
    public var requestVersion: HTTPVersion
    /// The `Date` value, an IMF-fixdate such as `HTTPDate.imfFixdate(secondsSinceEpoch:)` makes; nil sends none.
    public var date: String?

    public init(
        status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], keepAlive: Bool = true,
        requestVersion: HTTPVersion = .http1_1, date: String? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
        self.requestVersion = requestVersion
        self.date = date
    }

    /// A `text/plain` response whose body is `message` and a newline, for errors such as 404 or 503.
    public init(status: HTTPStatus, message: String, keepAlive: Bool = true, requestVersion: HTTPVersion = .http1_1) {
        var body = Array(message.utf8)
        body.append(ASCII.lineFeed)
        self.init(
            status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: body, keepAlive: keepAlive,
            requestVersion: requestVersion)
    }

    /// The answer to a request the parser or the connection refused: its status, its description as the body,
    /// and `Connection: close`.
    public init(rejecting error: HTTPRequestError) {
        self.init(status: error.status, message: error.description, keepAlive: false)
    }

    /// 405 with the `Allow` field listing the methods the resource supports (RFC 9110 §15.5.6).
    public static func methodNotAllowed(
        allowing methods: [HTTPMethod], keepAlive: Bool = true, requestVersion: HTTPVersion = .http1_1
    ) -> HTTPResponse {
        var response = HTTPResponse(
            status: .methodNotAllowed, message: "method not allowed", keepAlive: keepAlive,
            requestVersion: requestVersion)
        response.headers.append(name: "Allow", value: methods.map(\.name).joined(separator: ", "))
        return response
    }

    /// Appends the status line and header section, final empty line included, but not the body: the server can
    /// send this and `body` as two buffers in one `writev(2)`.
    public func serializeHead(into buffer: inout [UInt8]) {
        buffer.append("HTTP/1.1 " as StaticString)
        buffer.appendDecimal(status.code)
        buffer.append(ASCII.space)
        buffer.append(status.reasonPhrase)
        buffer.appendLineEnd()
        if let date {
            buffer.append("Date: " as StaticString)
            buffer.append(date)
            buffer.appendLineEnd()
        }
        headers.forEachField { name, value in
            buffer.append(contentsOf: name)
            buffer.append(ASCII.colon)
            buffer.append(ASCII.space)
            buffer.append(contentsOf: value)
            buffer.appendLineEnd()
        }
        buffer.append("Content-Length: " as StaticString)
        buffer.appendDecimal(body.count)
        buffer.appendLineEnd()
        if !keepAlive {
            buffer.append("Connection: close\r\n" as StaticString)
        } else if requestVersion == .http1_0 {
            buffer.append("Connection: keep-alive\r\n" as StaticString)
        }
        buffer.appendLineEnd()
    }

    /// Appends the whole response; for a HEAD request (`isHead`) the head only, whose `Content-Length` is still
    /// the length of `body` (RFC 9110 §9.3.2).
    public func serialize(into buffer: inout [UInt8], isHead: Bool) {
        serializeHead(into: &buffer)
        if !isHead {
            buffer.append(contentsOf: body)
        }
    }
}
