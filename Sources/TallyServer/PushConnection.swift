import Glibc
import MetricsCore
import PushProtocol
import PushStore
import SystemIO

/// One stream push connection: lines in, and replies out only to clients that send commands.
final class PushConnection: EventHandler {
    private var socket: FileDescriptor?
    private unowned let service: PushService
    private var splitter = PushLineSplitter()
    private var ledger = PushSyncLedger()
    /// Replies produced but waiting until the journal sequence they depend on is durable.
    private var heldReplies: [(sequence: UInt64, bytes: [UInt8])] = []
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var closesWhenFlushed = false
    /// Replies a client lets pile up unread before the connection is dropped.
    private static let maximumUnreadReplies = 1 << 20
    /// Reads handled per readiness event, so that one busy pusher does not starve HTTP clients.
    private static let readsPerEvent = 4

    init(socket: consuming FileDescriptor, service: PushService) {
        self.socket = Optional(socket)
        self.service = service
    }

    func start() throws(SystemError) {
        try socket.register(on: service.loop, interest: .input, handler: self)
    }

    private var isOpen: Bool { socket != nil }

    private func writePendingOutput() throws(SystemError) -> IOResult<Int> {
        let offset = outputOffset
        let result = output.withUnsafeBytes { bytes -> Result<IOResult<Int>, SystemError> in
            Result { () throws(SystemError) in try socket.write(UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
        }
        return try result.get()
    }

    private func setInterest(_ interest: EpollEvents) {
        socket.setInterest(interest, on: service.loop)
    }

    func handle(events: EpollEvents) {
        if events.contains(.output) { flush() }
        guard !events.isDisjoint(with: [.input, .hangup, .error, .readHangup]) else { return }
        readAvailable(maximumReads: Self.readsPerEvent)
    }

    /// Reads and applies what the client sent, at most `maximumReads` reads.
    private func readAvailable(maximumReads: Int) {
        for _ in 0..<maximumReads {
            guard isOpen else { return }
            let buffer = service.readBuffer
            let result: IOResult<Int>
            do {
                result = try socket.read(into: buffer)
            } catch {
                close()
                return
            }
            guard case .processed(let count) = result else { return }
            if count == 0 {
                process(UnsafeRawBufferPointer(start: nil, count: 0), isEnd: true)
                closeWhenFlushed()
                return
            }
            process(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), isEnd: false)
        }
    }

    /// Applies one read's lines under one store lock, handling commands in line order.
    ///
    /// The ledger and the journal buffer are worked on as locals and stored back at the end: as class properties
    /// they would cost a dynamic exclusivity check on every line.
    private func process(_ chunk: UnsafeRawBufferPointer, isEnd: Bool) {
        let service = self.service
        let journalling = service.persistence != nil
        var journal = service.journalBuffer
        journal.removeAll(keepingCapacity: true)
        service.journalBuffer = []
        var ledger = self.ledger
        var splitter = self.splitter
        var replies: [UInt8] = []
        var refusedOutside: [PushRejectionReason] = []
        service.store.ingest(from: .stream) { apply, delete in
            func handle(_ output: PushLineSplitter.Output) {
                let lineNumber = ledger.nextLineNumber()
                guard case .line(let line) = output else {
                    ledger.recordRejected(
                        PushRejection(.lineTooLong, "line longer than 65536 bytes"), lineNumber: lineNumber)
                    refusedOutside.append(.lineTooLong)
                    return
                }
                guard line.first == UInt8(ascii: "!"), let command = PushCommand.parse(line) else {
                    if let rejection = apply(line) {
                        ledger.recordRejected(rejection, lineNumber: lineNumber)
                    } else {
                        ledger.recordAccepted()
                        if journalling {
                            journal.append(contentsOf: line)
                            journal.append(UInt8(ascii: "\n"))
                        }
                    }
                    return
                }
                switch command {
                case .success(.sync):
                    ledger.encodeSyncReply(into: &replies)
                case .success(.delete(let name, let labels)):
                    PushReply.deleted(count: delete(name, labels)).encode(into: &replies)
                    if journalling {
                        PushCommand.delete(name: name, labels: labels).encode(into: &journal)
                        journal.append(UInt8(ascii: "\n"))
                    }
                case .failure(let rejection):
                    refusedOutside.append(rejection.reason)
                    PushReply.error(reason: rejection.reason, message: rejection.message).encode(into: &replies)
                }
            }
            if isEnd {
                splitter.finish(handle)
            } else {
                splitter.consume(chunk, handle)
            }
        }
        self.ledger = ledger
        self.splitter = splitter
        for reason in refusedOutside { service.store.countRejection(reason, from: .stream) }
        let sequence = service.persistence?.append(journal) ?? 0
        service.journalBuffer = journal
        guard !replies.isEmpty else { return }
        heldReplies.append((sequence, replies))
        if let persistence = service.persistence {
            persistence.whenDurable { [weak self] in self?.releaseReplies() }
        } else {
            releaseReplies()
        }
    }

    /// Moves the replies whose lines are durable to the output, in order.
    private func releaseReplies() {
        let durable = service.persistence?.durableSequence ?? .max
        while let first = heldReplies.first, first.sequence <= durable {
            output.append(contentsOf: first.bytes)
            heldReplies.removeFirst()
        }
        flush()
    }

    private func flush() {
        guard isOpen else { return }
        while outputOffset < output.count {
            let result = try? writePendingOutput()
            guard case .processed(let count)? = result else {
                if result == nil {
                    close()
                    return
                }
                break
            }
            outputOffset += count
        }
        if outputOffset == output.count {
            output.removeAll(keepingCapacity: true)
            outputOffset = 0
            if closesWhenFlushed, heldReplies.isEmpty {
                close()
                return
            }
        } else if output.count - outputOffset > Self.maximumUnreadReplies {
            close()
            return
        }
        setInterest(outputOffset < output.count ? [.input, .output] : .input)
    }

    /// Applies everything the client has sent so far, then closes once the replies are out (shutdown).
    func finish() {
        readAvailable(maximumReads: .max)
        closeWhenFlushed()
    }

    /// Closes once every held reply has been written (the client has finished sending).
    func closeWhenFlushed() {
        closesWhenFlushed = true
        setInterest(output.isEmpty ? [] : .output)
        if heldReplies.isEmpty { flush() }
    }

    func close() {
        guard let socket = socket.take() else { return }
        try? service.loop.deregister(socket)
        try? socket.close()
        service.connectionClosed(self)
    }
}
