import HTTP1
import Testing

/// What a parser made of some input: the heads and bodies it returned, then either an error or a wait for more bytes.
private struct ParseOutcome: Equatable, CustomStringConvertible {
    var heads: [HTTPRequestHead] = []
    var bodies: [[UInt8]] = []
    var error: HTTPRequestError?

    var description: String {
        "heads: \(heads.map { "\($0.method) \($0.target)" }), error: \(error.map { "\($0)" } ?? "none")"
    }
}

/// Feeds `bytes` to a new parser in pieces of `chunkSize` bytes, calling `next()` after each piece.
private func parse(_ bytes: [UInt8], chunkSize: Int = .max, maxBodyBytes: Int = 1024) -> ParseOutcome {
    var parser = HTTPRequestParser(maxHeadBytes: 8192, maxBodyBytes: maxBodyBytes)
    var outcome = ParseOutcome()
    var offset = 0
    repeat {
        let end = offset + min(chunkSize, bytes.count - offset)
        parser.append(Array(bytes[offset..<end]))
        offset = end
        do {
            while let request = try parser.next() {
                outcome.heads.append(request.head)
                outcome.bodies.append(request.body)
            }
        } catch {
            outcome.error = error
            return outcome
        }
    } while offset < bytes.count
    return outcome
}

private func parse(_ text: String, chunkSize: Int = .max) -> ParseOutcome {
    parse(Array(text.utf8), chunkSize: chunkSize)
}

/// A request head of exactly `size` bytes ending in CRLF CRLF, padded with one long header value.
private func head(ofSize size: Int) -> [UInt8] {
    let prefix = Array("GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ".utf8)
    let suffix = Array("\r\n\r\n".utf8)
    return prefix + [UInt8](repeating: UInt8(ascii: "p"), count: size - prefix.count - suffix.count) + suffix
}

struct ValidRequestCase: CustomTestStringConvertible, Sendable {
    var name: String
    var input: String
    var method: HTTPMethod
    var target: String
    var path: String
    var query: String?
    var version: HTTPVersion = .http1_1
    var keepAlive = true
    var headers: [(String, String?)] = []

    var testDescription: String { name }
}

struct MalformedRequestCase: CustomTestStringConvertible, Sendable {
    var name: String
    var input: [UInt8]
    var error: HTTPRequestError
    var status: Int

    init(_ name: String, _ input: String, _ error: HTTPRequestError, _ status: Int) {
        self.init(name, Array(input.utf8), error, status)
    }

    init(_ name: String, _ input: [UInt8], _ error: HTTPRequestError, _ status: Int) {
        self.name = name
        self.input = input
        self.error = error
        self.status = status
    }

    var testDescription: String { name }
}

@Suite struct HTTPRequestParserTests {
    static let validCases: [ValidRequestCase] = [
        ValidRequestCase(
            name: "Prometheus scrape",
            input: "GET /metrics HTTP/1.1\r\nHost: localhost:9479\r\nUser-Agent: "
                + "Prometheus/3.0\r\nAccept: text/plain;version=0.0.4\r\nAccept-Encoding: gzip\r\n\r\n",
            method: .get, target: "/metrics", path: "/metrics",
            headers: [("host", "localhost:9479"), ("ACCEPT-ENCODING", "gzip"), ("Connection", nil)]),
        ValidRequestCase(
            name: "HEAD with query", input: "HEAD /metrics?name[]=node_cpu&x= HTTP/1.1\r\nHost: a\r\n\r\n",
            method: .head, target: "/metrics?name[]=node_cpu&x=", path: "/metrics", query: "name[]=node_cpu&x="),
        ValidRequestCase(
            name: "empty query", input: "GET /-/healthy? HTTP/1.1\r\nHost: a\r\n\r\n",
            method: .get, target: "/-/healthy?", path: "/-/healthy", query: ""),
        ValidRequestCase(
            name: "absolute form", input: "GET http://localhost:9479/metrics?a=1 HTTP/1.1\r\nHost: localhost\r\n\r\n",
            method: .get, target: "http://localhost:9479/metrics?a=1", path: "/metrics", query: "a=1"),
        ValidRequestCase(
            name: "absolute form without path", input: "GET HTTPS://h:1 HTTP/1.1\r\nHost: h\r\n\r\n",
            method: .get, target: "HTTPS://h:1", path: "/"),
        ValidRequestCase(
            name: "absolute form with query but no path", input: "GET http://h?q HTTP/1.1\r\nHost: h\r\n\r\n",
            method: .get, target: "http://h?q", path: "/", query: "q"),
        ValidRequestCase(
            name: "asterisk form", input: "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
            method: .other("OPTIONS"), target: "*", path: "*"),
        ValidRequestCase(
            name: "methods are case-sensitive", input: "get / HTTP/1.1\r\nHost: h\r\n\r\n",
            method: .other("get"), target: "/", path: "/"),
        ValidRequestCase(
            name: "bare LF line ends", input: "GET / HTTP/1.1\nHost: a\nX-A: 1\n\n",
            method: .get, target: "/", path: "/", headers: [("x-a", "1")]),
        ValidRequestCase(
            name: "mixed line ends", input: "GET / HTTP/1.1\r\nHost: a\n\r\n",
            method: .get, target: "/", path: "/", headers: [("Host", "a")]),
        ValidRequestCase(
            name: "empty lines before the request line", input: "\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
            method: .get, target: "/", path: "/"),
        ValidRequestCase(
            name: "optional whitespace and tabs",
            input: "GET / HTTP/1.1\r\nHost:\t a \t\r\nX-Empty:\r\n"
                + "X-Inner: a \t b\r\nX-Spaces:    \r\n\r\n",
            method: .get, target: "/", path: "/",
            headers: [("host", "a"), ("x-empty", ""), ("x-inner", "a \t b"), ("x-spaces", "")]),
        ValidRequestCase(
            name: "case-insensitive names, repeated fields combined",
            input: "GET / HTTP/1.1\r\nhOsT: a\r\nAccept: text/plain\r\naccept: */*\r\n\r\n",
            method: .get, target: "/", path: "/", headers: [("Host", "a"), ("ACCEPT", "text/plain, */*")]),
        ValidRequestCase(
            name: "obs-text in a value", input: "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\u{E9}\r\n\r\n",
            method: .get, target: "/", path: "/", headers: [("x-name", "caf\u{E9}")]),
        ValidRequestCase(
            name: "HTTP/1.1 Connection: close", input: "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            method: .get, target: "/", path: "/", keepAlive: false),
        ValidRequestCase(
            name: "HTTP/1.1 close in a list, any case",
            input: "GET / HTTP/1.1\r\nHost: a\r\nConnection: TE\r\nConnection: upgrade , CLOSE\r\n\r\n",
            method: .get, target: "/", path: "/", keepAlive: false),
        ValidRequestCase(
            name: "HTTP/1.1 keep-alive by default", input: "GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n",
            method: .get, target: "/", path: "/", keepAlive: true),
        ValidRequestCase(
            name: "HTTP/1.0 closes by default, Host optional", input: "GET / HTTP/1.0\r\n\r\n",
            method: .get, target: "/", path: "/", version: .http1_0, keepAlive: false),
        ValidRequestCase(
            name: "HTTP/1.0 keep-alive", input: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
            method: .get, target: "/", path: "/", version: .http1_0, keepAlive: true),
        ValidRequestCase(
            name: "HTTP/1.0 keep-alive and close", input: "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
            method: .get, target: "/", path: "/", version: .http1_0, keepAlive: false),
        ValidRequestCase(
            name: "GET with Content-Length 0", input: "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
            method: .get, target: "/", path: "/"),
        ValidRequestCase(
            name: "POST body handed out",
            input: "POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
            method: .other("POST"), target: "/metrics", path: "/metrics", headers: [("content-length", "5")]),
        ValidRequestCase(
            name: "POST with a repeated Content-Length",
            input: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\nContent-Length: 003\r\n\r\nabc",
            method: .other("POST"), target: "/", path: "/"),
        ValidRequestCase(
            name: "POST body at the limit",
            input: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\n\r\n"
                + String(repeating: "b", count: 1024),
            method: .other("POST"), target: "/", path: "/"),
    ]

    @Test(arguments: validCases)
    func parsesValidRequest(_ testCase: ValidRequestCase) throws {
        let outcome = parse(testCase.input)
        #expect(outcome.error == nil)
        let head = try #require(outcome.heads.count == 1 ? outcome.heads.first : nil)
        #expect(head.method == testCase.method)
        #expect(head.target == testCase.target)
        #expect(head.path == testCase.path)
        #expect(head.query == testCase.query)
        #expect(head.version == testCase.version)
        #expect(head.keepAlive == testCase.keepAlive)
        for (name, value) in testCase.headers {
            #expect(head.headers[name] == value, "header \(name)")
        }
    }

    @Test(arguments: validCases)
    func byteAtATimeMatchesAllAtOnce(_ testCase: ValidRequestCase) {
        let whole = parse(testCase.input)
        for chunkSize in [1, 2, 7] {
            #expect(parse(testCase.input, chunkSize: chunkSize) == whole, "chunk size \(chunkSize)")
        }
    }

    static let malformedCases: [MalformedRequestCase] = [
        MalformedRequestCase(
            "two spaces after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase(
            "two spaces after target", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("leading space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("tab separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("method not a token", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("no target", "GET HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("method only", "GET\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("control in target", "GET /\u{1} HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("DEL in target", "GET /\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase(
            "non-ASCII target", "GET /caf\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("bare CR", "GET / HTTP/1.1\rHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("version without minor", "GET / HTTP/1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("two-digit major", "GET / HTTP/11.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("version suffix", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("version letters", "GET / HTTP/a.b\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase("HTTP/0.9 simple request", "GET /\r\n\r\n", .malformedRequestLine, 400),
        MalformedRequestCase(
            "TLS client hello", [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03],
            .malformedRequestLine, 400),
        MalformedRequestCase("NUL before any line end", [0x47, 0x45, 0x54, 0x00], .malformedRequestLine, 400),
        MalformedRequestCase("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", .http2NotSupported, 505),
        MalformedRequestCase("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", .versionNotSupported, 505),
        MalformedRequestCase("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", .versionNotSupported, 505),
        MalformedRequestCase("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .http2NotSupported, 505),
        MalformedRequestCase("header without colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", .malformedHeader, 400),
        MalformedRequestCase("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", .malformedHeader, 400),
        MalformedRequestCase("tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", .malformedHeader, 400),
        MalformedRequestCase("empty name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", .malformedHeader, 400),
        MalformedRequestCase("space in name", "GET / HTTP/1.1\r\nHost: a\r\nX Y: b\r\n\r\n", .malformedHeader, 400),
        MalformedRequestCase(
            "separator in name", "GET / HTTP/1.1\r\nHost: a\r\nX(Y): b\r\n\r\n", .malformedHeader, 400),
        MalformedRequestCase(
            "non-ASCII name", "GET / HTTP/1.1\r\nHost: a\r\nX-\u{E9}: b\r\n\r\n", .malformedHeader, 400),
        MalformedRequestCase("NUL in value", "GET / HTTP/1.1\r\nHost: a\u{0}b\r\n\r\n", .malformedHeader, 400),
        MalformedRequestCase("escape in value", "GET / HTTP/1.1\r\nHost: a\u{1B}b\r\n\r\n", .malformedHeader, 400),
        MalformedRequestCase("DEL in value", "GET / HTTP/1.1\r\nHost: a\u{7F}\r\n\r\n", .malformedHeader, 400),
        MalformedRequestCase("bare CR in value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", .malformedHeader, 400),
        MalformedRequestCase("CR CR LF", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", .malformedHeader, 400),
        MalformedRequestCase(
            "obsolete line folding", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", .obsoleteLineFolding, 400),
        MalformedRequestCase(
            "folding with a tab", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", .obsoleteLineFolding, 400),
        MalformedRequestCase(
            "whitespace before the first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", .obsoleteLineFolding, 400),
        MalformedRequestCase("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", .invalidHost, 400),
        MalformedRequestCase("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", .invalidHost, 400),
        MalformedRequestCase(
            "two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", .invalidHost, 400),
        MalformedRequestCase(
            "Content-Length not a number", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
            .invalidContentLength, 400),
        MalformedRequestCase(
            "Content-Length negative", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
            .invalidContentLength, 400),
        MalformedRequestCase(
            "Content-Length with plus", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n",
            .invalidContentLength, 400),
        MalformedRequestCase(
            "Content-Length empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", .invalidContentLength, 400),
        MalformedRequestCase(
            "Content-Length inner space", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n",
            .invalidContentLength, 400),
        MalformedRequestCase(
            "Content-Length hexadecimal", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n",
            .invalidContentLength, 400),
        MalformedRequestCase(
            "Content-Length overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            .invalidContentLength, 400),
        MalformedRequestCase(
            "Content-Length just over Int.max",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n",
            .invalidContentLength, 400),
        MalformedRequestCase(
            "Content-Length list of different values", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n",
            .invalidContentLength, 400),
        MalformedRequestCase(
            "Content-Length list with an empty element", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,\r\n\r\n",
            .invalidContentLength, 400),
        MalformedRequestCase(
            "Content-Length repeated with different values",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", .invalidContentLength, 400
        ),
        MalformedRequestCase(
            "bad Content-Length on GET", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
            .invalidContentLength, 400),
        MalformedRequestCase(
            "Content-Length and Transfer-Encoding",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            .conflictingBodyLength, 400),
        MalformedRequestCase(
            "GET with a body", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx", .bodyNotAllowed, 413),
        MalformedRequestCase(
            "HEAD with a body", "HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n", .bodyNotAllowed, 413),
        MalformedRequestCase(
            "GET chunked", "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .bodyNotAllowed, 413),
        MalformedRequestCase(
            "GET with any Transfer-Encoding", "GET / HTTP/1.0\r\nTransfer-Encoding: identity\r\n\r\n",
            .bodyNotAllowed, 413),
        MalformedRequestCase(
            "POST over the body limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n",
            .bodyTooLarge(limit: 1024), 413),
        MalformedRequestCase(
            "POST chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            .transferEncodingNotSupported, 413),
        MalformedRequestCase("head of 8193 bytes", head(ofSize: 8193), .headTooLarge(limit: 8192), 431),
        MalformedRequestCase(
            "8 KiB of empty lines", [UInt8](repeating: UInt8(ascii: "\n"), count: 8192), .headTooLarge(limit: 8192), 431
        ),
    ]

    @Test(arguments: malformedCases)
    func refusesMalformedRequest(_ testCase: MalformedRequestCase) {
        let outcome = parse(testCase.input)
        #expect(outcome.heads.isEmpty)
        #expect(outcome.error == testCase.error)
        #expect(outcome.error?.status.code == testCase.status)
    }

    @Test(arguments: malformedCases)
    func refusesMalformedRequestByteAtATime(_ testCase: MalformedRequestCase) {
        #expect(parse(testCase.input, chunkSize: 1) == ParseOutcome(error: testCase.error))
    }

    @Test func acceptsHeadOfExactlyTheLimit() throws {
        let bytes = head(ofSize: 8192)
        #expect(bytes.count == 8192)
        let outcome = parse(bytes)
        #expect(outcome.error == nil)
        #expect(try #require(outcome.heads.first).headers["x-pad"]?.utf8.count == 8192 - 36)
        #expect(parse(bytes, chunkSize: 1) == outcome)
    }

    @Test func acceptsHeadOfExactlyTheLimitWithBareLineFeeds() {
        var bytes = Array("GET / HTTP/1.1\nHost: a\nX-Pad: ".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "p"), count: 8192 - bytes.count - 2) + Array("\n\n".utf8)
        #expect(parse(bytes).heads.count == 1)
        bytes.insert(UInt8(ascii: "p"), at: 40)
        #expect(parse(bytes) == ParseOutcome(error: .headTooLarge(limit: 8192)))
    }

    @Test func refusesOversizedHeadWithoutWaitingForItsEnd() throws {
        var parser = HTTPRequestParser()
        parser.append(Array(head(ofSize: 9000).prefix(8191)))
        #expect(try parser.next() == nil)
        parser.append([UInt8(ascii: "p")])
        #expect(throws: HTTPRequestError.headTooLarge(limit: 8192)) { try parser.next() }
    }

    @Test func honoursAConfiguredHeadLimit() throws {
        var parser = HTTPRequestParser(maxHeadBytes: 27)
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(try parser.next()?.head.path == "/")
        parser.append(Array("GET / HTTP/1.1\r\nHost: ab\r\n\r\n".utf8))
        #expect(throws: HTTPRequestError.headTooLarge(limit: 27)) { try parser.next() }
    }

    @Test func honoursAConfiguredBodyLimit() {
        let request = Array("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc".utf8)
        #expect(parse(request, maxBodyBytes: 3).bodies == [Array("abc".utf8)])
        #expect(parse(request, maxBodyBytes: 2) == ParseOutcome(error: .bodyTooLarge(limit: 2)))
    }

    @Test func parsesPipelinedRequestsInOrder() {
        let input =
            "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nGET "
            + "HEAD /-/ready HTTP/1.1\r\nHost: a\r\n\r\n"
        for chunkSize in [1, 3, Int.max] {
            let outcome = parse(input, chunkSize: chunkSize)
            #expect(outcome.error == nil)
            #expect(outcome.heads.map(\.target) == ["/metrics", "/x", "/-/ready"])
            #expect(outcome.heads.map(\.method) == [.get, .other("POST"), .head])
            #expect(outcome.bodies == [[], Array("GET ".utf8), []])
        }
    }

    @Test func returnsTheHeadOnlyOnceTheBodyHasArrived() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nab".utf8))
        #expect(try parser.next() == nil)
        parser.append(Array("cdef".utf8))
        let request = try #require(try parser.next())
        #expect(request.head.method == .other("POST"))
        #expect(request.body == Array("abcdef".utf8))
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func reportsOnlyTheBytesOfUnreturnedRequests() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b".utf8))
        #expect(parser.bufferedByteCount == 33)
        _ = try parser.next()
        #expect(parser.bufferedByteCount == 6)
        #expect(try parser.next() == nil)
        #expect(parser.bufferedByteCount == 6)
    }

    @Test func staysFailedAfterAnError() {
        var parser = HTTPRequestParser()
        parser.append(Array("BAD\r\n".utf8))
        #expect(throws: HTTPRequestError.malformedRequestLine) { try parser.next() }
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(throws: HTTPRequestError.malformedRequestLine) { try parser.next() }
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func waitsForMoreWhileTheHeadIsIncomplete() throws {
        var parser = HTTPRequestParser()
        for piece in ["GE", "T / HTTP/1.1\r", "\nHost: a\r\n", "\r"] {
            parser.append(Array(piece.utf8))
            #expect(try parser.next() == nil, "after \(piece.debugDescription)")
        }
        parser.append(Array("\n".utf8))
        #expect(try parser.next()?.head.target == "/")
    }
}

/// A small deterministic random number generator, so a failing mutation can be replayed.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

@Suite struct HTTPRequestParserMutationTests {
    /// Bytes that matter to the grammar, so mutations hit interesting paths more often than uniform noise.
    static let interestingBytes: [UInt8] = Array(" \t\r\n:,/?0123456789-+GETHOSTcl".utf8) + [0x00, 0x7F, 0x80, 0xFF]

    @Test(arguments: 0..<8)
    func mutatedRequestsParseTheSameInAnyPieces(seed: UInt64) {
        var random = SplitMix64(state: seed)
        let valid = Array(
            ("GET /metrics?x=1 HTTP/1.1\r\nHost: localhost:9479\r\nAccept: text/plain\r\nConnection: keep-alive\r\n\r\n"
                + "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                + "HEAD / HTTP/1.0\r\n\r\n").utf8)
        for _ in 0..<250 {
            var mutated = valid
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = Int.random(in: 0..<mutated.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: mutated[index] = Self.interestingBytes.randomElement(using: &random) ?? 0
                case 1: mutated.remove(at: index)
                default: mutated.insert(UInt8.random(in: 0...255, using: &random), at: index)
                }
            }
            let whole = parse(mutated)
            let chunkSize = Int.random(in: 1...16, using: &random)
            #expect(parse(mutated, chunkSize: chunkSize) == whole, "\(mutated) in pieces of \(chunkSize)")
            #expect(whole.heads.count <= 3)
        }
    }
}
