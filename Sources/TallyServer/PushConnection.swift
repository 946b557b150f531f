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
    /// The journal record that holds this connection's last accepted lines; its replies wait until it is durable.
    private var lastRecord: UInt64 = 0
    /// Replies waiting until the records before them are durable, oldest first; `outcome` is set once that is known.
    private var heldReplies: [(replies: [PushReply], outcome: Result<Void, DurabilityError>?)] = []
    /// How many batches of held replies were sent before the first one in `heldReplies`.
    private var releasedBatches = 0
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
        var replies: [PushReply] = []
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
                    ledger.appendSyncReply(to: &replies)
                case .success(.delete(let name, let labels)):
                    replies.append(.deleted(count: delete(name, labels)))
                    if journalling {
                        PushCommand.delete(name: name, labels: labels).encode(into: &journal)
                        journal.append(UInt8(ascii: "\n"))
                    }
                case .failure(let rejection):
                    refusedOutside.append(rejection.reason)
                    replies.append(.error(reason: rejection.reason, message: rejection.message))
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
        if let record = service.persistence?.append(journal) { lastRecord = record }
        service.journalBuffer = journal
        guard !replies.isEmpty else { return }
        guard let persistence = service.persistence else {
            for reply in replies { reply.encode(into: &output) }
            flush()
            return
        }
        let index = releasedBatches + heldReplies.count
        heldReplies.append((replies, nil))
        persistence.whenDurable(through: lastRecord) { [weak self] outcome in self?.release(index, outcome) }
    }

    /// Records whether the lines before held replies `index` are durable, and sends the replies whose outcome is
    /// known, in order. A `!sync` whose lines are not durable is answered `not-durable` instead of `done`.
    private func release(_ index: Int, _ outcome: Result<Void, DurabilityError>) {
        heldReplies[index - releasedBatches].outcome = outcome
        while let batch = heldReplies.first, let outcome = batch.outcome {
            for reply in batch.replies {
                if case .failure(let error) = outcome, case .done(let accepted, let rejected) = reply {
                    PushReply.notDurable(accepted: accepted, rejected: rejected, message: error.description)
                        .encode(into: &output)
                } else {
                    reply.encode(into: &output)
                }
            }
            heldReplies.removeFirst()
            releasedBatches += 1
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
