import MonotonicTime

/// The life of one HTTP/1.1 connection, without I/O: the server reports what happened (bytes read, a response
/// queued or written, the peer's end of stream, the time) and carries out the action returned.
///
/// - Requests are handed out one at a time (`.dispatch`), in order. Requests pipelined behind it wait in the
///   buffer and are parsed only once the server has queued the response, so responses go out in request order.
/// - The header timeout runs from the connection's start for the first request, and from the first byte of each
///   later one, until its head and body are complete; a client trickling bytes gets 408 and is closed.
/// - A keep-alive connection with nothing in progress is closed silently after the idle timeout, and one whose
///   queued responses are not all written within the write timeout (a client not reading) is closed too.
/// - After a response that closes the connection, input is ignored and `.close` follows the last write.
/// - When the peer ends its side, the request in progress and any complete ones buffered behind it are still
///   answered; then the connection closes.
///
/// The server reads only while `wantsToRead` is true, which keeps the buffer under one head limit plus one read
/// while a request is being answered.
public struct HTTPConnectionStateMachine: Sendable {
    /// Limits and timeouts of one connection.
    public struct Configuration: Sendable, Equatable {
        /// The longest request head (request line, fields, final empty line); longer gets 431.
        public var maxHeadBytes: Int
        /// The longest body accepted on methods other than GET and HEAD; longer gets 413.
        public var maxBodyBytes: Int
        /// How long a request head and its body may take to arrive; then 408 and close.
        public var headerTimeout: Duration
        /// How long a keep-alive connection may wait for its next request; then it is closed.
        public var idleTimeout: Duration
        /// How long queued responses may wait to be written; then the connection is closed.
        public var writeTimeout: Duration

        public init(
            maxHeadBytes: Int = 8192, maxBodyBytes: Int = 1024, headerTimeout: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(60), writeTimeout: Duration = .seconds(60)
        ) {
            self.maxHeadBytes = maxHeadBytes
            self.maxBodyBytes = maxBodyBytes
            self.headerTimeout = headerTimeout
            self.idleTimeout = idleTimeout
            self.writeTimeout = writeTimeout
        }
    }

    /// What the server must do next.
    public enum Action: Equatable, Sendable {
        /// Nothing until the next event.
        case none
        /// Answer this request, then call `responseQueued(keepAlive:now:)`. No other request is handed out meanwhile.
        case dispatch(HTTPRequest)
        /// Queue `HTTPResponse(rejecting:)` for this error after any responses already queued, then call
        /// `writeCompleted(now:)` when everything is written; `.close` follows.
        case respondAndClose(HTTPRequestError)
        /// Close the connection now.
        case close
    }

    private enum Phase: Sendable {
        /// Waiting for the next request (or the rest of it); no request is with the server.
        case reading
        /// A request is with the server; input is buffered but not parsed.
        case dispatched
        /// The last response is queued; input is ignored and the connection closes once writing is done.
        case closingAfterWrite
        /// Done; every input is ignored.
        case closed
    }

    public let configuration: Configuration
    private var parser: HTTPRequestParser
    private var phase = Phase.reading
    /// When the header timeout of the request being read started; nil when no request is being read.
    private var requestStart: MonotonicInstant?
    /// When the connection last became idle.
    private var idleSince: MonotonicInstant
    /// When the oldest response not yet fully written was queued; nil when everything is written.
    private var writeStart: MonotonicInstant?
    private var inputEnded = false

    /// A new connection accepted at `now`; the header timeout of its first request starts now.
    public init(configuration: Configuration = Configuration(), now: MonotonicInstant) {
        self.configuration = configuration
        parser = HTTPRequestParser(maxHeadBytes: configuration.maxHeadBytes, maxBodyBytes: configuration.maxBodyBytes)
        requestStart = now
        idleSince = now
    }

    /// Whether nothing is in progress: no request being read or answered, no response being written. The server
    /// may close such a connection (the one idle the longest, see `nextDeadline`) to make room for a new one.
    public var isIdle: Bool {
        phase == .reading && requestStart == nil && writeStart == nil
    }

    /// Whether the connection is finished; the server has been told `.close`.
    public var isClosed: Bool { phase == .closed }

    /// Whether the server should read from the socket. False while a request is being answered and a head's worth
    /// of later input is already buffered, after the peer ended its side, and once closed. While closing after
    /// an error the server should keep reading: the input is dropped, and unread input would make the kernel reset
    /// the connection before the client has read the response.
    public var wantsToRead: Bool {
        guard !inputEnded else { return false }
        switch phase {
        case .reading, .closingAfterWrite: return true
        case .dispatched: return parser.bufferedByteCount < configuration.maxHeadBytes
        case .closed: return false
        }
    }

    /// The earliest instant at which `checkTimeouts(now:)` has something to do; nil when no timer runs (a request
    /// is being answered and all earlier responses are written). For an idle connection this is the moment it
    /// became idle plus the idle timeout, so the smallest one belongs to the connection idle the longest.
    public var nextDeadline: MonotonicInstant? {
        let writeDeadline = writeStart.map { $0 + configuration.writeTimeout }
        switch phase {
        case .reading:
            if let requestStart {
                let headerDeadline = requestStart + configuration.headerTimeout
                return writeDeadline.map { min($0, headerDeadline) } ?? headerDeadline
            }
            return writeDeadline ?? idleSince + configuration.idleTimeout
        case .dispatched, .closingAfterWrite:
            return writeDeadline
        case .closed:
            return nil
        }
    }

    /// Bytes read from the connection at `now`.
    public mutating func received(_ bytes: UnsafeRawBufferPointer, now: MonotonicInstant) -> Action {
        guard !bytes.isEmpty, !inputEnded else { return .none }
        switch phase {
        case .reading:
            if requestStart == nil {
                requestStart = now
            }
            parser.append(bytes)
            return nextRequest(now: now)
        case .dispatched:
            parser.append(bytes)
            return .none
        case .closingAfterWrite, .closed:
            return .none
        }
    }

    /// Bytes read from the connection at `now`.
    public mutating func received(_ bytes: [UInt8], now: MonotonicInstant) -> Action {
        bytes.withUnsafeBytes { received($0, now: now) }
    }

    /// The server has queued the response to the dispatched request. With `keepAlive` (the response did not say
    /// `Connection: close`) the next buffered request may be dispatched at once; without, the connection closes
    /// once the response is written.
    public mutating func responseQueued(keepAlive: Bool, now: MonotonicInstant) -> Action {
        assert(phase == .dispatched, "responseQueued without a dispatched request")
        guard phase == .dispatched else { return .none }
        if writeStart == nil {
            writeStart = now
        }
        guard keepAlive else {
            closeAfterWrite()
            return .none
        }
        phase = .reading
        requestStart = parser.bufferedByteCount > 0 ? now : nil
        return nextRequest(now: now)
    }

    /// Everything queued so far has been written to the socket.
    public mutating func writeCompleted(now: MonotonicInstant) -> Action {
        writeStart = nil
        switch phase {
        case .closingAfterWrite:
            phase = .closed
            return .close
        case .reading:
            if requestStart == nil {
                idleSince = now
            }
            return .none
        case .dispatched, .closed:
            return .none
        }
    }

    /// The peer has ended its side (`read` returned 0). A request being answered, and complete ones buffered
    /// behind it, are still answered; a partly received request is abandoned.
    public mutating func peerClosedRead() -> Action {
        guard !inputEnded else { return .none }
        inputEnded = true
        switch phase {
        case .reading:
            return closeWhenWritten()
        case .dispatched, .closingAfterWrite, .closed:
            return .none
        }
    }

    /// Applies the timeouts that have passed at `now`; call it at `nextDeadline`. Calling it early does nothing.
    public mutating func checkTimeouts(now: MonotonicInstant) -> Action {
        if let writeStart, now >= writeStart + configuration.writeTimeout, phase != .closed {
            phase = .closed
            return .close
        }
        guard phase == .reading else { return .none }
        if let requestStart {
            guard now >= requestStart + configuration.headerTimeout else { return .none }
            return reject(.headerTimeout, now: now)
        }
        if writeStart == nil, now >= idleSince + configuration.idleTimeout {
            phase = .closed
            return .close
        }
        return .none
    }

    /// Parses what is buffered: dispatches a complete request, rejects a bad one, or waits for more.
    private mutating func nextRequest(now: MonotonicInstant) -> Action {
        do {
            if let request = try parser.next() {
                phase = .dispatched
                requestStart = nil
                return .dispatch(request)
            }
        } catch {
            return reject(error, now: now)
        }
        if inputEnded {
            return closeWhenWritten()
        }
        return .none
    }

    /// Refuses the request being read; the answer is the last thing written.
    private mutating func reject(_ error: HTTPRequestError, now: MonotonicInstant) -> Action {
        if writeStart == nil {
            writeStart = now
        }
        closeAfterWrite()
        return .respondAndClose(error)
    }

    /// Closes now if nothing is left to write, or else after the last write.
    private mutating func closeWhenWritten() -> Action {
        guard writeStart != nil else {
            phase = .closed
            return .close
        }
        closeAfterWrite()
        return .none
    }

    private mutating func closeAfterWrite() {
        phase = .closingAfterWrite
        requestStart = nil
        parser = HTTPRequestParser(maxHeadBytes: configuration.maxHeadBytes, maxBodyBytes: configuration.maxBodyBytes)
    }
}

extension HTTPConnectionStateMachine: CustomStringConvertible {
    /// The phase and timers in one line, for logs and test failures, e.g.
    /// `dispatched, 35 bytes buffered, writing since 1002.000000000s`.
    public var description: String {
        var parts = ["\(phase)", "\(parser.bufferedByteCount) bytes buffered"]
        if let requestStart { parts.append("request since \(requestStart)") }
        if isIdle { parts.append("idle since \(idleSince)") }
        if let writeStart { parts.append("writing since \(writeStart)") }
        if inputEnded { parts.append("input ended") }
        return parts.joined(separator: ", ")
    }
}
