import CLinux
import Glibc

/// A listening stream socket — TCP or UNIX — that accepts connections on an event loop.
///
/// Accepted connections are non-blocking and close-on-exec (`accept4`), and TCP ones have `TCP_NODELAY` set, since
/// responses are written whole. When the process or the system runs out of descriptors (`EMFILE`, `ENFILE`) the
/// pending connection cannot be taken, and a level-triggered listener would report it again at once; the listener
/// therefore stops watching its socket for ``descriptorExhaustionPause`` and reports the error, leaving waiting
/// clients in the backlog until descriptors are free again.
public final class StreamListener: EventHandler {
    /// How long accepting pauses after `accept4` failed for lack of descriptors or memory.
    public static let descriptorExhaustionPause: Duration = .milliseconds(100)

    /// The address the socket is bound to; for TCP port 0, it carries the port the kernel chose.
    public let localAddress: SocketAddress

    private var descriptor: FileDescriptor?
    private var socketFile: UnixSocketFile?
    private let setsNoDelay: Bool
    private weak var loop: EventLoop?
    private var onAccept: (consuming FileDescriptor) -> Void = { _ in }
    private var onError: (SystemError) -> Void = { _ in }
    private var isWatched = false
    private var resumeTimer: TimerID?

    private init(_ descriptor: consuming FileDescriptor, socketFile: consuming UnixSocketFile?) throws(SocketError) {
        localAddress = try mapSystemError { () throws(SystemError) in try descriptor.localAddress() }
        setsNoDelay = localAddress.family == AF_INET || localAddress.family == AF_INET6
        self.descriptor = consume descriptor
        self.socketFile = consume socketFile
    }

    /// Binds a TCP listener with `SO_REUSEADDR`. For ``ListenAddress/Host/any`` that is `[::]` with IPv4 mapped in
    /// (`IPV6_V6ONLY` off), or `0.0.0.0` when the system has no IPv6. A host name binds its first IPv4 address, or
    /// its first IPv6 address if it has no IPv4 one, as Go's listeners (and so node_exporter) do.
    public convenience init(tcp address: ListenAddress, backlog: Int32 = 1024) throws(SocketError) {
        let socket: FileDescriptor
        switch address.host {
        case .any:
            do {
                socket = try Self.listen(on: .anyIPv6(port: address.port), dualStack: true, backlog: backlog)
            } catch let error where error.errno == EAFNOSUPPORT || error.errno == EADDRNOTAVAIL {
                socket = try mapSystemError { () throws(SystemError) in
                    try Self.listen(on: .anyIPv4(port: address.port), dualStack: false, backlog: backlog)
                }
            } catch {
                throw .system(error)
            }
        case .name(let host):
            let resolved = try Self.resolve(host, port: address.port, numericIPv6: false)
            socket = try mapSystemError { () throws(SystemError) in
                try Self.listen(on: resolved, dualStack: false, backlog: backlog)
            }
        case .ipv6(let literal):
            let resolved = try Self.resolve(literal, port: address.port, numericIPv6: true)
            socket = try mapSystemError { () throws(SystemError) in
                try Self.listen(on: resolved, dualStack: false, backlog: backlog)
            }
        }
        try self.init(socket, socketFile: nil)
    }

    /// Binds a UNIX stream listener at `path`; see ``UnixSocketOptions`` for the mode and group. A socket file left
    /// by a process that is gone is replaced; one a running process serves, or a path that is not a socket, is an
    /// error. The file is removed when the listener closes, if it is still the file this listener created.
    public convenience init(
        unixPath path: String, options: UnixSocketOptions = UnixSocketOptions(), backlog: Int32 = 1024
    ) throws(SocketError) {
        let socket = try mapSystemError { () throws(SystemError) in
            try FileDescriptor.socket(family: AF_UNIX, type: Int32(SOCK_STREAM.rawValue))
        }
        let file = try UnixSocketFile.bind(socket, to: path, kind: .stream, options: options)
        try mapSystemError { () throws(SystemError) in
            _ = try syscall("listen(\(path))") { Glibc.listen(socket.rawValue, backlog) }
        }
        try self.init(socket, socketFile: file)
    }

    /// Adopts a listening stream socket this process inherited (systemd socket activation passes them from
    /// descriptor 3 on), making it non-blocking and close-on-exec. The listener owns the descriptor from here on,
    /// and closes it if it is not a listening stream socket. Its socket file, if any, is never removed.
    public convenience init(adopting rawDescriptor: Int32) throws(SocketError) {
        let socket = FileDescriptor(owning: rawDescriptor)
        let isListeningStream = try mapSystemError { () throws(SystemError) in
            try socket.makeNonBlockingAndCloseOnExec()
            let type = try socket.option(level: SOL_SOCKET, name: SO_TYPE, call: "SO_TYPE")
            let listening = try socket.option(level: SOL_SOCKET, name: SO_ACCEPTCONN, call: "SO_ACCEPTCONN")
            return type == SOCK_STREAM.rawValue && listening != 0
        }
        guard isListeningStream else {
            throw .unsuitableDescriptor(rawDescriptor, expected: "a listening stream socket")
        }
        try self.init(socket, socketFile: nil)
    }

    /// The bound port of a TCP listener.
    public var port: UInt16? {
        localAddress.port
    }

    /// Starts accepting on `loop`: `onAccept` receives each new connection, `onError` each failure of `accept4`
    /// (after which accepting may pause; see the type's documentation). The loop keeps the listener alive until
    /// ``close()``.
    public func start(
        on loop: EventLoop,
        onAccept: @escaping (consuming FileDescriptor) -> Void,
        onError: @escaping (SystemError) -> Void = { _ in }
    ) throws(SystemError) {
        self.loop = loop
        self.onAccept = onAccept
        self.onError = onError
        try setWatched(true)
    }

    /// Stops accepting, closes the socket, and removes the socket file of a UNIX listener this process bound.
    /// Connections already accepted are not affected.
    public func close() {
        if let resumeTimer {
            loop?.cancel(resumeTimer)
            self.resumeTimer = nil
        }
        try? setWatched(false)
        descriptor = nil
        socketFile = nil
    }

    /// Accepts until the backlog is empty.
    public func handle(events: EpollEvents) {
        while let listening = descriptor?.rawValue {
            let connection = tally_accept(listening, nil, nil)
            if connection >= 0 {
                if setsNoDelay {
                    var on: Int32 = 1
                    setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                }
                onAccept(FileDescriptor(owning: connection))
                continue
            }
            let code = errno
            switch code {
            case EAGAIN, EWOULDBLOCK:
                return
            case EINTR, ECONNABORTED, EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, ENETUNREACH:
                // The connection failed before it was taken; accept(2) says to go on with the next one.
                continue
            default:
                // EMFILE, ENFILE, ENOBUFS, ENOMEM, or an unexpected error: retrying at once would spin.
                pauseAccepting()
                onError(SystemError(call: "accept4(\(localAddress))", errno: code))
                return
            }
        }
    }

    private func pauseAccepting() {
        guard let loop, isWatched else {
            return
        }
        try? setWatched(false)
        resumeTimer = loop.schedule(after: Self.descriptorExhaustionPause) { [weak self] in
            guard let self else {
                return
            }
            resumeTimer = nil
            do throws(SystemError) {
                try setWatched(true)
            } catch {
                onError(error)
            }
        }
    }

    /// Registers the socket on the loop, or removes it, so that accepting runs or pauses.
    private func setWatched(_ watched: Bool) throws(SystemError) {
        guard let loop, watched != isWatched else {
            return
        }
        switch descriptor {
        case .some(let socket):
            if watched {
                try loop.register(socket, interest: .input, handler: self)
                isWatched = true
            } else {
                isWatched = false
                try loop.deregister(socket)
            }
        case .none:
            throw SystemError(call: "epoll_ctl(\(localAddress))", errno: EBADF)
        }
    }

    /// Creates a TCP socket bound to `address` and listening.
    private static func listen(
        on address: SocketAddress, dualStack: Bool, backlog: Int32
    ) throws(SystemError)
        -> FileDescriptor
    {
        let socket = try FileDescriptor.socket(family: address.family, type: Int32(SOCK_STREAM.rawValue))
        try socket.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, call: "SO_REUSEADDR")
        if dualStack {
            try socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 0, call: "IPV6_V6ONLY")
        }
        _ = try address.withSockaddr { (pointer, length) throws(SystemError) in
            try syscall("bind(\(address))") { Glibc.bind(socket.rawValue, pointer, length) }
        }
        _ = try syscall("listen(\(address))") { Glibc.listen(socket.rawValue, backlog) }
        return socket
    }

    /// Resolves a host of a listen address with `getaddrinfo`, preferring IPv4.
    private static func resolve(_ host: String, port: UInt16, numericIPv6: Bool) throws(SocketError) -> SocketAddress {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | (numericIPv6 ? AI_NUMERICHOST : 0)
        hints.ai_family = numericIPv6 ? AF_INET6 : AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        if status != 0 {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            throw .resolution(host: host, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var firstIPv6: SocketAddress?
        var entry = list
        while let current = entry?.pointee {
            if let address = current.ai_addr {
                if current.ai_family == AF_INET {
                    return SocketAddress(copying: address, length: current.ai_addrlen)
                }
                if current.ai_family == AF_INET6 && firstIPv6 == nil {
                    firstIPv6 = SocketAddress(copying: address, length: current.ai_addrlen)
                }
            }
            entry = current.ai_next
        }
        guard let firstIPv6 else {
            throw .resolution(host: host, reason: "no IPv4 or IPv6 address")
        }
        return firstIPv6
    }
}
