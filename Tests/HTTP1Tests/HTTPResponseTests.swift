import HTTP1
import Testing

private func text(_ response: HTTPResponse, isHead: Bool = false) -> String {
    var buffer: [UInt8] = []
    response.serialize(into: &buffer, isHead: isHead)
    return String(decoding: buffer, as: UTF8.self)
}

@Suite struct HTTPResponseTests {
    let metrics = HTTPResponse(
        status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
        body: Array("up 1\n".utf8), date: "Sun, 06 Nov 1994 08:49:37 GMT")

    @Test func writesAGetResponse() {
        #expect(
            text(metrics)
                == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                + "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 5\r\n\r\nup 1\n")
    }

    @Test func writesAHeadResponseWithTheLengthOfTheGetBody() {
        #expect(
            text(metrics, isHead: true)
                == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                + "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 5\r\n\r\n")
    }

    @Test func writesTheHeadSeparatelyForWritev() {
        var head: [UInt8] = []
        metrics.serializeHead(into: &head)
        var whole: [UInt8] = []
        metrics.serialize(into: &whole, isHead: false)
        #expect(head + metrics.body == whole)
        var headOnly: [UInt8] = []
        metrics.serialize(into: &headOnly, isHead: true)
        #expect(head == headOnly)
    }

    @Test func appendsToWhatIsAlreadyInTheBuffer() {
        var buffer = Array("previous".utf8)
        HTTPResponse(status: .ok).serialize(into: &buffer, isHead: false)
        #expect(String(decoding: buffer, as: UTF8.self) == "previousHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    }

    @Test(arguments: [
        (true, HTTPVersion.http1_1, "Content-Length: 0\r\n\r\n"),
        (true, .http1_0, "Content-Length: 0\r\nConnection: keep-alive\r\n\r\n"),
        (false, .http1_1, "Content-Length: 0\r\nConnection: close\r\n\r\n"),
        (false, .http1_0, "Content-Length: 0\r\nConnection: close\r\n\r\n"),
    ])
    func saysWhatHappensToTheConnection(keepAlive: Bool, version: HTTPVersion, ending: String) {
        let response = HTTPResponse(status: .ok, keepAlive: keepAlive, requestVersion: version)
        #expect(text(response) == "HTTP/1.1 200 OK\r\n" + ending)
    }

    @Test(arguments: [
        (
            HTTPRequestError.headTooLarge(limit: 8192), "431 Request Header Fields Too Large",
            "request header fields too large (limit 8192 bytes)"
        ),
        (.malformedRequestLine, "400 Bad Request", "malformed request line"),
        (.malformedHeader, "400 Bad Request", "malformed header field"),
        (.obsoleteLineFolding, "400 Bad Request", "obsolete header line folding is not allowed"),
        (.invalidHost, "400 Bad Request", "an HTTP/1.1 request needs exactly one Host header field"),
        (.invalidContentLength, "400 Bad Request", "invalid Content-Length"),
        (.conflictingBodyLength, "400 Bad Request", "both Content-Length and Transfer-Encoding present"),
        (
            .versionNotSupported, "505 HTTP Version Not Supported",
            "HTTP version not supported (use HTTP/1.1 or HTTP/1.0)"
        ),
        (.http2NotSupported, "505 HTTP Version Not Supported", "HTTP/2 is not supported (use HTTP/1.1)"),
        (.bodyNotAllowed, "413 Content Too Large", "GET and HEAD requests must not have a body"),
        (.bodyTooLarge(limit: 1024), "413 Content Too Large", "request body too large (limit 1024 bytes)"),
        (
            .transferEncodingNotSupported, "413 Content Too Large",
            "request bodies with Transfer-Encoding are not accepted"
        ),
        (.headerTimeout, "408 Request Timeout", "request header timeout"),
    ])
    func writesErrorResponses(error: HTTPRequestError, statusLine: String, message: String) {
        let body = message + "\n"
        #expect(
            text(HTTPResponse(rejecting: error))
                == "HTTP/1.1 \(statusLine)\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
    }

    @Test func writesMethodNotAllowedWithAllow() {
        let response = HTTPResponse.methodNotAllowed(allowing: [.get, .head], requestVersion: .http1_0)
        #expect(
            text(response)
                == "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Allow: GET, HEAD\r\nContent-Length: 19\r\nConnection: keep-alive\r\n\r\nmethod not allowed\n")
    }

    @Test(arguments: [
        (HTTPStatus.ok, 200, "OK"), (.badRequest, 400, "Bad Request"), (.notFound, 404, "Not Found"),
        (.methodNotAllowed, 405, "Method Not Allowed"), (.requestTimeout, 408, "Request Timeout"),
        (.contentTooLarge, 413, "Content Too Large"),
        (.requestHeaderFieldsTooLarge, 431, "Request Header Fields Too Large"),
        (.internalServerError, 500, "Internal Server Error"), (.serviceUnavailable, 503, "Service Unavailable"),
        (.httpVersionNotSupported, 505, "HTTP Version Not Supported"),
    ])
    func writesStatusLines(status: HTTPStatus, code: Int, reason: String) {
        #expect(status.code == code)
        #expect(
            text(HTTPResponse(status: status, message: "m", keepAlive: false)).hasPrefix(
                "HTTP/1.1 \(code) \(reason)\r\n"))
        #expect(status.description == "\(code) \(reason)")
    }

    @Test func writesLargeContentLengths() {
        let response = HTTPResponse(status: .serviceUnavailable, body: [UInt8](repeating: 0x61, count: 1_234_567))
        var head: [UInt8] = []
        response.serializeHead(into: &head)
        #expect(String(decoding: head, as: UTF8.self).contains("\r\nContent-Length: 1234567\r\n"))
    }
}
