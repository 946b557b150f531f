import Glibc
import HTTP1
import MonotonicTime
import SystemIO

/// One HTTP client connection on the event loop: bytes in through the HTTP1 state machine, responses out through a
/// non-blocking write queue, one timer for whatever deadline the state machine has next.
final class HTTPConnection: EventHandler, TimerHandler {
    private var socket: FileDescriptor?
    private var machine: HTTPConnectionStateMachine
    private unowned let server: HTTPServer
    /// Answers this connection's requests: the web routes, or those of another listener.
    private unowned let router: any HTTPRouter
    /// Byte chunks waiting to be written, in order: response heads and bodies as they are, so that a large scrape
    /// body is written from the buffer it was encoded in instead of being copied behind its head.
    private var output: [[UInt8]] = []
    /// How much of `output[0]` has been written.
    private var outputOffset = 0
    private var timer: TimerID?

    /// Accepted past the connection limit: its request is answered 503 and the connection closed.
    let isOverLimit: Bool

    init(
        socket: consuming FileDescriptor, server: HTTPServer, router: any HTTPRouter,
        configuration: HTTPConnectionStateMachine.Configuration, isOverLimit: Bool
    ) {
        self.router = router
        self.isOverLimit = isOverLimit
        self.socket = Optional(socket)
        self.server = server
        self.machine = HTTPConnectionStateMachine(configuration: configuration, now: server.loop.clock.now())
    }

    /// Whether the connection waits for nothing but a next request.
    var isIdle: Bool { machine.isIdle && output.isEmpty }

    private var hasPendingOutput: Bool { !output.isEmpty }

    /// When the connection's current deadline falls; the idle connection with the earliest one is the longest idle.
    var nextDeadline: MonotonicInstant? { machine.nextDeadline }

    var isOpen: Bool { socket != nil }

    /// Starts reading.
    func start() throws(SystemError) {
        try socket.register(on: server.loop, interest: .input, handler: self)
        scheduleDeadline()
    }

    func handle(events: EpollEvents) {
        if events.contains(.output) { flush() }
        if !events.isDisjoint(with: [.input, .hangup, .error, .readHangup]) { readAvailable() }
    }

    func timerFired(_ timer: TimerID) {
        self.timer = nil
        perform(machine.checkTimeouts(now: server.loop.clock.now()))
        scheduleDeadline()
    }

    /// Answers the request being handled.
    func respond(_ response: HTTPResponse, isHead: Bool) {
        guard isOpen else { return }
        server.countResponse(response.status.code)
        queue(response, isHead: isHead)
        perform(machine.responseQueued(keepAlive: response.keepAlive, now: server.loop.clock.now()))
        flush()
    }

    /// Closes the connection at once, dropping anything unsent.
    func close() {
        guard let socket = socket.take() else { return }
        if let timer {
            server.loop.cancel(timer)
            self.timer = nil
        }
        try? server.loop.deregister(socket)
        try? socket.close()
        output = []
        server.connectionClosed(self)
    }

    private func readAvailable() {
        let buffer = server.readBuffer
        while isOpen, machine.wantsToRead {
            let result: IOResult<Int>
            do {
                result = try socket.read(into: buffer)
            } catch {
                close()
                return
            }
            guard case .processed(let count) = result else { break }
            if count == 0 {
                perform(machine.peerClosedRead())
                break
            }
            perform(machine.received(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), now: server.loop.clock.now()))
        }
        updateInterest()
        scheduleDeadline()
    }

    private func perform(_ action: HTTPConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .dispatch(let request):
            guard !isOverLimit else {
                var response = server.response(request.head, .serviceUnavailable, text: "too many connections\n")
                response.keepAlive = false
                respond(response, isHead: request.head.method == .head)
                return
            }
            router.route(request, on: self)
        case .respondAndClose(let error):
            let response = router.rejection(error)
            server.countResponse(response.status.code)
            queue(response, isHead: false)
            flush()
        case .close:
            close()
        }
    }

    /// Queues a response: its head, and its body as a chunk of its own.
    private func queue(_ response: HTTPResponse, isHead: Bool) {
        var head: [UInt8] = []
        response.serializeHead(into: &head)
        output.append(head)
        if !isHead, !response.body.isEmpty { output.append(response.body) }
    }

    private func flush() {
        guard isOpen else { return }
        while !output.isEmpty {
            let result: IOResult<Int>
            do {
                result = try writePendingOutput()
            } catch {
                close()
                return
            }
            guard case .processed(var count) = result else { break }
            // Drop the chunks the write finished.
            while count > 0, let first = output.first {
                let remaining = first.count - outputOffset
                if count < remaining {
                    outputOffset += count
                    count = 0
                } else {
                    count -= remaining
                    output.removeFirst()
                    outputOffset = 0
                }
            }
        }
        if output.isEmpty {
            // After the machine's own error responses this answers `.close`.
            perform(machine.writeCompleted(now: server.loop.clock.now()))
        }
        updateInterest()
        scheduleDeadline()
    }

    private func updateInterest() {
        var interest: EpollEvents = []
        if machine.wantsToRead { interest.insert(.input) }
        if hasPendingOutput { interest.insert(.output) }
        socket.setInterest(interest, on: server.loop)
    }

    /// Writes as many queued chunks as one `writev` takes (up to 8).
    private func writePendingOutput() throws(SystemError) -> IOResult<Int> {
        let chunkCount = min(output.count, 8)
        var vectors: [iovec] = []
        vectors.reserveCapacity(chunkCount)
        return try withPinnedChunks(0, chunkCount, &vectors)
    }

    /// Builds the iovecs while every chunk's storage is pinned, then writes them.
    private func withPinnedChunks(
        _ index: Int, _ count: Int, _ vectors: inout [iovec]
    ) throws(SystemError)
        -> IOResult<Int>
    {
        guard index < count else {
            let result = vectors.withUnsafeBufferPointer { pointer -> Result<IOResult<Int>, SystemError> in
                Result { () throws(SystemError) in try socket.write(pointer) }
            }
            return try result.get()
        }
        let skip = index == 0 ? outputOffset : 0
        let result = output[index].withUnsafeBytes { bytes -> Result<IOResult<Int>, SystemError> in
            vectors.append(
                iovec(
                    iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress! + skip), iov_len: bytes.count - skip)
            )
            return Result { () throws(SystemError) in try withPinnedChunks(index + 1, count, &vectors) }
        }
        return try result.get()
    }

    private func scheduleDeadline() {
        guard isOpen, let deadline = machine.nextDeadline else {
            if let timer {
                server.loop.cancel(timer)
                self.timer = nil
            }
            return
        }
        if let timer, server.loop.reschedule(timer, at: deadline) { return }
        timer = server.loop.schedule(at: deadline, handler: self)
    }
}
