import EventLoop
import Glibc
import Logging
import MetricsCore
import PushProtocol
import PushStore

/// The push sockets on the event loop: a UNIX stream socket whose clients may ask for confirmations, and a UNIX
/// datagram socket for fire-and-forget StatsD clients.
final class PushService {
    /// Who may push, by the peer's credentials; nil allows everyone the socket's file mode lets in.
    struct PeerPolicy {
        var allowedUserIDs: Set<uid_t>?
        var allowedGroupIDs: Set<gid_t>?

        func allows(_ credentials: PeerCredentials?) -> Bool {
            guard allowedUserIDs != nil || allowedGroupIDs != nil else { return true }
            guard let credentials else { return false }
            return allowedUserIDs?.contains(credentials.userID) == true
                || allowedGroupIDs?.contains(credentials.groupID) == true
        }
    }

    let loop: EventLoop
    let store: PushStore
    let persistence: PushPersistence?
    let logger: Logger
    private let policy: PeerPolicy
    /// One read buffer for every stream connection: each read is processed completely before the next.
    let readBuffer: UnsafeMutableRawBufferPointer
    /// The accepted lines of the batch being applied, for the journal.
    var journalBuffer: [UInt8] = []
    private let refusedPeers: Counter
    private let streamLabels = LabelSet([Label("transport", PushTransport.stream.rawValue)])
    private let datagramLabels = LabelSet([Label("transport", PushTransport.datagram.rawValue)])
    private var listeners: [StreamListener] = []
    private var datagramSockets: [DatagramSocket] = []
    private var connections: [ObjectIdentifier: PushConnection] = [:]

    /// The largest read from a stream connection.
    static let readSize = 256 * 1024

    init(
        loop: EventLoop, store: PushStore, persistence: PushPersistence?, policy: PeerPolicy,
        registry: MetricRegistry, logger: Logger
    ) throws(MetricsError) {
        self.loop = loop
        self.store = store
        self.persistence = persistence
        self.policy = policy
        self.logger = logger
        self.readBuffer = .allocate(byteCount: Self.readSize, alignment: 16)
        self.refusedPeers = try registry.makeCounter(
            name: "tally_push_refused_peers_total",
            help: "Push connections and datagrams refused because of the peer's user or group.")
    }

    deinit {
        readBuffer.deallocate()
    }

    func serve(stream listener: StreamListener) throws(SystemError) {
        listeners.append(listener)
        try listener.start(
            on: loop,
            onAccept: { [unowned self] socket in accept(socket) },
            onError: { [logger] error in logger.warning("push accept failed", metadata: ["error": "\(error)"]) })
    }

    func serve(datagram socket: DatagramSocket) throws(SystemError) {
        datagramSockets.append(socket)
        try socket.start(
            on: loop,
            onDatagram: { [unowned self] bytes, received in receive(bytes, received) },
            onError: { [logger] error in logger.warning("push receive failed", metadata: ["error": "\(error)"]) })
    }

    /// Stops listening (removing the socket files tally created) and closes connections once their replies are out.
    func stop() {
        for listener in listeners { listener.close() }
        for socket in datagramSockets { socket.close() }
        listeners = []
        datagramSockets = []
        for connection in connections.values { connection.finish() }
    }

    private func accept(_ socket: consuming FileDescriptor) {
        let credentials = try? socket.peerCredentials()
        guard policy.allows(credentials) else {
            refusedPeers.add(1, labels: streamLabels)
            logger.debug("push connection refused", metadata: ["uid": "\(credentials?.userID ?? 0)"])
            try? socket.close()
            return
        }
        let connection = PushConnection(socket: socket, service: self)
        connections[ObjectIdentifier(connection)] = connection
        do {
            try connection.start()
        } catch {
            connection.close()
        }
    }

    func connectionClosed(_ connection: PushConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    private func receive(_ bytes: UnsafeRawBufferPointer, _ received: ReceivedDatagram) {
        guard policy.allows(received.credentials) else {
            refusedPeers.add(1, labels: datagramLabels)
            return
        }
        if received.isTruncated {
            store.countRejection(.lineTooLong, from: .datagram)
            return
        }
        let journalling = persistence != nil
        journalBuffer.removeAll(keepingCapacity: true)
        var commands = 0
        store.ingest(from: .datagram) { apply, _ in
            PushLineSplitter.forEachLine(inDatagram: bytes) { output in
                guard case .line(let line) = output else { return }
                if PushCommand.parse(line) != nil {
                    commands += 1
                } else if apply(line) == nil, journalling {
                    journalBuffer.append(contentsOf: line)
                    journalBuffer.append(UInt8(ascii: "\n"))
                }
            }
        }
        for _ in 0..<commands { store.countRejection(.unknownCommand, from: .datagram) }
        persistence?.append(journalBuffer)
    }
}

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
