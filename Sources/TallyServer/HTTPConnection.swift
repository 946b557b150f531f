import EventLoop
import Glibc
import HTTP1

/// One HTTP client connection on the event loop: bytes in through the HTTP1 state machine, responses out through a
/// non-blocking write queue, one timer for whatever deadline the state machine has next.
final class HTTPConnection: EventHandler, TimerHandler {
    private var socket: FileDescriptor?
    private var machine: HTTPConnectionStateMachine
    private unowned let server: HTTPServer
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var timer: TimerID?

    /// Accepted past the connection limit: its request is answered 503 and the connection closed.
    let isOverLimit: Bool

    init(
        socket: consuming FileDescriptor, server: HTTPServer, configuration: HTTPConnectionStateMachine.Configuration,
        isOverLimit: Bool
    ) {
        self.isOverLimit = isOverLimit
        self.socket = Optional(socket)
        self.server = server
        self.machine = HTTPConnectionStateMachine(configuration: configuration, now: Self.now())
    }

    /// Whether the connection waits for nothing but a next request.
    var isIdle: Bool { machine.isIdle && output.isEmpty }

    /// When the connection's current deadline falls; the idle connection with the earliest one is the longest idle.
    var nextDeadline: HTTP1.MonotonicInstant? { machine.nextDeadline }

    var isOpen: Bool { socket != nil }

    /// Starts reading.
    func start() throws(SystemError) {
        switch socket {
        case .some(let socket): try server.loop.register(socket, interest: .input, handler: self)
        case .none: return
        }
        scheduleDeadline()
    }

    func handle(events: EpollEvents) {
        if events.contains(.output) { flush() }
        if !events.isDisjoint(with: [.input, .hangup, .error, .readHangup]) { readAvailable() }
    }

    func timerFired(_ timer: TimerID) {
        self.timer = nil
        perform(machine.checkTimeouts(now: Self.now()))
        scheduleDeadline()
    }

    /// Answers the request being handled.
    func respond(_ response: HTTPResponse, isHead: Bool) {
        guard isOpen else { return }
        server.countResponse(response.status.code)
        response.serialize(into: &output, isHead: isHead)
        perform(machine.responseQueued(keepAlive: response.keepAlive, now: Self.now()))
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
                result = try read(into: buffer)
            } catch {
                close()
                return
            }
            guard case .processed(let count) = result else { break }
            if count == 0 {
                perform(machine.peerClosedRead())
                break
            }
            perform(machine.received(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), now: Self.now()))
        }
        updateInterest()
        scheduleDeadline()
    }

    private func perform(_ action: HTTPConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .dispatch(let head):
            server.route(head, on: self)
        case .respondAndClose(let error):
            let response = HTTPResponse(rejecting: error)
            server.countResponse(response.status.code)
            response.serialize(into: &output, isHead: false)
            flush()
        case .close:
            close()
        }
    }

    private func flush() {
        guard isOpen else { return }
        while outputOffset < output.count {
            let result: IOResult<Int>
            do {
                result = try writePendingOutput()
            } catch {
                close()
                return
            }
            guard case .processed(let count) = result else { break }
            outputOffset += count
        }
        if outputOffset == output.count, !output.isEmpty {
            output.removeAll(keepingCapacity: output.capacity <= 1 << 20)
            outputOffset = 0
            // After the machine's own error responses this answers `.close`.
            perform(machine.writeCompleted(now: Self.now()))
        }
        updateInterest()
        scheduleDeadline()
    }

    private func updateInterest() {
        var interest: EpollEvents = []
        if machine.wantsToRead { interest.insert(.input) }
        if outputOffset < output.count { interest.insert(.output) }
        switch socket {
        case .some(let socket): try? server.loop.setInterest(interest, for: socket)
        case .none: break
        }
    }

    private func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        switch socket {
        case .some(let socket): try socket.read(into: buffer)
        case .none: .processed(0)
        }
    }

    private func writePendingOutput() throws(SystemError) -> IOResult<Int> {
        let offset = outputOffset
        let result = output.withUnsafeBytes { bytes -> Result<IOResult<Int>, SystemError> in
            switch socket {
            case .some(let socket):
                Result { () throws(SystemError) in try socket.write(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                }
            case .none: .success(.processed(0))
            }
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
        let instant = LoopClock.deadline(nanoseconds: deadline.nanoseconds)
        if let timer, server.loop.reschedule(timer, at: instant) { return }
        timer = server.loop.schedule(at: instant, handler: self)
    }

    static func now() -> HTTP1.MonotonicInstant {
        HTTP1.MonotonicInstant(nanoseconds: LoopClock.nanoseconds())
    }
}
