import Glibc
import SystemIO

/// Runs `loop` until a handler stops it or `timeout` passes. Returns false on timeout, so a test that waits for an
/// event fails instead of hanging.
func runLoop(_ loop: EventLoop, timeout: Duration = .seconds(5)) throws -> Bool {
    var timedOut = false
    let guardTimer = loop.schedule(after: timeout) {
        timedOut = true
        loop.stop()
    }
    try loop.run()
    loop.cancel(guardTimer)
    return !timedOut
}

/// An event handler that forwards to a closure.
final class ClosureHandler: EventHandler {
    private let body: (EpollEvents) -> Void

    init(_ body: @escaping (EpollEvents) -> Void) {
        self.body = body
    }

    func handle(events: EpollEvents) {
        body(events)
    }
}

/// A connected pair of non-blocking UNIX stream sockets, as raw descriptors for the caller to own.
func makeSocketPair() throws -> (Int32, Int32) {
    var pair: [Int32] = [-1, -1]
    let type = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
    guard socketpair(AF_UNIX, type, 0, &pair) == 0 else {
        throw SystemError(call: "socketpair", errno: errno)
    }
    return (pair[0], pair[1])
}

/// Writes all of `text`, or throws.
func send(_ text: String, to descriptor: borrowing FileDescriptor) throws {
    let bytes = Array(text.utf8)
    let result = try bytes.withUnsafeBytes { buffer in try descriptor.write(buffer) }
    guard result == .processed(bytes.count) else {
        throw SystemError(call: "write (short)", errno: EIO)
    }
}

/// Reads what is available (up to 4 KiB) as text; nil at end of file or when nothing came.
func receive(from descriptor: borrowing FileDescriptor) throws -> String? {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let result = try buffer.withUnsafeMutableBytes { bytes in try descriptor.read(into: bytes) }
    guard case .processed(let count) = result, count > 0 else {
        return nil
    }
    return String(decoding: buffer[..<count], as: UTF8.self)
}

/// Bounds blocking reads on a client socket so that a broken server fails the test instead of hanging it.
func setReceiveTimeout(_ descriptor: borrowing FileDescriptor, seconds: Int = 5) {
    var timeout = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(descriptor.rawValue, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
}

/// A blocking TCP client connected to `host` (an IPv4 or IPv6 literal) and `port`.
func connectTCP(host: String, port: UInt16) throws -> FileDescriptor {
    let isIPv6 = host.contains(":")
    let family = isIPv6 ? AF_INET6 : AF_INET
    let socket = FileDescriptor(
        owning: Glibc.socket(family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0))
    var status: Int32
    if isIPv6 {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        inet_pton(AF_INET6, host, &address.sin6_addr)
        status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket.rawValue, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        }
    } else {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket.rawValue, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
    guard status == 0 else {
        throw SystemError(call: "connect(\(host):\(port))", errno: errno)
    }
    setReceiveTimeout(socket)
    return socket
}

/// A fresh directory under /tmp, short enough for socket paths inside it.
func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/tally-el-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else {
        throw SystemError(call: "mkdtemp", errno: errno)
    }
    return String(cString: created)
}

/// Deletes `path` and everything below it.
func removeTree(_ path: String) {
    var status = stat()
    guard lstat(path, &status) == 0 else {
        return
    }
    if status.st_mode & S_IFMT == S_IFDIR, let directory = opendir(path) {
        var children: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." {
                children.append(name)
            }
        }
        closedir(directory)
        for child in children {
            removeTree(path + "/" + child)
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// `lstat`, or nil when the path does not exist.
func fileStatus(_ path: String) -> stat? {
    var status = stat()
    return lstat(path, &status) == 0 ? status : nil
}

/// Whether the system can bind `[::1]`.
func ipv6LoopbackAvailable() -> Bool {
    let socket = Glibc.socket(AF_INET6, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
    guard socket >= 0 else {
        return false
    }
    defer { close(socket) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
        }
    }
}
