import Glibc
import PushProtocol
import SystemIO

/// The client side of `tally push`: sends StatsD lines on the stream socket, then `!sync`, and waits for tally to
/// confirm them.
///
/// Sending and reading replies interleave (poll), so a long pipe on standard input streams through without
/// buffering it whole and without a deadlock on replies to `!delete` lines. The timeout is one of inactivity: the
/// exchange fails when neither side moves for that long.
public struct PushClient {
    public let socketPath: String
    public let timeoutSeconds: Double

    public init(socketPath: String, timeoutSeconds: Double) {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
    }

    /// What tally answered.
    public struct Outcome {
        public var accepted = 0
        public var rejected = 0
        /// Refused lines as tally listed them, with the text sent when it is known.
        public var rejections: [(lineNumber: Int, reason: String, message: String, line: String?)] = []
        /// Refusals beyond those listed.
        public var unlistedRejections = 0
        /// Replies to commands among the lines (`deleted`, `error`).
        public var notes: [String] = []
        /// Why the exchange did not complete, if it did not.
        public var failure: String?

        /// Prints refusals and failures to standard error and returns the exit status: 0 all confirmed, 1 some
        /// refused, 2 no confirmation (tally unreachable or silent, or the lines not made durable).
        public func reportToStandardError() -> Int32 {
            var text = ""
            for rejection in rejections {
                let shown = rejection.line.map { " \"\($0)\"" } ?? ""
                text +=
                    "tally push: line \(rejection.lineNumber)\(shown) refused: \(rejection.reason): \(rejection.message)\n"
            }
            if unlistedRejections > 0 { text += "tally push: \(unlistedRejections) more lines refused\n" }
            for note in notes { text += "tally push: \(note)\n" }
            if let failure { text += "tally push: \(failure)\n" }
            try? writeAll(Array(text.utf8), to: STDERR_FILENO)
            if failure != nil { return 2 }
            return rejected > 0 || !notes.filter({ $0.hasPrefix("error") }).isEmpty ? 1 : 0
        }
    }

    /// Pushes the given lines (each argument one line; embedded line feeds separate lines too).
    public func push(lines: [String]) -> Outcome {
        let sent = lines.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        var payload: [UInt8] = []
        for line in sent {
            payload.append(contentsOf: line.utf8)
            payload.append(UInt8(ascii: "\n"))
        }
        payload.append(contentsOf: "!sync\n".utf8)
        return exchange(initial: payload, input: nil) { number in
            number >= 1 && number <= sent.count ? sent[number - 1] : nil
        }
    }

    /// Pushes the lines read from standard input as they arrive.
    public func pushStandardInput() -> Outcome {
        exchange(initial: [], input: STDIN_FILENO) { _ in nil }
    }

    private func exchange(initial: [UInt8], input: Int32?, lineText: (Int) -> String?) -> Outcome {
        var outcome = Outcome()
        let socket: Int32
        do {
            socket = try FileDescriptor.connect(unixPath: socketPath, kind: .stream, nonBlocking: true).release()
        } catch {
            outcome.failure = connectionFailure(error)
            return outcome
        }
        defer { close(socket) }
        var pending = initial
        var pendingOffset = 0
        var input = input
        var lastByteSent: UInt8 = UInt8(ascii: "\n")
        var replies: [UInt8] = []
        var inputBuffer = [UInt8](repeating: 0, count: 1 << 16)
        let timeoutMilliseconds = Int32(clamping: Int((timeoutSeconds * 1000).rounded(.up)))
        while true {
            var descriptors = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
            if pendingOffset < pending.count { descriptors[0].events |= Int16(POLLOUT) }
            let readsInput = input != nil && pending.count - pendingOffset < 1 << 20
            if let input, readsInput { descriptors.append(pollfd(fd: input, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeoutMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                outcome.failure = "poll failed: \(String(cString: strerror(errno)))"
                return outcome
            }
            if ready == 0 {
                outcome.failure = "no confirmation from tally at \(socketPath) within \(timeoutSeconds) s"
                return outcome
            }
            if descriptors.count > 1, descriptors[1].revents != 0, let descriptor = input {
                let count = inputBuffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    pending.append(contentsOf: inputBuffer[0..<count])
                } else if count == 0 || errno != EINTR {
                    // End of input: finish the last line and ask for the confirmation.
                    if pending.last.map({ $0 != UInt8(ascii: "\n") }) ?? (lastByteSent != UInt8(ascii: "\n")) {
                        pending.append(UInt8(ascii: "\n"))
                    }
                    pending.append(contentsOf: "!sync\n".utf8)
                    input = nil
                }
            }
            if descriptors[0].revents & Int16(POLLOUT) != 0, pendingOffset < pending.count {
                let written = pending.withUnsafeBytes { bytes in
                    send(socket, bytes.baseAddress! + pendingOffset, bytes.count - pendingOffset, Int32(MSG_NOSIGNAL))
                }
                if written < 0, errno != EAGAIN, errno != EINTR {
                    outcome.failure = "tally closed the push socket: \(String(cString: strerror(errno)))"
                    return outcome
                }
                if written > 0 {
                    pendingOffset += written
                    lastByteSent = pending[pendingOffset - 1]
                    if pendingOffset == pending.count {
                        pending.removeAll(keepingCapacity: true)
                        pendingOffset = 0
                    }
                }
            }
            if descriptors[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let count = inputBuffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
                    outcome.failure = "tally closed the connection before confirming"
                    return outcome
                }
                if count > 0 {
                    replies.append(contentsOf: inputBuffer[0..<count])
                    if Self.consumeReplies(&replies, into: &outcome, lineText: lineText) { return outcome }
                }
            }
        }
    }

    /// Reads the complete reply lines; returns true once `done` arrived.
    private static func consumeReplies(
        _ buffer: inout [UInt8], into outcome: inout Outcome, lineText: (Int) -> String?
    )
        -> Bool
    {
        var start = 0
        defer { buffer.removeFirst(start) }
        while let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let reply = buffer[start..<newline].withUnsafeBytes { PushReply.parse($0) }
            start = newline + 1
            switch reply {
            case .reject(let lineNumber, let reason, let message):
                outcome.rejections.append((lineNumber, reason.rawValue, message, lineText(lineNumber)))
            case .rejectMore(let count):
                outcome.unlistedRejections += count
            case .done(let accepted, let rejected):
                outcome.accepted = accepted
                outcome.rejected = rejected
                return true
            case .notDurable(let accepted, let rejected, let message):
                outcome.accepted = accepted
                outcome.rejected = rejected
                outcome.failure = "tally applied the lines but could not make them durable: \(message)"
                return true
            case .deleted(let count):
                outcome.notes.append("deleted \(count) series")
            case .error(let reason, let message):
                outcome.notes.append("error: \(reason.rawValue): \(message)")
            case nil:
                outcome.notes.append("error: unexpected reply from tally")
            }
        }
        return false
    }

    private func connectionFailure(_ error: SocketError) -> String {
        if case .system(let failure) = error {
            switch failure.errno {
            case ENOENT:
                return "no push socket at \(socketPath); is `tally serve` running? (set --socket or TALLY_PUSH_SOCKET)"
            case ECONNREFUSED:
                return "nothing accepts pushes at \(socketPath); is `tally serve` running?"
            case EACCES:
                return "permission denied on \(socketPath); the socket's group (--push.socket-group) must include you"
            default:
                break
            }
        }
        return "cannot connect to \(socketPath): \(error)"
    }
}
