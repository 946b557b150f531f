import Glibc
import Systemd
import Testing

/// Socket activation the way systemd does it: the sockets sit at descriptors 3, 4, ... of a new process whose
/// `$LISTEN_PID` is its own pid. That process is this test binary again, started with `--filter` for the test
/// that spawned it; it finds `$TALLY_SYSTEMD_TEST_RESULT` set, calls `SocketActivation`, writes one line to that
/// file and exits. The parent checks the line.
@Suite(.serialized)
struct SocketActivationProcessTests {
    typealias Listener = SocketActivation.Listener

    /// Where the child writes its line.
    static let resultVariable = "TALLY_SYSTEMD_TEST_RESULT"
    /// The names of the listeners the child turns on, comma-separated; it knows `Listener.all` and takes a lone
    /// unnamed socket as `http`.
    static let enabledVariable = "TALLY_SYSTEMD_TEST_ENABLED"

    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let sockets: [SocketKind]
        /// `$LISTEN_FDNAMES`, or nil to leave it unset.
        let names: String?
        let enabled: [Listener]
        let expected: String
    }

    static let cases: [Case] = [
        Case(
            testDescription: "three named sockets",
            sockets: [.tcpListening, .unixStreamListening, .unixDatagram], names: "http:push:push-dgram",
            enabled: [.http, .push, .pushDatagram],
            expected: "passed=http@3,push@4,push-dgram@5 http=3 push=4 push-dgram=5 cloexec=3,4,5 LISTEN_FDS=3"),
        Case(
            testDescription: "two http sockets, stream push off",
            sockets: [.tcpListening, .tcp6Listening, .unixDatagram], names: "http:http:push-dgram",
            enabled: [.http, .pushDatagram],
            expected: "passed=http@3,http@4,push-dgram@5 http=3,4 push-dgram=5 cloexec=3,4,5 LISTEN_FDS=3"),
        Case(
            testDescription: "names tally did not know: otlp over TCP, statsd-udp over UDP",
            sockets: [.tcpListening, .udp, .tcp6Listening], names: "otlp:statsd-udp:otlp",
            enabled: [.otlp, .statsdUDP],
            expected: "passed=otlp@3,statsd-udp@4,otlp@5 otlp=3,5 statsd-udp=4 cloexec=3,4,5 LISTEN_FDS=3"),
        Case(
            testDescription: "one socket without LISTEN_FDNAMES",
            sockets: [.tcpListening], names: nil, enabled: [.http],
            expected: "passed=unknown@3 http=3 cloexec=3 LISTEN_FDS=1"),
        Case(
            testDescription: "fewer names than sockets",
            sockets: [.tcpListening, .unixStreamListening], names: "http", enabled: [.http, .push],
            expected: "error: systemd's LISTEN_FDS='2' and LISTEN_FDNAMES='http' are unusable: "
                + "sd_listen_fds_with_names failed: Invalid argument (errno 22)"),
        Case(
            testDescription: "a TCP socket named push",
            sockets: [.tcpListening, .tcpListening], names: "http:push", enabled: [.http, .push],
            expected: "error: socket 'push' (fd 4) is not a listening AF_UNIX SOCK_STREAM socket"),
        Case(
            testDescription: "push turned on but not passed",
            sockets: [.tcpListening], names: "http", enabled: [.http, .push],
            expected: "error: systemd passed no socket named 'push' but the push listener is turned on; "
                + "add FileDescriptorName=push to the socket unit or turn the listener off"),
    ]

    @Test(arguments: cases)
    func takesSocketsPassedLikeSystemd(_ activationCase: Case) throws {
        Self.actAsActivatedChildIfAsked()
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for kind in activationCase.sockets {
            sockets.append(try kind.open(in: directory))
        }
        var environment = [
            "LISTEN_FDS=\(sockets.count)",
            "\(Self.enabledVariable)=\(activationCase.enabled.map(\.name).joined(separator: ","))",
        ]
        if let names = activationCase.names {
            environment.append("LISTEN_FDNAMES=\(names)")
        }
        // Like systemd: set LISTEN_PID to the pid of the process that execs the service.
        let arguments = ["/bin/sh", "-c", "LISTEN_PID=$$; export LISTEN_PID; exec \"$0\" \"$@\""]
        let line = try Self.runChild(
            arguments: arguments, passing: sockets, environment: environment, in: directory,
            filter: "takesSocketsPassedLikeSystemd")
        #expect(line == activationCase.expected)
    }

    @Test(
        .enabled(if: access("/usr/bin/systemd-socket-activate", X_OK) == 0, "needs systemd-socket-activate"),
        arguments: [Listener.push, .pushDatagram])
    func takesASocketFromSystemdSocketActivate(_ listener: Listener) throws {
        Self.actAsActivatedChildIfAsked()
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/activate.sock"
        let datagram = listener == .pushDatagram
        var arguments = ["/usr/bin/systemd-socket-activate", "--listen=\(path)", "--fdname=\(listener.name)"]
        if datagram {
            arguments.append("--datagram")
        }
        arguments += ["-E", "\(Self.resultVariable)=\(directory)/result"]
        arguments += ["-E", "\(Self.enabledVariable)=\(listener.name)"]
        // systemd-socket-activate starts the service on the first connection or datagram.
        let line = try Self.runChild(
            arguments: arguments, passing: [], environment: [], in: directory,
            filter: "takesASocketFromSystemdSocketActivate"
        ) {
            try Self.knock(on: path, datagram: datagram)
        }
        let name = listener.name
        #expect(line == "passed=\(name)@3 \(name)=3 cloexec=3 LISTEN_FDS=1")
    }

    @Test(arguments: [
        ([String: String](), "error: systemd passed no sockets (LISTEN_FDS unset)"),
        (
            ["LISTEN_FDS": "1"],
            "error: systemd passed no sockets (LISTEN_PID unset)"
        ),
        (
            ["LISTEN_FDS": "1", "LISTEN_PID": "1"],
            "error: systemd passed no sockets (LISTEN_PID=1 is not this process (<pid>))"
        ),
        (
            ["LISTEN_FDS": "three", "LISTEN_PID": "<pid>"],
            "error: systemd's LISTEN_FDS='three' and LISTEN_FDNAMES=unset are unusable: "
                + "sd_listen_fds_with_names failed: Invalid argument (errno 22)"
        ),
        (
            ["LISTEN_FDS": "0", "LISTEN_PID": "<pid>", "LISTEN_FDNAMES": ""],
            "error: systemd's LISTEN_FDS='0' and LISTEN_FDNAMES='' are unusable: "
                + "sd_listen_fds_with_names failed: Invalid argument (errno 22)"
        ),
    ])
    func reportsMissingOrMalformedVariables(variables: [String: String], expected: String) async throws {
        // These never reach the descriptors, so the child can be an exit test, whatever it has open at 3.
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            [variables = variables as [String: String]] in
            for name in ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"] {
                unsetenv(name)
            }
            for (name, value) in variables {
                setenv(name, value.replacing("<pid>", with: String(getpid())), 1)
            }
            print("pid=\(getpid())")
            print(
                SocketActivationProcessTests.describe { () throws(SocketActivationError) in
                    try SocketActivation.sockets(
                        for: [.http], among: SocketActivation.Listener.tally, takingUnnamedSocketAs: .http)
                })
        }
        let output = lines(result?.standardOutputContent)
        try #require(output.count == 2, "\(output)")
        let pid = String(output[0].dropFirst("pid=".count))
        #expect(output[1] == expected.replacing("<pid>", with: pid))
    }

    // MARK: - The child's side

    /// In a child started by one of these tests: reads the passed sockets, writes the outcome to
    /// `$TALLY_SYSTEMD_TEST_RESULT` and exits. In the parent: returns at once.
    static func actAsActivatedChildIfAsked() {
        guard let resultPath = getenv(resultVariable).map({ String(cString: $0) }) else {
            return
        }
        let enabled = getenv(enabledVariable).map { String(cString: $0) } ?? ""
        let names = Set(enabled.split(separator: ",").map(String.init))
        let listeners = Set(Listener.all.filter { names.contains($0.name) })
        let line = describe { () throws(SocketActivationError) in
            let passed = try SocketActivation.passedSockets()
            let found = try SocketActivation.sockets(for: listeners, among: Listener.all, takingUnnamedSocketAs: .http)
            var parts = ["passed=" + passed.map { "\($0.name)@\($0.fileDescriptor)" }.joined(separator: ",")]
            for listener in Listener.all where !found[listener].isEmpty {
                parts.append("\(listener.name)=" + found[listener].map(String.init).joined(separator: ","))
            }
            let closing = passed.map(\.fileDescriptor).filter { fcntl($0, F_GETFD) & FD_CLOEXEC != 0 }
            parts.append("cloexec=" + closing.map(String.init).joined(separator: ","))
            parts.append("LISTEN_FDS=" + (getenv("LISTEN_FDS").map { String(cString: $0) } ?? "<unset>"))
            return parts.joined(separator: " ")
        }
        let descriptor = open(resultPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            let bytes = Array(line.utf8)
            _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
        exit(0)
    }

    /// The result of `body`, or `error: ` and the error's description.
    static func describe<Value>(_ body: () throws(SocketActivationError) -> Value) -> String {
        do {
            return "\(try body())"
        } catch {
            return "error: \(error)"
        }
    }

    // MARK: - The parent's side

    /// Starts `arguments` followed by this test binary filtered to `filter`, with `sockets` at descriptors 3, 4,
    /// ..., `environment` added to a copy of ours without systemd's variables, and stdout and stderr in
    /// `directory/log`. Calls `afterStart`, waits at most 60 seconds, and returns the line the child wrote.
    static func runChild(
        arguments: [String], passing sockets: [Int32], environment: [String], in directory: String, filter: String,
        afterStart: () throws -> Void = {}
    ) throws -> String {
        let resultPath = directory + "/result"
        let logPath = directory + "/log"
        let command =
            arguments + [try executablePath(), "--testing-library", "swift-testing", "--filter", filter]
        var childEnvironment = inheritedEnvironment() + environment
        childEnvironment.append("\(resultVariable)=\(resultPath)")

        // Copies above any target descriptor, so that placing one at 3 cannot overwrite another's source.
        var sources: [Int32] = []
        defer { sources.forEach { close($0) } }
        for socket in sockets {
            sources.append(try check("fcntl", fcntl(socket, F_DUPFD_CLOEXEC, 100)))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        for (index, source) in sources.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, source, 3 + Int32(index))
        }
        let pid = try withCStrings(command) { argv in
            try withCStrings(childEnvironment) { envp in
                var pid: pid_t = 0
                let error = posix_spawn(&pid, command[0], &actions, nil, argv, envp)
                guard error == 0 else {
                    throw TestSystemError(call: "posix_spawn \(command[0])", errno: error)
                }
                return pid
            }
        }
        var exited = false
        defer {
            if !exited {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
        }
        try afterStart()
        var status: Int32 = 0
        for _ in 0..<6000 where !exited {
            let waited = waitpid(pid, &status, WNOHANG)
            exited = waited == pid
            if !exited {
                usleep(10_000)
            }
        }
        let log = readFile(logPath) ?? ""
        try #require(exited, "the child did not finish within 60 s; its output:\n\(log)")
        return try #require(readFile(resultPath), "the child wrote no result; its output:\n\(log)")
    }

    /// Connects to, or sends a datagram to, the socket `systemd-socket-activate` listens on, once it exists.
    static func knock(on path: String, datagram: Bool) throws {
        let type = datagram ? SOCK_DGRAM : SOCK_STREAM
        for _ in 0..<1000 {
            let descriptor = try check(
                "socket", socket(AF_UNIX, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
            defer { close(descriptor) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if connected == 0 {
                if datagram {
                    _ = send(descriptor, "x", 1, 0)
                }
                return
            }
            usleep(10_000)
        }
        throw TestSystemError(call: "connect \(path)", errno: errno)
    }

    /// This test binary, to start again as the activated service.
    static func executablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        let count = readlink("/proc/self/exe", &buffer, buffer.count)
        guard count > 0 else {
            throw TestSystemError(call: "readlink /proc/self/exe", errno: errno)
        }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Our environment without the variables systemd sets, so that only the test's own reach the child.
    static func inheritedEnvironment() -> [String] {
        let dropped = ["LISTEN_", "NOTIFY_SOCKET=", "WATCHDOG_", "JOURNAL_STREAM=", "TALLY_SYSTEMD_TEST_"]
        var entries: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if !dropped.contains(where: { text.hasPrefix($0) }) {
                entries.append(text)
            }
            cursor += 1
        }
        return entries
    }

    /// The whole content of the file at `path`, or nil when it cannot be read.
    static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return nil
        }
        defer { close(descriptor) }
        var content: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                break
            }
            content += buffer[..<count]
        }
        return String(decoding: content, as: UTF8.self)
    }

    /// Calls `body` with a NULL-terminated array of C strings made from `strings`.
    static func withCStrings<Result>(
        _ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) throws -> Result
    ) throws -> Result {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return try body(pointers)
    }
}
