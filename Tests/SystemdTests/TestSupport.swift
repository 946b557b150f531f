import Glibc
import Synchronization
import Systemd

/// The listeners the socket activation tests ask for: tally's three, and two names a general adapter must take as
/// well (an OTLP receiver over TCP, StatsD over UDP).
extension SocketActivation.Listener {
    static let http = Self(name: "http", socket: .listeningStream(family: .internet))
    static let push = Self(name: "push", socket: .listeningStream(family: .unix))
    static let pushDatagram = Self(name: "push-dgram", socket: .datagram(family: .unix))
    static let otlp = Self(name: "otlp", socket: .listeningStream(family: .internet))
    static let statsdUDP = Self(name: "statsd-udp", socket: .datagram(family: .internet))

    /// tally's listeners, in the order tally lists them.
    static let tally: [Self] = [.http, .push, .pushDatagram]
    /// tally's and the two new ones.
    static let all: [Self] = tally + [.otlp, .statsdUDP]
}

/// A system call in a test helper failed.
struct TestSystemError: Error, CustomStringConvertible {
    let call: String
    let errno: Int32

    var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// `result` of `call`, or a ``TestSystemError`` with the current errno when it is negative.
@discardableResult
func check(_ call: String, _ result: Int32) throws -> Int32 {
    if result < 0 {
        throw TestSystemError(call: call, errno: errno)
    }
    return result
}

/// A fresh private directory under /tmp for socket files, short enough for `sun_path`.
func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/tally-systemd-XXXXXX".utf8CString)
    guard mkdtemp(&template) != nil else {
        throw TestSystemError(call: "mkdtemp", errno: errno)
    }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Removes the socket files `makeTemporaryDirectory` held and the directory itself.
func removeDirectory(_ path: String) {
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." {
                unlink(path + "/" + name)
            }
        }
        closedir(directory)
    }
    rmdir(path)
}

/// The kinds of socket the tests hand to socket activation.
enum SocketKind: String, Codable, Sendable {
    case tcpListening
    case tcp6Listening
    case tcpNotListening
    case unixStreamListening
    case unixStreamNotListening
    case unixDatagram
    case udp

    /// Opens a socket of this kind; UNIX sockets are bound to a new file in `directory`.
    func open(in directory: String) throws -> Int32 {
        switch self {
        case .tcpListening, .tcpNotListening:
            return try makeInternetSocket(family: AF_INET, type: SOCK_STREAM, listening: self == .tcpListening)
        case .tcp6Listening:
            return try makeInternetSocket(family: AF_INET6, type: SOCK_STREAM, listening: true)
        case .udp:
            return try makeInternetSocket(family: AF_INET, type: SOCK_DGRAM, listening: false)
        case .unixStreamListening, .unixStreamNotListening:
            let descriptor = try check(
                "socket", socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
            try bindUnix(descriptor, to: uniquePath(in: directory))
            if self == .unixStreamListening {
                try check("listen", listen(descriptor, 8))
            }
            return descriptor
        case .unixDatagram:
            let descriptor = try check(
                "socket", socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
            try bindUnix(descriptor, to: uniquePath(in: directory))
            return descriptor
        }
    }

    private func uniquePath(in directory: String) -> String {
        "\(directory)/\(rawValue)-\(SocketKind.counter.next()).sock"
    }

    private static let counter = Counter()
}

/// Hands out increasing numbers from any thread.
private final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    func next() -> Int {
        value.add(1, ordering: .relaxed).newValue
    }
}

/// A TCP or UDP socket bound to the loopback address on a free port, listening or not.
func makeInternetSocket(family: Int32, type: __socket_type, listening: Bool) throws -> Int32 {
    let descriptor = try check("socket", socket(family, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
    if family == AF_INET6 {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        _ = try withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try check("bind", bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)))
            }
        }
    } else {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        _ = try withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try check("bind", bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)))
            }
        }
    }
    if listening {
        try check("listen", listen(descriptor, 8))
    }
    return descriptor
}

/// Binds `descriptor` to `path`; a leading `@` means the Linux abstract namespace, as in `$NOTIFY_SOCKET`.
func bindUnix(_ descriptor: Int32, to path: String) throws {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    var bytes = Array(path.utf8)
    let abstract = bytes.first == UInt8(ascii: "@")
    if abstract {
        bytes[0] = 0
    }
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard bytes.count < capacity else {
        throw TestSystemError(call: "bind", errno: ENAMETOOLONG)
    }
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
    let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
    // An abstract name is exactly its bytes; a path name also counts its terminating NUL.
    let length = socklen_t(pathOffset + bytes.count + (abstract ? 0 : 1))
    _ = try withUnsafePointer(to: &address) {
        try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            try check("bind", bind(descriptor, $0, length))
        }
    }
}

/// Stands in for systemd's notification socket: a datagram socket at a path or an `@abstract` name, with a
/// receive timeout so that a missing message fails the test instead of hanging it.
final class NotifyReceiver {
    let descriptor: Int32
    let address: String

    init(address: String) throws {
        self.address = address
        descriptor = try check("socket", socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        try check(
            "setsockopt",
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)))
        try bindUnix(descriptor, to: address)
    }

    deinit {
        close(descriptor)
        if address.hasPrefix("/") {
            unlink(address)
        }
    }

    /// The next datagram, or nil after the timeout.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else {
            return nil
        }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}

/// `text` with each line break shown as `\n`, so that one datagram prints as one line.
func escapingNewlines(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\\n")
}

/// The lines a child process printed.
func lines(_ output: [UInt8]?) -> [String] {
    guard let output else {
        return []
    }
    return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
}
