import Glibc
import SystemIO
import Testing

/// Echoes what it reads, then stops the loop.
final class EchoConnection: EventHandler {
    let descriptor: FileDescriptor
    let loop: EventLoop
    var echoed = ""

    init(_ descriptor: consuming FileDescriptor, loop: EventLoop) {
        self.descriptor = descriptor
        self.loop = loop
    }

    func handle(events: EpollEvents) {
        guard let text = try? receive(from: descriptor) else {
            try? loop.deregister(descriptor)
            return
        }
        try? send(text, to: descriptor)
        echoed += text
        loop.stop()
    }
}

@Suite struct TCPListenerTests {
    /// Accepts one connection from a client of `host`, echoes one message, and returns what the client read back.
    private func echo(through listener: StreamListener, clientHost: String) throws -> (String?, EchoConnection?) {
        let loop = try EventLoop()
        var connection: EchoConnection?
        try listener.start(on: loop) { accepted in
            let echo = EchoConnection(accepted, loop: loop)
            try? loop.register(echo.descriptor, interest: .input, handler: echo)
            connection = echo
        }
        let client = try connectTCP(host: clientHost, port: try #require(listener.port))
        try send("hello tally", to: client)
        #expect(try runLoop(loop))
        listener.close()
        return (try receive(from: client), connection)
    }

    @Test func ephemeralPortAcceptsAndEchoes() throws {
        let listener = try StreamListener(tcp: try ListenAddress(parsing: "127.0.0.1:0"))
        #expect(listener.localAddress.family == AF_INET)
        let port = try #require(listener.port)
        #expect(port != 0)
        #expect(listener.localAddress.description == "127.0.0.1:\(port)")
        let (reply, connection) = try echo(through: listener, clientHost: "127.0.0.1")
        #expect(reply == "hello tally")
        let accepted = try #require(connection)
        #expect(accepted.echoed == "hello tally")
        var noDelay: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(accepted.descriptor.rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, &length)
        #expect(noDelay == 1)
        #expect(try accepted.descriptor.peerAddress().description.hasPrefix("127.0.0.1:"))
    }

    @Test func allInterfacesAcceptIPv4() throws {
        let listener = try StreamListener(tcp: try ListenAddress(parsing: ":0"))
        #expect(listener.localAddress.family == AF_INET6 || listener.localAddress.family == AF_INET)
        let (reply, _) = try echo(through: listener, clientHost: "127.0.0.1")
        #expect(reply == "hello tally")
    }

    @Test(.enabled(if: ipv6LoopbackAvailable())) func ipv6Loopback() throws {
        let listener = try StreamListener(tcp: try ListenAddress(parsing: "[::1]:0"))
        #expect(listener.localAddress.family == AF_INET6)
        #expect(listener.localAddress.description == "[::1]:\(listener.port ?? 0)")
        let (reply, _) = try echo(through: listener, clientHost: "::1")
        #expect(reply == "hello tally")
    }

    @Test func localhostResolvesToIPv4Loopback() throws {
        let listener = try StreamListener(tcp: try ListenAddress(parsing: "localhost:0"))
        #expect(listener.localAddress.description == "127.0.0.1:\(listener.port ?? 0)")
        listener.close()
    }

    @Test func portInUseNamesTheCallAndAddress() throws {
        let first = try StreamListener(tcp: try ListenAddress(parsing: "127.0.0.1:0"))
        let port = try #require(first.port)
        let error = #expect(throws: SocketError.self) {
            try StreamListener(tcp: ListenAddress(host: .name("127.0.0.1"), port: port))
        }
        #expect(error?.description == "bind(127.0.0.1:\(port)): Address already in use (errno 98)")
        first.close()
    }

    @Test func invalidIPv6LiteralIsAResolutionError() throws {
        let error = #expect(throws: SocketError.self) {
            try StreamListener(tcp: try ListenAddress(parsing: "[fe80::zz]:0"))
        }
        guard case .resolution(let host, _)? = error else {
            Issue.record("expected a resolution error, got \(String(describing: error))")
            return
        }
        #expect(host == "fe80::zz")
    }

    @Test func closeReleasesThePort() throws {
        let first = try StreamListener(tcp: try ListenAddress(parsing: "127.0.0.1:0"))
        let port = try #require(first.port)
        first.close()
        let second = try StreamListener(tcp: ListenAddress(host: .name("127.0.0.1"), port: port))
        #expect(second.port == port)
        second.close()
    }

    @Test func adoptsAnInheritedListeningSocket() throws {
        let raw = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(raw, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(bound == 0)
        #expect(listen(raw, 16) == 0)
        #expect(fcntl(raw, F_GETFD) & FD_CLOEXEC == 0)
        #expect(fcntl(raw, F_GETFL) & O_NONBLOCK == 0)

        let listener = try StreamListener(adopting: raw)
        #expect(fcntl(raw, F_GETFD) & FD_CLOEXEC != 0)
        #expect(fcntl(raw, F_GETFL) & O_NONBLOCK != 0)
        let (reply, _) = try echo(through: listener, clientHost: "127.0.0.1")
        #expect(reply == "hello tally")
    }

    /// A listener whose `accept4` keeps failing (here a shut-down socket, which epoll reports as hung up and
    /// accept rejects with EINVAL, the same path EMFILE takes) pauses instead of spinning.
    @Test func persistentAcceptFailurePausesInsteadOfSpinning() throws {
        let raw = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listen(raw, 16) == 0)
        let listener = try StreamListener(adopting: raw)
        let loop = try EventLoop()
        var errors: [SystemError] = []
        try listener.start(on: loop, onAccept: { _ in }, onError: { errors.append($0) })
        #expect(shutdown(raw, Int32(SHUT_RDWR)) == 0)
        #expect(try runLoop(loop, timeout: .milliseconds(350)) == false)
        listener.close()
        #expect((2...5).contains(errors.count))
        #expect(errors.first == SystemError(call: "accept4(\(listener.localAddress))", errno: EINVAL))
    }

    @Test func refusesToAdoptASocketThatIsNotListening() throws {
        let raw = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(throws: SocketError.unsuitableDescriptor(raw, expected: "a listening stream socket")) {
            try StreamListener(adopting: raw)
        }
        #expect(fcntl(raw, F_GETFD) == -1)
    }
}
