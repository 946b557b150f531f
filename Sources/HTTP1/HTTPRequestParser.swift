/// Reads HTTP/1.1 requests from bytes as they arrive (RFC 9112), one request at a time.
///
/// Append what was read, then call `next()` until it returns nil. The head may arrive in any pieces, one byte at a
/// time included; each line is checked as soon as it is complete, and bytes that can never appear in a head (NUL
/// and other controls) are refused as soon as they arrive. Lines may end in CRLF or a bare LF (RFC 9112 §2.2), and
/// empty lines before a request line are skipped.
///
/// A GET or HEAD with a body is refused (413). Another method may carry a Content-Length body up to
/// `maxBodyBytes`, which `next()` hands out with the head once all of it has arrived; the server answers what it
/// does not serve with 405 and keeps the connection. Chunked bodies are refused (413).
///
/// After `next()` throws, the parser stays failed: it throws the same error again and drops further input.
public struct HTTPRequestParser: Sendable {
    /// What the parser is waiting for.
    private enum State: Sendable {
        /// The request line; earlier empty lines are skipped.
        case requestLine
        /// Header lines, until the empty line that ends the head.
        case headerLines(PartialHead)
        /// The body, `length` bytes from `scanned`; the request is returned once all of it is buffered.
        case body(HTTPRequestHead, length: Int)
    }

    /// A head whose header section has not ended yet, with what the framing rules need to know.
    private struct PartialHead: Sendable {
        var method: HTTPMethod
        var target: String
        var version: HTTPVersion
        var headers = HTTPHeaders()
        var contentLength: Int?
        var hasTransferEncoding = false
        var hostFieldCount = 0
    }

    /// The longest head accepted: request line, header lines and the final empty line, line ends included.
    public let maxHeadBytes: Int
    /// The longest body accepted on methods other than GET and HEAD.
    public let maxBodyBytes: Int
    /// The largest body the buffer grows to hold ahead of time; a longer body grows it as it arrives.
    private static let bodyReservation = 1 << 20

    private var buffer: [UInt8] = []
    /// The first byte of the request being read; bytes before it belong to requests already returned.
    private var requestStart = 0
    /// The first byte of the line being read.
    private var lineStart = 0
    /// The first byte not looked at yet.
    private var scanned = 0
    private var state = State.requestLine
    private var failure: HTTPRequestError?

    /// Limits above this are lowered to it, so index arithmetic cannot overflow.
    private static let largestLimit = 1 << 30

    /// A parser refusing heads longer than `maxHeadBytes` (431) and bodies longer than `maxBodyBytes` (413).
    public init(maxHeadBytes: Int = 8192, maxBodyBytes: Int = 1024) {
        self.maxHeadBytes = min(max(maxHeadBytes, 1), Self.largestLimit)
        self.maxBodyBytes = min(max(maxBodyBytes, 0), Self.largestLimit)
    }

    /// The number of bytes held that belong to requests not returned yet.
    public var bufferedByteCount: Int { buffer.count - requestStart }

    /// Adds bytes read from the connection. Ignored after a failure.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        dropReturnedRequests()
        buffer.append(contentsOf: bytes)
    }

    /// Adds bytes read from the connection. Ignored after a failure.
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete request, or nil when more bytes are needed.
    public mutating func next() throws(HTTPRequestError) -> HTTPRequest? {
        if let failure { throw failure }
        do {
            return try parseNext()
        } catch {
            failure = error
            buffer = []
            requestStart = 0
            lineStart = 0
            scanned = 0
            throw error
        }
    }

    /// Removes the bytes of requests already returned, so the buffer holds at most one request plus one read.
    private mutating func dropReturnedRequests() {
        guard requestStart > 0 else { return }
        if requestStart == buffer.count {
            // Keep a small buffer for the next request, but give a large one back: idle connections stay cheap.
            buffer.removeAll(keepingCapacity: buffer.capacity <= 4096)
        } else {
            buffer.removeSubrange(0..<requestStart)
        }
        lineStart -= requestStart
        scanned -= requestStart
        requestStart = 0
    }

    private mutating func parseNext() throws(HTTPRequestError) -> HTTPRequest? {
        while true {
            switch state {
            case .body(let head, let length):
                guard buffer.count - scanned >= length else { return nil }
                let body = Array(buffer[scanned..<(scanned + length)])
                scanned += length
                return finish(head, body: body)
            case .requestLine, .headerLines:
                guard let line = try nextLine() else { return nil }
                if let request = try process(line) {
                    return request
                }
            }
        }
    }

    /// The range of the next complete line without its line end, or nil when it has not arrived yet. Throws when
    /// a forbidden control byte arrives or the head grows past the limit without ending.
    private mutating func nextLine() throws(HTTPRequestError) -> Range<Int>? {
        let end = min(buffer.count, requestStart + maxHeadBytes)
        enum Scan { case lineFeed(Int), forbidden, incomplete }
        let scan = buffer.withUnsafeBufferPointer { bytes -> Scan in
            var index = scanned
            while index < end {
                let byte = bytes[index]
                if byte == ASCII.lineFeed { return .lineFeed(index) }
                if ASCII.isForbiddenInHead(byte) { return .forbidden }
                index += 1
            }
            return .incomplete
        }
        switch scan {
        case .lineFeed(let index):
            var lineEnd = index
            if lineEnd > lineStart, buffer[lineEnd - 1] == ASCII.carriageReturn {
                lineEnd -= 1
            }
            let line = lineStart..<lineEnd
            scanned = index + 1
            lineStart = scanned
            return line
        case .forbidden:
            if case .requestLine = state { throw .malformedRequestLine }
            throw .malformedHeader
        case .incomplete:
            scanned = end
            if end - requestStart >= maxHeadBytes { throw .headTooLarge(limit: maxHeadBytes) }
            return nil
        }
    }

    /// Takes one complete head line; returns the request when the line completes one without a body.
    private mutating func process(_ line: Range<Int>) throws(HTTPRequestError) -> HTTPRequest? {
        switch state {
        case .requestLine:
            guard !line.isEmpty else { return nil }
            let (method, target, version) = try buffer.withUnsafeBufferPointer {
                (bytes) throws(HTTPRequestError) -> (HTTPMethod, String, HTTPVersion) in
                try Self.parseRequestLine(bytes[line])
            }
            state = .headerLines(PartialHead(method: method, target: target, version: version))
            return nil
        case .headerLines(var partial):
            guard !line.isEmpty else { return try endHead(partial) }
            // Leave `partial` the only owner of its header storage, so appending does not copy it.
            state = .requestLine
            try buffer.withUnsafeBufferPointer { (bytes) throws(HTTPRequestError) in
                try Self.parseHeaderLine(bytes[line], into: &partial)
            }
            state = .headerLines(partial)
            return nil
        case .body:
            return nil
        }
    }

    /// Applies the Host and message framing rules (RFC 9112 §3.2, §6) once the head is complete.
    private mutating func endHead(_ partial: PartialHead) throws(HTTPRequestError) -> HTTPRequest? {
        if partial.hostFieldCount > 1 || (partial.version == .http1_1 && partial.hostFieldCount == 0) {
            throw .invalidHost
        }
        if partial.contentLength != nil && partial.hasTransferEncoding { throw .conflictingBodyLength }
        let bodyLength = partial.contentLength ?? 0
        switch partial.method {
        case .get, .head:
            if partial.hasTransferEncoding || bodyLength > 0 { throw .bodyNotAllowed }
        case .other:
            if partial.hasTransferEncoding { throw .transferEncodingNotSupported }
            if bodyLength > maxBodyBytes { throw .bodyTooLarge(limit: maxBodyBytes) }
        }
        let head = HTTPRequestHead(
            method: partial.method, target: partial.target, version: partial.version, headers: partial.headers)
        guard bodyLength == 0 else {
            buffer.reserveCapacity(scanned + min(bodyLength, Self.bodyReservation))
            state = .body(head, length: bodyLength)
            return nil
        }
        return finish(head, body: [])
    }

    /// Marks the request as read and gets ready for the next one.
    private mutating func finish(_ head: HTTPRequestHead, body: [UInt8]) -> HTTPRequest {
        requestStart = scanned
        lineStart = scanned
        state = .requestLine
        return HTTPRequest(head: head, body: body)
    }

    /// `method SP request-target SP HTTP-version` (RFC 9112 §3): the method a token, the target printable ASCII
    /// without spaces, the version `HTTP/` digit `.` digit, of which only 1.0 and 1.1 are supported.
    private static func parseRequestLine(
        _ line: UnsafeBufferPointer<UInt8>.SubSequence
    ) throws(HTTPRequestError) -> (HTTPMethod, String, HTTPVersion) {
        var index = line.startIndex
        while index < line.endIndex, ASCII.isTokenCharacter(line[index]) { index += 1 }
        guard index > line.startIndex, index < line.endIndex, line[index] == ASCII.space else {
            throw .malformedRequestLine
        }
        let method = Self.method(line[line.startIndex..<index])
        let targetStart = index + 1
        index = targetStart
        while index < line.endIndex, line[index] > ASCII.space, line[index] < ASCII.delete { index += 1 }
        guard index > targetStart, index < line.endIndex, line[index] == ASCII.space else {
            throw .malformedRequestLine
        }
        let target = String(decoding: line[targetStart..<index], as: UTF8.self)
        let version = try Self.version(line[(index + 1)...])
        return (method, target, version)
    }

    private static func method(_ token: UnsafeBufferPointer<UInt8>.SubSequence) -> HTTPMethod {
        if token.elementsEqual("GET".utf8) { return .get }
        if token.elementsEqual("HEAD".utf8) { return .head }
        return .other(String(decoding: token, as: UTF8.self))
    }

    private static func version(
        _ bytes: UnsafeBufferPointer<UInt8>.SubSequence
    ) throws(HTTPRequestError) -> HTTPVersion {
        guard bytes.count == 8, bytes.starts(with: "HTTP/".utf8) else { throw .malformedRequestLine }
        let major = bytes[bytes.startIndex + 5]
        let period = bytes[bytes.startIndex + 6]
        let minor = bytes[bytes.startIndex + 7]
        guard ASCII.isDigit(major), period == ASCII.period, ASCII.isDigit(minor) else {
            throw .malformedRequestLine
        }
        switch (major, minor) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http1_1
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http1_0
        case (UInt8(ascii: "2"), _): throw .http2NotSupported
        default: throw .versionNotSupported
        }
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5): the name a token directly followed by the colon, the
    /// value without CR (other controls were refused on arrival). Records the fields that decide framing.
    private static func parseHeaderLine(
        _ line: UnsafeBufferPointer<UInt8>.SubSequence, into head: inout PartialHead
    ) throws(HTTPRequestError) {
        guard let first = line.first else { return }
        if ASCII.isWhitespace(first) { throw .obsoleteLineFolding }
        var index = line.startIndex
        while index < line.endIndex, ASCII.isTokenCharacter(line[index]) { index += 1 }
        guard index > line.startIndex, index < line.endIndex, line[index] == ASCII.colon else {
            throw .malformedHeader
        }
        let name = line[line.startIndex..<index]
        var valueStart = index + 1
        var valueEnd = line.endIndex
        while valueStart < valueEnd, ASCII.isWhitespace(line[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart, ASCII.isWhitespace(line[valueEnd - 1]) { valueEnd -= 1 }
        let value = line[valueStart..<valueEnd]
        guard !value.contains(ASCII.carriageReturn) else { throw .malformedHeader }

        if ASCII.equalsIgnoringCase(name, "content-length") {
            let length = try Self.contentLength(value)
            if let previous = head.contentLength, previous != length { throw .invalidContentLength }
            head.contentLength = length
        } else if ASCII.equalsIgnoringCase(name, "transfer-encoding") {
            head.hasTransferEncoding = true
        } else if ASCII.equalsIgnoringCase(name, "host") {
            head.hostFieldCount += 1
        }
        head.headers.append(name: name, value: value)
    }

    /// A Content-Length value: `1*DIGIT`, or a comma-separated list of one repeated value (RFC 9110 §8.6).
    private static func contentLength(
        _ value: UnsafeBufferPointer<UInt8>.SubSequence
    ) throws(HTTPRequestError) -> Int {
        var length: Int?
        for element in value.split(separator: ASCII.comma, omittingEmptySubsequences: false) {
            var digits = element[...]
            while let first = digits.first, ASCII.isWhitespace(first) { digits = digits.dropFirst() }
            while let last = digits.last, ASCII.isWhitespace(last) { digits = digits.dropLast() }
            guard !digits.isEmpty else { throw .invalidContentLength }
            var number = 0
            for digit in digits {
                guard ASCII.isDigit(digit) else { throw .invalidContentLength }
                let (shifted, overflowMultiply) = number.multipliedReportingOverflow(by: 10)
                let (sum, overflowAdd) = shifted.addingReportingOverflow(Int(digit - ASCII.zero))
                guard !overflowMultiply, !overflowAdd else { throw .invalidContentLength }
                number = sum
            }
            if let length, length != number { throw .invalidContentLength }
            length = number
        }
        guard let length else { throw .invalidContentLength }
        return length
    }
}
