import Glibc

/// Why the sockets systemd passed cannot be used. Each is a start-up error; the
/// description is one line naming the socket, its descriptor and what to change.
public enum SocketActivationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// systemd passed nothing: `reason` says which variable is missing or names another process.
    case noSockets(reason: String)

    /// `$LISTEN_FDS`, `$LISTEN_PID` or `$LISTEN_FDNAMES` is malformed, or the name count differs from the
    /// descriptor count; `errno` is what sd_listen_fds_with_names(3) returned, the strings what it read.
    case invalidEnvironment(errno: Int32, listenFDs: String, listenFDNames: String?)

    /// systemd passed sockets but libsystemd, which reads them, cannot be loaded.
    case libraryUnavailable(SystemdError)

    /// A socket's `FileDescriptorName=` is none of the `known` listener names (`passedCount` sockets came in all).
    case unknownName(String, fileDescriptor: Int32, passedCount: Int, known: [String])

    /// A socket for a listener the caller has turned off; `name` is the name it was passed with.
    case notEnabled(SocketActivation.Listener, name: String, fileDescriptor: Int32)

    /// A socket is not the kind its listener needs; `name` is the name it was passed with.
    case wrongType(SocketActivation.Listener, name: String, fileDescriptor: Int32)

    /// Checking a socket's type failed, e.g. with `EBADF` when the descriptor is not open.
    case inspectionFailed(SocketActivation.Listener, name: String, fileDescriptor: Int32, error: SystemdError)

    /// No socket was passed for a listener the caller has turned on.
    case missing(SocketActivation.Listener)

    public var description: String {
        switch self {
        case .noSockets(let reason):
            return "systemd passed no sockets (\(reason))"
        case .invalidEnvironment(let errno, let listenFDs, let listenFDNames):
            let names = listenFDNames.map { "'\($0)'" } ?? "unset"
            return
                "systemd's LISTEN_FDS='\(listenFDs)' and LISTEN_FDNAMES=\(names) are unusable: "
                + "sd_listen_fds_with_names failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case .libraryUnavailable(let error):
            return "cannot read the sockets systemd passed: \(error)"
        case .unknownName(let name, let descriptor, let passedCount, let known):
            let expected =
                known.isEmpty
                ? "no socket is expected" : "expected one of " + known.map { "'\($0)'" }.joined(separator: ", ")
            var line = "socket '\(name)' (fd \(descriptor)) has an unknown FileDescriptorName; \(expected)"
            if name == "connection" {
                line += " (socket units with Accept=yes are not supported)"
            } else if name == SocketActivation.unnamed && passedCount == 1 {
                line += " (it was passed without FileDescriptorName=; name it)"
            } else if name == SocketActivation.unnamed {
                line += " (\(passedCount) sockets were passed without FileDescriptorName=; name each of them)"
            }
            return line
        case .notEnabled(let listener, let name, let descriptor):
            return "\(Self.subject(listener, name: name, descriptor: descriptor)) was passed by systemd "
                + "but the \(listener.name) listener is turned off"
        case .wrongType(let listener, let name, let descriptor):
            return "\(Self.subject(listener, name: name, descriptor: descriptor)) is not \(listener.socket)"
        case .inspectionFailed(let listener, let name, let descriptor, let error):
            return "\(Self.subject(listener, name: name, descriptor: descriptor)) cannot be checked: \(error)"
        case .missing(let listener):
            return "systemd passed no socket named '\(listener.name)' but the \(listener.name) listener is "
                + "turned on; add FileDescriptorName=\(listener.name) to the socket unit or turn the listener off"
        }
    }

    /// `socket 'push' (fd 4)`, or for the lone unnamed socket `socket 'unknown' (fd 3, taken as 'http')`.
    private static func subject(_ listener: SocketActivation.Listener, name: String, descriptor: Int32) -> String {
        if name == listener.name {
            return "socket '\(name)' (fd \(descriptor))"
        }
        return "socket '\(name)' (fd \(descriptor), taken as '\(listener.name)')"
    }
}
