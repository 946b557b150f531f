import CLinux
import Glibc

/// A bound UNIX datagram socket that receives on an event loop, with the sender's credentials attached to every
/// datagram (`SO_PASSCRED`).
public final class DatagramSocket: EventHandler {
    /// How many datagrams one readiness event reads at most, so that a flood cannot starve other descriptors;
    /// the level-triggered loop reports the socket again on its next turn.
    public static let datagramsPerEvent = 128

    /// The address the socket is bound to.
    public let localAddress: SocketAddress

    private var descriptor: FileDescriptor?
    private var socketFile: UnixSocketFile?
    private weak var loop: EventLoop?
    private var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var onDatagram: (UnsafeRawBufferPointer, ReceivedDatagram) -> Void = { _, _ in }
    private var onError: (SystemError) -> Void = { _ in }

    private init(_ descriptor: consuming FileDescriptor, socketFile: consuming UnixSocketFile?) throws(SocketError) {
        localAddress = try mapSystemError { () throws(SystemError) in
            _ = try syscall("setsockopt(SO_PASSCRED)") { tally_enable_credential_passing(descriptor.rawValue) }
            return try descriptor.localAddress()
        }
        self.descriptor = consume descriptor
        self.socketFile = consume socketFile
    }

    deinit {
        buffer.deallocate()
    }

    /// Binds a UNIX datagram socket at `path`, with the same rules as ``StreamListener/init(unixPath:options:backlog:)``:
    /// a missing parent directory is created, a stale socket file replaced, a live one or a non-socket refused, and
    /// the file removed on close if it is still ours.
    public convenience init(unixPath path: String, options: UnixSocketOptions = .init()) throws(SocketError) {
        let socket = try mapSystemError { () throws(SystemError) in
            try FileDescriptor.socket(family: AF_UNIX, type: Int32(SOCK_DGRAM.rawValue))
        }
        let file = try UnixSocketFile.bind(socket, to: path, kind: .datagram, options: options)
        try self.init(socket, socketFile: file)
    }

    /// Adopts a datagram socket this process inherited (systemd socket activation), making it non-blocking and
    /// close-on-exec. The socket owns the descriptor from here on, and closes it if it is not a datagram socket.
    public convenience init(adopting rawDescriptor: Int32) throws(SocketError) {
        let socket = FileDescriptor(owning: rawDescriptor)
        let isDatagram = try mapSystemError { () throws(SystemError) in
            try socket.makeNonBlockingAndCloseOnExec()
            return try socket.option(level: SOL_SOCKET, name: SO_TYPE, call: "SO_TYPE") == SOCK_DGRAM.rawValue
        }
        guard isDatagram else {
            throw .unsuitableDescriptor(rawDescriptor, expected: "a datagram socket")
        }
        try self.init(socket, socketFile: nil)
    }

    /// Starts receiving on `loop`: `onDatagram` gets the bytes of each datagram (valid only during the call) and
    /// what ``FileDescriptor/receiveDatagram(into:)`` reported. Datagrams longer than `bufferSize` arrive
    /// truncated, with ``ReceivedDatagram/isTruncated`` set. The loop keeps the socket alive until ``close()``.
    public func start(
        on loop: EventLoop,
        bufferSize: Int = 65536,
        onDatagram: @escaping (UnsafeRawBufferPointer, ReceivedDatagram) -> Void,
        onError: @escaping (SystemError) -> Void = { _ in }
    ) throws(SystemError) {
        if buffer.count != bufferSize {
            buffer.deallocate()
            buffer = .allocate(byteCount: max(bufferSize, 1), alignment: 16)
        }
        self.loop = loop
        self.onDatagram = onDatagram
        self.onError = onError
        switch descriptor {
        case .some(let socket): try loop.register(socket, interest: .input, handler: self)
        case .none: throw SystemError(call: "epoll_ctl(\(localAddress))", errno: EBADF)
        }
    }

    /// Stops receiving, closes the socket, and removes its socket file if this process bound it.
    public func close() {
        guard let descriptor = descriptor.take() else {
            return
        }
        try? loop?.deregister(descriptor)
        socketFile = nil
    }

    /// Reads up to ``datagramsPerEvent`` datagrams.
    public func handle(events: EpollEvents) {
        for _ in 0..<Self.datagramsPerEvent {
            do {
                let received: IOResult<ReceivedDatagram>
                switch descriptor {
                case .some(let socket): received = try socket.receiveDatagram(into: buffer)
                case .none: return
                }
                guard case .processed(let datagram) = received else {
                    return
                }
                onDatagram(UnsafeRawBufferPointer(rebasing: buffer[..<datagram.byteCount]), datagram)
            } catch {
                onError(error)
                return
            }
        }
    }
}
