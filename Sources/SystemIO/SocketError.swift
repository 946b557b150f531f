/// Why a socket could not be set up: a listener bound, an inherited descriptor adopted, or a client connected.
public enum SocketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A system call failed.
    case system(SystemError)
    /// `getaddrinfo` could not resolve the host of a listen address.
    case resolution(host: String, reason: String)
    /// The UNIX socket path does not fit `sun_path` (see unix(7)).
    case socketPathTooLong(path: String, maximum: Int)
    /// The UNIX socket path is empty or contains a NUL byte.
    case invalidSocketPath(path: String)
    /// A running process accepts connections (or datagrams) on the socket at this path.
    case socketInUse(path: String)
    /// The path exists and is not a socket; it is left alone.
    case notASocket(path: String)
    /// The directory that should hold the socket is missing and could not be created.
    case cannotCreateDirectory(directory: String, socketPath: String, SystemError)
    /// No group has this name.
    case unknownGroup(String)
    /// An inherited descriptor is not the kind of socket it was supposed to be.
    case unsuitableDescriptor(Int32, expected: String)

    public var description: String {
        switch self {
        case .system(let error):
            error.description
        case .resolution(let host, let reason):
            "cannot resolve \"\(host)\": \(reason)"
        case .socketPathTooLong(let path, let maximum):
            "socket path \"\(path)\" is \(path.utf8.count) bytes long; UNIX socket paths are limited to \(maximum)"
        case .invalidSocketPath(let path):
            "invalid socket path \"\(path)\": it must be non-empty and contain no NUL byte"
        case .socketInUse(let path):
            "socket \"\(path)\" is already in use by a running process"
        case .notASocket(let path):
            "\"\(path)\" exists and is not a socket; refusing to replace it"
        case .cannotCreateDirectory(let directory, let socketPath, let error):
            "cannot create directory \"\(directory)\" for socket \"\(socketPath)\": \(error)"
        case .unknownGroup(let name):
            "unknown group \"\(name)\""
        case .unsuitableDescriptor(let descriptor, let expected):
            "inherited descriptor \(descriptor) is not \(expected)"
        }
    }
}

/// Runs `body`, turning a ``SystemError`` into ``SocketError/system(_:)``.
func mapSystemError<Result: ~Copyable>(_ body: () throws(SystemError) -> Result) throws(SocketError) -> Result {
    do {
        return try body()
    } catch {
        throw .system(error)
    }
}
