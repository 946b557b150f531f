import Glibc
import Systemd
import Testing

/// Sorting and checking passed sockets, with real sockets at whatever descriptors they get; nothing here reads
/// or sets the environment.
@Suite
struct SocketActivationTests {
    typealias Listener = SocketActivation.Listener
    typealias Listeners = SocketActivation.Listeners
    typealias Outcome = Result<Listeners, SocketActivationError>

    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let sockets: [(name: String, kind: SocketKind)]
        let enabled: Set<Listener>
        /// The outcome, given the descriptors the sockets were opened at.
        let expected: @Sendable (_ descriptors: [Int32]) -> Outcome
    }

    static let everyListener: Set<Listener> = [.http, .push, .pushDatagram]

    static let cases: [Case] = [
        Case(
            testDescription: "all three named",
            sockets: [("http", .tcpListening), ("push", .unixStreamListening), ("push-dgram", .unixDatagram)],
            enabled: everyListener,
            expected: { .success(Listeners(http: [$0[0]], push: [$0[1]], pushDatagram: [$0[2]])) }),
        Case(
            testDescription: "two http sockets and the push sockets in another order",
            sockets: [
                ("push-dgram", .unixDatagram), ("http", .tcpListening), ("push", .unixStreamListening),
                ("http", .tcp6Listening),
            ],
            enabled: everyListener,
            expected: { .success(Listeners(http: [$0[1], $0[3]], push: [$0[2]], pushDatagram: [$0[0]])) }),
        Case(
            testDescription: "stream push turned off",
            sockets: [("http", .tcpListening), ("push-dgram", .unixDatagram)],
            enabled: [.http, .pushDatagram],
            expected: { .success(Listeners(http: [$0[0]], pushDatagram: [$0[1]])) }),
        Case(
            testDescription: "one unnamed TCP socket is http",
            sockets: [("unknown", .tcpListening)], enabled: [.http],
            expected: { .success(Listeners(http: [$0[0]])) }),
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
            sockets: [("unknown", .tcpListening), ("unknown", .unixStreamListening)], enabled: everyListener,
            expected: { .failure(.unknownName("unknown", fileDescriptor: $0[0], passedCount: 2)) }),
        Case(
            testDescription: "an unknown name",
            sockets: [("http", .tcpListening), ("metrics", .tcpListening)], enabled: [.http],
            expected: { .failure(.unknownName("metrics", fileDescriptor: $0[1], passedCount: 2)) }),
        Case(
            testDescription: "an empty name",
            sockets: [("", .tcpListening)], enabled: [.http],
            expected: { .failure(.unknownName("", fileDescriptor: $0[0], passedCount: 1)) }),
        Case(
            testDescription: "a TCP socket named push",
            sockets: [("http", .tcpListening), ("push", .tcpListening)], enabled: [.http, .push],
            expected: { .failure(.wrongType(.push, name: "push", fileDescriptor: $0[1])) }),
        Case(
            testDescription: "a datagram socket named http",
            sockets: [("http", .unixDatagram)], enabled: [.http],
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
            testDescription: "a datagram socket named push",
            sockets: [("http", .tcpListening), ("push", .unixDatagram)], enabled: [.http, .push],
            expected: { .failure(.wrongType(.push, name: "push", fileDescriptor: $0[1])) }),
        Case(
            testDescription: "push missing",
            sockets: [("http", .tcpListening), ("push-dgram", .unixDatagram)], enabled: everyListener,
            expected: { _ in .failure(.missing(.push)) }),
        Case(
            testDescription: "http missing",
            sockets: [("push", .unixStreamListening)], enabled: [.http, .push],
            expected: { _ in .failure(.missing(.http)) }),
        Case(
            testDescription: "nothing passed",
            sockets: [], enabled: [.http],
            expected: { _ in .failure(.missing(.http)) }),
        Case(
            testDescription: "push passed but turned off",
            sockets: [("http", .tcpListening), ("push", .unixStreamListening)], enabled: [.http],
            expected: { .failure(.notEnabled(.push, fileDescriptor: $0[1])) }),
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
            try SocketActivation.listeners(from: passed, enabled: activationCase.enabled)
        }
        #expect(outcome == activationCase.expected(descriptors))
    }

    @Test(arguments: [Int32(-1), 999_999])
    func reportsADescriptorThatIsNotOpen(descriptor: Int32) {
        let passed = [SocketActivation.PassedSocket(name: "http", fileDescriptor: descriptor)]
        #expect(
            throws: SocketActivationError.inspectionFailed(
                .http, name: "http", fileDescriptor: descriptor,
                error: SystemdError(call: "sd_is_socket_inet", errno: EBADF))
        ) {
            try SocketActivation.listeners(from: passed, enabled: [.http])
        }
    }

    static let describedErrors: [(error: SocketActivationError, expected: String)] = [
        (
            .noSockets(reason: "LISTEN_FDS unset"),
            "--web.systemd-socket given but systemd passed no sockets (LISTEN_FDS unset)"
        ),
        (
            .invalidEnvironment(errno: EINVAL, listenFDs: "2", listenFDNames: "http"),
            "--web.systemd-socket: systemd's LISTEN_FDS='2' and LISTEN_FDNAMES='http' are unusable: "
                + "sd_listen_fds_with_names failed: Invalid argument (errno 22)"
        ),
        (
            .invalidEnvironment(errno: EBADF, listenFDs: "1", listenFDNames: nil),
            "--web.systemd-socket: systemd's LISTEN_FDS='1' and LISTEN_FDNAMES=unset are unusable: "
                + "sd_listen_fds_with_names failed: Bad file descriptor (errno 9)"
        ),
        (
            .unknownName("metrics", fileDescriptor: 5, passedCount: 3),
            "socket 'metrics' (fd 5) has an unknown FileDescriptorName; expected one of 'http', 'push', 'push-dgram'"
        ),
        (
            .unknownName("connection", fileDescriptor: 3, passedCount: 1),
            "socket 'connection' (fd 3) has an unknown FileDescriptorName; expected one of 'http', 'push', "
                + "'push-dgram' (socket units with Accept=yes are not supported)"
        ),
        (
            .unknownName("unknown", fileDescriptor: 3, passedCount: 2),
            "socket 'unknown' (fd 3) has an unknown FileDescriptorName; expected one of 'http', 'push', "
                + "'push-dgram' (2 sockets were passed without FileDescriptorName=; name each of them)"
        ),
        (
            .notEnabled(.pushDatagram, fileDescriptor: 5),
            "socket 'push-dgram' (fd 5) was passed by systemd but the push-dgram listener is turned off"
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
    ]

    @Test(arguments: describedErrors)
    func describesErrorsInOneLine(error: SocketActivationError, expected: String) {
        #expect(error.description == expected)
        #expect(!error.description.contains("\n"))
    }
}
