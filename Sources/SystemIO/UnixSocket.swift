import CLinux
import Glibc

/// The two kinds of UNIX socket tally serves.
public enum UnixSocketKind: Hashable, Sendable {
    /// `SOCK_STREAM`: connections, with replies.
    case stream
    /// `SOCK_DGRAM`: fire-and-forget datagrams.
    case datagram

    var socketType: Int32 {
        switch self {
        case .stream: Int32(SOCK_STREAM.rawValue)
        case .datagram: Int32(SOCK_DGRAM.rawValue)
        }
    }
}

/// Ownership and permissions given to the socket file of a UNIX listener.
public struct UnixSocketOptions: Hashable, Sendable {
    /// The file mode applied with `chmod` after binding; the default lets the owner and the group connect.
    public var mode: mode_t
    /// A group given the socket with `chown`: a group name, or a numeric group ID. Nil keeps the process's group.
    public var group: String?

    public init(mode: mode_t = 0o660, group: String? = nil) {
        self.mode = mode
        self.group = group
    }
}

extension FileDescriptor {
    /// Connects a new close-on-exec UNIX socket to `path`, blocking unless `nonBlocking` is set: the client side
    /// of a push socket. The corresponding C function is `connect`.
    public static func connect(
        unixPath path: String, kind: UnixSocketKind, nonBlocking: Bool = false
    ) throws(SocketError) -> FileDescriptor {
        let address = try UnixSocketFile.address(of: path)
        return try mapSystemError { () throws(SystemError) in
            let socket = try FileDescriptor.socket(family: AF_UNIX, type: kind.socketType, nonBlocking: nonBlocking)
            _ = try address.withSockaddr { (pointer, length) throws(SystemError) in
                try syscall("connect(\(path))") { Glibc.connect(socket.rawValue, pointer, length) }
            }
            return socket
        }
    }
}

/// The file a UNIX socket was bound to, removed when this value goes away if it is still the same file.
///
/// "Still the same" means same device and inode: if another process replaced the socket after us, its file stays.
struct UnixSocketFile: ~Copyable {
    let path: String
    private let device: dev_t
    private let inode: ino_t

    private init(path: String, device: dev_t, inode: ino_t) {
        self.path = path
        self.device = device
        self.inode = inode
    }

    /// Binds `socket` to `path` the way every UNIX listener of tally does: creates a missing parent directory (mode
    /// 0755), replaces a socket file left by a process that is gone, refuses a socket a running process still
    /// serves and any path that is not a socket, then applies `options`.
    static func bind(
        _ socket: borrowing FileDescriptor, to path: String, kind: UnixSocketKind, options: UnixSocketOptions
    ) throws(SocketError) -> UnixSocketFile {
        let address = try address(of: path)
        try createParentDirectory(of: path)
        try removeStaleSocket(at: path, address: address, kind: kind)
        try mapSystemError { () throws(SystemError) in
            _ = try address.withSockaddr { (pointer, length) throws(SystemError) in
                try syscall("bind(\(path))") { Glibc.bind(socket.rawValue, pointer, length) }
            }
        }
        var status = stat()
        if lstat(path, &status) != 0 {
            throw .system(SystemError(call: "lstat(\(path))", errno: errno))
        }
        // From here on, a failure drops `file`, which removes the socket file again.
        let file = UnixSocketFile(path: path, device: status.st_dev, inode: status.st_ino)
        let mode = options.mode
        try mapSystemError { () throws(SystemError) in
            _ = try syscall("chmod(\(path), \(String(mode, radix: 8)))") { chmod(path, mode) }
        }
        if let group = options.group {
            let groupID = try groupID(of: group)
            try mapSystemError { () throws(SystemError) in
                _ = try syscall("chown(\(path), group \(group))") { chown(path, uid_t.max, groupID) }
            }
        }
        return file
    }

    deinit {
        var status = stat()
        if lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFSOCK && status.st_dev == device
            && status.st_ino == inode
        {
            unlink(path)
        }
    }

    /// The socket address of `path`, or an error naming what is wrong with the path.
    static func address(of path: String) throws(SocketError) -> SocketAddress {
        if path.isEmpty || path.utf8.contains(0) {
            throw .invalidSocketPath(path: path)
        }
        guard let address = SocketAddress.unix(path: path) else {
            throw .socketPathTooLong(path: path, maximum: SocketAddress.maximumUnixPathLength)
        }
        return address
    }

    /// Creates the directory that holds `path`, and any missing ancestors, with mode 0755.
    private static func createParentDirectory(of path: String) throws(SocketError) {
        let bytes = Array(path.utf8)
        guard let lastSlash = bytes.lastIndex(of: UInt8(ascii: "/")), lastSlash > 0 else {
            return
        }
        let directory = String(decoding: bytes[..<lastSlash], as: UTF8.self)
        var status = stat()
        if stat(directory, &status) == 0 {
            return
        }
        for (index, byte) in bytes[..<lastSlash].enumerated().dropFirst() where byte == UInt8(ascii: "/") {
            try makeDirectory(String(decoding: bytes[..<index], as: UTF8.self), for: path)
        }
        try makeDirectory(directory, for: path)
    }

    private static func makeDirectory(_ directory: String, for socketPath: String) throws(SocketError) {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw .cannotCreateDirectory(
                directory: directory, socketPath: socketPath, SystemError(call: "mkdir(\(directory))", errno: errno))
        }
    }

    /// Unlinks a socket file at `path` that no process serves any more. A connection attempt tells: refused means
    /// stale; accepted, or refused for the wrong socket type, means a running process owns it.
    private static func removeStaleSocket(
        at path: String, address: SocketAddress, kind: UnixSocketKind
    ) throws(SocketError) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT {
                return
            }
            throw .system(SystemError(call: "lstat(\(path))", errno: errno))
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw .notASocket(path: path)
        }
        let probe = try mapSystemError { () throws(SystemError) in
            try FileDescriptor.socket(family: AF_UNIX, type: kind.socketType)
        }
        let connected = address.withSockaddr { pointer, length in Glibc.connect(probe.rawValue, pointer, length) }
        if connected == 0 {
            throw .socketInUse(path: path)
        }
        switch errno {
        case ECONNREFUSED, ENOENT:
            break
        case EAGAIN, EPROTOTYPE:
            // A full backlog, or a live socket of the other type.
            throw .socketInUse(path: path)
        case let code:
            throw .system(SystemError(call: "connect(\(path))", errno: code))
        }
        if unlink(path) != 0 && errno != ENOENT {
            throw .system(SystemError(call: "unlink(\(path))", errno: errno))
        }
    }

    /// A numeric group ID, or the ID of the group with this name (getgrnam_r(3)).
    private static func groupID(of group: String) throws(SocketError) -> gid_t {
        if let numeric = gid_t(group) {
            return numeric
        }
        var entry = Glibc.group()
        var found: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 1024)
        while true {
            let result = getgrnam_r(group, &entry, &buffer, buffer.count, &found)
            if result == ERANGE && buffer.count < 1 << 20 {
                buffer = [CChar](repeating: 0, count: buffer.count * 4)
                continue
            }
            if result != 0 {
                throw .system(SystemError(call: "getgrnam_r(\(group))", errno: result))
            }
            guard found != nil else {
                throw .unknownGroup(group)
            }
            return entry.gr_gid
        }
    }
}
