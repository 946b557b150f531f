import Glibc
import SystemIO
import Testing

@Suite struct UnixSocketTests {
    /// Accepts one connection on `listener` and returns the accepted descriptor's peer credentials.
    private func acceptOne(_ listener: StreamListener, loop: EventLoop) throws -> PeerCredentials? {
        var credentials: PeerCredentials?
        try listener.start(on: loop) { connection in
            credentials = try? connection.peerCredentials()
            loop.stop()
        }
        #expect(try runLoop(loop))
        return credentials
    }

    @Test func streamListenerExchangesDataAndReportsPeerCredentials() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/push.sock"
        let listener = try StreamListener(unixPath: path)
        #expect(listener.localAddress.description == path)
        #expect(listener.localAddress.family == AF_UNIX)
        #expect(listener.port == nil)

        let loop = try EventLoop()
        var connection: EchoConnection?
        var credentials: PeerCredentials?
        try listener.start(on: loop) { accepted in
            credentials = try? accepted.peerCredentials()
            let echo = EchoConnection(accepted, loop: loop)
            try? loop.register(echo.descriptor, interest: .input, handler: echo)
            connection = echo
        }
        let client = try FileDescriptor.connect(unixPath: path, kind: .stream)
        setReceiveTimeout(client)
        try send("crypto.data.processed:1|c\n", to: client)
        #expect(try runLoop(loop))
        #expect(try receive(from: client) == "crypto.data.processed:1|c\n")
        #expect(connection?.echoed == "crypto.data.processed:1|c\n")
        #expect(credentials == PeerCredentials(processID: getpid(), userID: getuid(), groupID: getgid()))
        listener.close()
        #expect(fileStatus(path) == nil)
    }

    @Test func datagramSocketReceivesWithCredentials() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/push.dgram.sock"
        let socket = try DatagramSocket(unixPath: path)
        let loop = try EventLoop()
        var received: [(String, ReceivedDatagram)] = []
        try socket.start(on: loop, bufferSize: 16) { bytes, datagram in
            received.append((String(decoding: bytes, as: UTF8.self), datagram))
            if received.count == 2 {
                loop.stop()
            }
        }
        let client = try FileDescriptor.connect(unixPath: path, kind: .datagram)
        try send("a:1|c\nb:2|g", to: client)
        try send("this datagram is longer than sixteen bytes", to: client)
        #expect(try runLoop(loop))
        socket.close()
        #expect(fileStatus(path) == nil)

        try #require(received.count == 2)
        let me = PeerCredentials(processID: getpid(), userID: getuid(), groupID: getgid())
        #expect(received[0].0 == "a:1|c\nb:2|g")
        #expect(received[0].1 == ReceivedDatagram(byteCount: 11, credentials: me, isTruncated: false))
        #expect(received[1].0 == "this datagram is")
        #expect(received[1].1.isTruncated)
        #expect(received[1].1.credentials == me)
    }

    @Test(arguments: [UnixSocketKind.stream, .datagram])
    func staleSocketFileIsReplaced(kind: UnixSocketKind) throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/stale.sock"
        // Bind and close without unlinking, as a crashed process would leave it.
        let type = kind == .stream ? SOCK_STREAM : SOCK_DGRAM
        let raw = try #require(bindRawUnixSocket(type: type, to: path))
        close(raw)
        #expect(fileStatus(path).map { $0.st_mode & S_IFMT } == S_IFSOCK)
        let refused = #expect(throws: SocketError.self) { _ = try FileDescriptor.connect(unixPath: path, kind: kind) }
        #expect(refused == .system(SystemError(call: "connect(\(path))", errno: ECONNREFUSED)))

        switch kind {
        case .stream:
            let listener = try StreamListener(unixPath: path)
            _ = try FileDescriptor.connect(unixPath: path, kind: kind)
            listener.close()
        case .datagram:
            let socket = try DatagramSocket(unixPath: path)
            _ = try FileDescriptor.connect(unixPath: path, kind: kind)
            socket.close()
        }
        #expect(fileStatus(path) == nil)
    }

    @Test(arguments: [(UnixSocketKind.stream, UnixSocketKind.stream), (.datagram, .datagram), (.stream, .datagram)])
    func liveSocketIsRefused(running: UnixSocketKind, second: UnixSocketKind) throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/live.sock"
        let streamOwner = running == .stream ? try StreamListener(unixPath: path) : nil
        let datagramOwner = running == .datagram ? try DatagramSocket(unixPath: path) : nil
        let inode = try #require(fileStatus(path)).st_ino

        let error = #expect(throws: SocketError.socketInUse(path: path)) {
            switch second {
            case .stream: _ = try StreamListener(unixPath: path)
            case .datagram: _ = try DatagramSocket(unixPath: path)
            }
        }
        #expect(error?.description == "socket \"\(path)\" is already in use by a running process")
        #expect(try #require(fileStatus(path)).st_ino == inode)
        streamOwner?.close()
        datagramOwner?.close()
    }

    @Test func regularFileAtThePathIsRefusedAndLeftAlone() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/not-a-socket"
        let file = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
        #expect(write(file, "keep me", 7) == 7)
        close(file)

        let error = #expect(throws: SocketError.notASocket(path: path)) { try StreamListener(unixPath: path) }
        #expect(error?.description == "\"\(path)\" exists and is not a socket; refusing to replace it")
        #expect(throws: SocketError.notASocket(path: path)) { try DatagramSocket(unixPath: path) }
        let status = try #require(fileStatus(path))
        #expect(status.st_mode & S_IFMT == S_IFREG)
        #expect(status.st_size == 7)
    }

    @Test func modeAndGroupAreApplied() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let defaultPath = directory + "/default.sock"
        let listener = try StreamListener(unixPath: defaultPath)
        #expect(try #require(fileStatus(defaultPath)).st_mode & 0o777 == 0o660)
        listener.close()

        let groupName = try #require(getgrgid(getgid())).pointee.gr_name.map { String(cString: $0) }
        let customPath = directory + "/custom.sock"
        let custom = try DatagramSocket(unixPath: customPath, options: UnixSocketOptions(mode: 0o600, group: groupName))
        let status = try #require(fileStatus(customPath))
        #expect(status.st_mode & 0o777 == 0o600)
        #expect(status.st_gid == getgid())
        custom.close()

        let numericPath = directory + "/numeric.sock"
        let numeric = try StreamListener(unixPath: numericPath, options: UnixSocketOptions(group: "\(getgid())"))
        #expect(try #require(fileStatus(numericPath)).st_gid == getgid())
        numeric.close()
    }

    @Test func unknownGroupFailsAndLeavesNoSocketFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/group.sock"
        #expect(throws: SocketError.unknownGroup("no-such-group-for-tally")) {
            try StreamListener(unixPath: path, options: UnixSocketOptions(group: "no-such-group-for-tally"))
        }
        #expect(fileStatus(path) == nil)
    }

    @Test func missingParentDirectoriesAreCreated() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/run/tally/push.sock"
        let listener = try StreamListener(unixPath: path)
        let parent = try #require(fileStatus(directory + "/run/tally"))
        #expect(parent.st_mode & S_IFMT == S_IFDIR)
        #expect(parent.st_mode & 0o777 == 0o755 & ~currentUmask())
        #expect(try #require(fileStatus(path)).st_mode & S_IFMT == S_IFSOCK)
        listener.close()
    }

    @Test func uncreatableParentDirectoryIsAClearError() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let file = open(directory + "/file", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
        close(file)
        let path = directory + "/file/sub/push.sock"
        let error = #expect(throws: SocketError.self) { try StreamListener(unixPath: path) }
        guard case .cannotCreateDirectory(let created, let socketPath, let cause)? = error else {
            Issue.record("expected cannotCreateDirectory, got \(String(describing: error))")
            return
        }
        #expect(created == directory + "/file/sub")
        #expect(socketPath == path)
        #expect(cause.errno == ENOTDIR)
        #expect(error?.description.hasPrefix("cannot create directory \"\(directory)/file/sub\" for socket") == true)
    }

    @Test func overlongAndEmptyPathsAreClearErrors() throws {
        let path = "/tmp/" + String(repeating: "a", count: 200) + ".sock"
        let error = #expect(throws: SocketError.socketPathTooLong(path: path, maximum: 107)) {
            try StreamListener(unixPath: path)
        }
        #expect(
            error?.description
                == "socket path \"\(path)\" is \(path.utf8.count) bytes long; UNIX socket paths are limited to 107")
        #expect(throws: SocketError.invalidSocketPath(path: "")) { try DatagramSocket(unixPath: "") }
        #expect(throws: SocketError.socketPathTooLong(path: path, maximum: 107)) {
            _ = try FileDescriptor.connect(unixPath: path, kind: .stream)
        }
    }

    @Test func aReplacedSocketFileIsNotRemovedOnClose() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/replaced.sock"
        let listener = try StreamListener(unixPath: path)
        unlink(path)
        let successor = try StreamListener(unixPath: path)
        let inode = try #require(fileStatus(path)).st_ino
        listener.close()
        #expect(try #require(fileStatus(path)).st_ino == inode)
        successor.close()
        #expect(fileStatus(path) == nil)
    }

    @Test func connectingToAMissingSocketNamesThePath() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/absent.sock"
        let error = #expect(throws: SocketError.self) {
            _ = try FileDescriptor.connect(unixPath: path, kind: .stream)
        }
        #expect(error?.description == "connect(\(path)): No such file or directory (errno 2)")
    }

    @Test func adoptsAnInheritedDatagramSocketAndLeavesItsFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/adopted.sock"
        let raw = try #require(bindRawUnixSocket(type: SOCK_DGRAM, to: path))

        let adopted = try DatagramSocket(adopting: raw)
        #expect(fcntl(raw, F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(raw, F_GETFD) & FD_CLOEXEC != 0)
        let loop = try EventLoop()
        var sender: PeerCredentials?
        try adopted.start(on: loop) { _, datagram in
            sender = datagram.credentials
            loop.stop()
        }
        let client = try FileDescriptor.connect(unixPath: path, kind: .datagram)
        try send("up:1|g", to: client)
        #expect(try runLoop(loop))
        #expect(sender?.processID == getpid())
        adopted.close()
        #expect(fcntl(raw, F_GETFD) == -1)
        #expect(fileStatus(path) != nil)

        let streamRaw = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(throws: SocketError.unsuitableDescriptor(streamRaw, expected: "a datagram socket")) {
            try DatagramSocket(adopting: streamRaw)
        }
    }
}

/// The process's file mode creation mask, read without changing it for longer than two calls.
private func currentUmask() -> mode_t {
    let mask = umask(0o022)
    umask(mask)
    return mask
}

/// A Unix socket of `type` bound to `path` with plain system calls, bypassing the code under test; nil if the
/// socket or the bind fails.
private func bindRawUnixSocket(type: __socket_type, to path: String) -> Int32? {
    let raw = Glibc.socket(AF_UNIX, Int32(type.rawValue), 0)
    guard raw >= 0 else { return nil }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(raw, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard bound == 0 else {
        close(raw)
        return nil
    }
    return raw
}
