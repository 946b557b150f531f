import Glibc
import Logging
import MetricsCore
import PushProtocol
import PushStore
import SystemIO

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
