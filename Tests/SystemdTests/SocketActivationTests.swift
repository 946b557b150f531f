import Glibc
import Systemd
import Testing

/// Sorting and checking passed sockets, with real sockets at whatever descriptors they get; nothing here reads
/// or sets the environment.
@Suite
struct SocketActivationTests {
    typealias Listener = SocketActivation.Listener
    typealias Sockets = SocketActivation.ListenerSockets
    typealias Outcome = Result<Sockets, SocketActivationError>

    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let sockets: [(name: String, kind: SocketKind)]
        let enabled: Set<Listener>
        /// The listeners the caller knows.
        var known: [Listener] = Listener.tally
        /// The listener a lone unnamed socket is taken as.
        var unnamed: Listener? = .http
        /// The outcome, given the descriptors the sockets were opened at.
        let expected: @Sendable (_ descriptors: [Int32]) -> Outcome
    }

    static let tallyNames = Listener.tally.map(\.name)

    static let cases: [Case] = [
        Case(
            testDescription: "all three named",
            sockets: [("http", .tcpListening), ("push", .unixStreamListening), ("push-dgram", .unixDatagram)],
            enabled: Set(Listener.tally),
            expected: { .success(Sockets(["http": [$0[0]], "push": [$0[1]], "push-dgram": [$0[2]]])) }),
        Case(
            testDescription: "two http sockets and the push sockets in another order",
            sockets: [
                ("push-dgram", .unixDatagram), ("http", .tcpListening), ("push", .unixStreamListening),
                ("http", .tcp6Listening),
            ],
            enabled: Set(Listener.tally),
            expected: { .success(Sockets(["http": [$0[1], $0[3]], "push": [$0[2]], "push-dgram": [$0[0]]])) }),
        Case(
            testDescription: "stream push turned off",
            sockets: [("http", .tcpListening), ("push-dgram", .unixDatagram)],
            enabled: [.http, .pushDatagram],
            expected: { .success(Sockets(["http": [$0[0]], "push-dgram": [$0[1]]])) }),
        Case(
            testDescription: "names the caller added: otlp over TCP and statsd-udp over UDP",
            sockets: [
                ("statsd-udp", .udp), ("http", .tcpListening), ("otlp", .tcp6Listening), ("otlp", .tcpListening),
            ],
            enabled: [.http, .otlp, .statsdUDP], known: Listener.all,
            expected: { .success(Sockets(["http": [$0[1]], "otlp": [$0[2], $0[3]], "statsd-udp": [$0[0]]])) }),
        Case(
            testDescription: "one unnamed TCP socket is http",
            sockets: [("unknown", .tcpListening)], enabled: [.http],
            expected: { .success(Sockets(["http": [$0[0]]])) }),
        Case(
            testDescription: "one unnamed UNIX stream socket taken as push",
            sockets: [("unknown", .unixStreamListening)], enabled: [.push], unnamed: .push,
            expected: { .success(Sockets(["push": [$0[0]]])) }),
        Case(
            testDescription: "one unnamed socket when no listener takes it",
            sockets: [("unknown", .tcpListening)], enabled: [.http], unnamed: nil,
            expected: { .failure(.unknownName("unknown", fileDescriptor: $0[0], passedCount: 1, known: tallyNames)) }),
        Case(
            testDescription: "one unnamed socket taken as a listener that is turned off",
            sockets: [("unknown", .tcpListening)], enabled: [.push],
            expected: { .failure(.notEnabled(.http, name: "unknown", fileDescriptor: $0[0])) }),
        Case(
            testDescription: "one unnamed TCP socket while push is on",
            sockets: [("unknown", .tcpListening)], enabled: [.http, .push],
            expected: { _ in .failure(.missing(.push)) }),
        Case(
            testDescription: "one unnamed datagram socket",
            sockets: [("unknown", .unixDatagram)], enabled: [.http],
            expected: { .failure(.wrongType(.http, name: "unknown", fileDescriptor: $0[0])) }),
        Case(
            testDescription: "two unnamed sockets",
            sockets: [("unknown", .tcpListening), ("unknown", .unixStreamListening)], enabled: Set(Listener.tally),
            expected: { .failure(.unknownName("unknown", fileDescriptor: $0[0], passedCount: 2, known: tallyNames)) }),
        Case(
            testDescription: "an unknown name",
            sockets: [("http", .tcpListening), ("metrics", .tcpListening)], enabled: [.http],
            expected: { .failure(.unknownName("metrics", fileDescriptor: $0[1], passedCount: 2, known: tallyNames)) }),
        Case(
            testDescription: "a name the caller does not know",
            sockets: [("http", .tcpListening), ("otlp", .tcpListening)], enabled: [.http],
            expected: { .failure(.unknownName("otlp", fileDescriptor: $0[1], passedCount: 2, known: tallyNames)) }),
        Case(
            testDescription: "an empty name",
            sockets: [("", .tcpListening)], enabled: [.http],
            expected: { .failure(.unknownName("", fileDescriptor: $0[0], passedCount: 1, known: tallyNames)) }),
        Case(
            testDescription: "a TCP socket named push",
            sockets: [("http", .tcpListening), ("push", .tcpListening)], enabled: [.http, .push],
            expected: { .failure(.wrongType(.push, name: "push", fileDescriptor: $0[1])) }),
        Case(
            testDescription: "a datagram socket named http",
            sockets: [("http", .unixDatagram)], enabled: [.http],
            expected: { .failure(.wrongType(.http, name: "http", fileDescriptor: $0[0])) }),
        Case(
            testDescription: "a UDP socket named http",
            sockets: [("http", .udp)], enabled: [.http],
            expected: { .failure(.wrongType(.http, name: "http", fileDescriptor: $0[0])) }),
        Case(
            testDescription: "a UNIX stream socket named http",
            sockets: [("http", .unixStreamListening)], enabled: [.http],
            expected: { .failure(.wrongType(.http, name: "http", fileDescriptor: $0[0])) }),
        Case(
            testDescription: "a TCP socket that does not listen named http",
            sockets: [("http", .tcpNotListening)], enabled: [.http],
            expected: { .failure(.wrongType(.http, name: "http", fileDescriptor: $0[0])) }),
        Case(
            testDescription: "a UNIX stream socket that does not listen named push",
            sockets: [("http", .tcpListening), ("push", .unixStreamNotListening)], enabled: [.http, .push],
            expected: { .failure(.wrongType(.push, name: "push", fileDescriptor: $0[1])) }),
        Case(
            testDescription: "a stream socket named push-dgram",
            sockets: [("http", .tcpListening), ("push-dgram", .unixStreamListening)], enabled: [.http, .pushDatagram],
            expected: { .failure(.wrongType(.pushDatagram, name: "push-dgram", fileDescriptor: $0[1])) }),
        Case(
            testDescription: "a UDP socket named push-dgram",
            sockets: [("http", .tcpListening), ("push-dgram", .udp)], enabled: [.http, .pushDatagram],
            expected: { .failure(.wrongType(.pushDatagram, name: "push-dgram", fileDescriptor: $0[1])) }),
        Case(
            testDescription: "a UNIX datagram socket named statsd-udp",
            sockets: [("statsd-udp", .unixDatagram)], enabled: [.statsdUDP], known: Listener.all,
            expected: { .failure(.wrongType(.statsdUDP, name: "statsd-udp", fileDescriptor: $0[0])) }),
        Case(
            testDescription: "a TCP socket named statsd-udp",
            sockets: [("statsd-udp", .tcpListening)], enabled: [.statsdUDP], known: Listener.all,
            expected: { .failure(.wrongType(.statsdUDP, name: "statsd-udp", fileDescriptor: $0[0])) }),
        Case(
            testDescription: "a datagram socket named push",
            sockets: [("http", .tcpListening), ("push", .unixDatagram)], enabled: [.http, .push],
            expected: { .failure(.wrongType(.push, name: "push", fileDescriptor: $0[1])) }),
        Case(
            testDescription: "push missing",
            sockets: [("http", .tcpListening), ("push-dgram", .unixDatagram)], enabled: Set(Listener.tally),
            expected: { _ in .failure(.missing(.push)) }),
        Case(
            testDescription: "http missing",
            sockets: [("push", .unixStreamListening)], enabled: [.http, .push],
            expected: { _ in .failure(.missing(.http)) }),
        Case(
            testDescription: "statsd-udp missing",
            sockets: [("otlp", .tcpListening)], enabled: [.otlp, .statsdUDP], known: Listener.all,
            expected: { _ in .failure(.missing(.statsdUDP)) }),
        Case(
            testDescription: "nothing passed",
            sockets: [], enabled: [.http],
            expected: { _ in .failure(.missing(.http)) }),
        Case(
            testDescription: "push passed but turned off",
            sockets: [("http", .tcpListening), ("push", .unixStreamListening)], enabled: [.http],
            expected: { .failure(.notEnabled(.push, name: "push", fileDescriptor: $0[1])) }),
    ]

    @Test(arguments: cases)
    func sortsAndChecksSockets(_ activationCase: Case) throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        var descriptors: [Int32] = []
        defer { descriptors.forEach { close($0) } }
        for (_, kind) in activationCase.sockets {
            descriptors.append(try kind.open(in: directory))
        }
        let passed = zip(activationCase.sockets, descriptors).map {
            SocketActivation.PassedSocket(name: $0.name, fileDescriptor: $1)
        }
        let outcome = Result { () throws(SocketActivationError) in
            try SocketActivation.sockets(
                from: passed, for: activationCase.enabled, among: activationCase.known,
                takingUnnamedSocketAs: activationCase.unnamed)
        }
        #expect(outcome == activationCase.expected(descriptors))
    }

    @Test(
        arguments: [Int32(-1), 999_999],
        [
            (Listener.http, "sd_is_socket_inet"), (.push, "sd_is_socket_unix"), (.pushDatagram, "sd_is_socket_unix"),
            (.statsdUDP, "sd_is_socket_inet"),
        ])
    func reportsADescriptorThatIsNotOpen(descriptor: Int32, listener: (Listener, call: String)) {
        let passed = [SocketActivation.PassedSocket(name: listener.0.name, fileDescriptor: descriptor)]
        #expect(
            throws: SocketActivationError.inspectionFailed(
                listener.0, name: listener.0.name, fileDescriptor: descriptor,
                error: SystemdError(call: listener.call, errno: EBADF))
        ) {
            try SocketActivation.sockets(from: passed, for: [listener.0], among: Listener.all)
        }
    }

    /// Listener lists that make no sense are the caller's mistake, which stops the process.
    @Test(arguments: ["two listeners share a name", "an enabled listener is not known", "the unnamed one is not known"])
    func stopsOnAMistakenListenerList(mistake: String) async {
        await #expect(processExitsWith: .failure) { [mistake = mistake as String] in
            let unixHTTP = Listener(name: "http", socket: .listeningStream(family: .unix))
            switch mistake {
            case "two listeners share a name":
                _ = try? SocketActivation.sockets(from: [], for: [], among: [.http, unixHTTP])
            case "an enabled listener is not known":
                _ = try? SocketActivation.sockets(from: [], for: [.otlp], among: Listener.tally)
            default:
                _ = try? SocketActivation.sockets(
                    from: [], for: [], among: Listener.tally, takingUnnamedSocketAs: .otlp)
            }
        }
    }

    static let describedErrors: [(error: SocketActivationError, expected: String)] = [
        (
            .noSockets(reason: "LISTEN_FDS unset"),
            "systemd passed no sockets (LISTEN_FDS unset)"
        ),
        (
            .invalidEnvironment(errno: EINVAL, listenFDs: "2", listenFDNames: "http"),
            "systemd's LISTEN_FDS='2' and LISTEN_FDNAMES='http' are unusable: "
                + "sd_listen_fds_with_names failed: Invalid argument (errno 22)"
        ),
        (
            .invalidEnvironment(errno: EBADF, listenFDs: "1", listenFDNames: nil),
            "systemd's LISTEN_FDS='1' and LISTEN_FDNAMES=unset are unusable: "
                + "sd_listen_fds_with_names failed: Bad file descriptor (errno 9)"
        ),
        (
            .unknownName("metrics", fileDescriptor: 5, passedCount: 3, known: tallyNames),
            "socket 'metrics' (fd 5) has an unknown FileDescriptorName; expected one of 'http', 'push', 'push-dgram'"
        ),
        (
            .unknownName("connection", fileDescriptor: 3, passedCount: 1, known: tallyNames),
            "socket 'connection' (fd 3) has an unknown FileDescriptorName; expected one of 'http', 'push', "
                + "'push-dgram' (socket units with Accept=yes are not supported)"
        ),
        (
            .unknownName("unknown", fileDescriptor: 3, passedCount: 2, known: tallyNames),
            "socket 'unknown' (fd 3) has an unknown FileDescriptorName; expected one of 'http', 'push', "
                + "'push-dgram' (2 sockets were passed without FileDescriptorName=; name each of them)"
        ),
        (
            .unknownName("unknown", fileDescriptor: 3, passedCount: 1, known: ["otlp", "statsd-udp"]),
            "socket 'unknown' (fd 3) has an unknown FileDescriptorName; expected one of 'otlp', 'statsd-udp' "
                + "(it was passed without FileDescriptorName=; name it)"
        ),
        (
            .unknownName("http", fileDescriptor: 3, passedCount: 1, known: []),
            "socket 'http' (fd 3) has an unknown FileDescriptorName; no socket is expected"
        ),
        (
            .notEnabled(.pushDatagram, name: "push-dgram", fileDescriptor: 5),
            "socket 'push-dgram' (fd 5) was passed by systemd but the push-dgram listener is turned off"
        ),
        (
            .notEnabled(.http, name: "unknown", fileDescriptor: 3),
            "socket 'unknown' (fd 3, taken as 'http') was passed by systemd but the http listener is turned off"
        ),
        (
            .wrongType(.push, name: "push", fileDescriptor: 4),
            "socket 'push' (fd 4) is not a listening AF_UNIX SOCK_STREAM socket"
        ),
        (
            .wrongType(.http, name: "http", fileDescriptor: 3),
            "socket 'http' (fd 3) is not a listening AF_INET or AF_INET6 SOCK_STREAM socket"
        ),
        (
            .wrongType(.pushDatagram, name: "push-dgram", fileDescriptor: 5),
            "socket 'push-dgram' (fd 5) is not an AF_UNIX SOCK_DGRAM socket"
        ),
        (
            .wrongType(.statsdUDP, name: "statsd-udp", fileDescriptor: 6),
            "socket 'statsd-udp' (fd 6) is not an AF_INET or AF_INET6 SOCK_DGRAM socket"
        ),
        (
            .wrongType(.otlp, name: "otlp", fileDescriptor: 7),
            "socket 'otlp' (fd 7) is not a listening AF_INET or AF_INET6 SOCK_STREAM socket"
        ),
        (
            .wrongType(.http, name: "unknown", fileDescriptor: 3),
            "socket 'unknown' (fd 3, taken as 'http') is not a listening AF_INET or AF_INET6 SOCK_STREAM socket"
        ),
        (
            .inspectionFailed(
                .push, name: "push", fileDescriptor: 4, error: SystemdError(call: "sd_is_socket_unix", errno: EBADF)),
            "socket 'push' (fd 4) cannot be checked: sd_is_socket_unix failed: Bad file descriptor (errno 9)"
        ),
        (
            .missing(.push),
            "systemd passed no socket named 'push' but the push listener is turned on; "
                + "add FileDescriptorName=push to the socket unit or turn the listener off"
        ),
        (
            .missing(.statsdUDP),
            "systemd passed no socket named 'statsd-udp' but the statsd-udp listener is turned on; "
                + "add FileDescriptorName=statsd-udp to the socket unit or turn the listener off"
        ),
    ]

    @Test(arguments: describedErrors)
    func describesErrorsInOneLine(error: SocketActivationError, expected: String) {
        #expect(error.description == expected)
        #expect(!error.description.contains("\n"))
    }
}
