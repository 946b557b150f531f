import CSystemd
import Glibc

/// The listening sockets systemd passes to a socket-activated service (sd_listen_fds(3), systemd.socket(5)).
///
/// systemd hands them over as file descriptors 3, 4, ... and names them with the `FileDescriptorName=` of the
/// socket unit, in `$LISTEN_FDNAMES`. tally knows three names: ``Listener/http`` (TCP), ``Listener/push`` (UNIX
/// stream) and ``Listener/pushDatagram`` (UNIX datagram). Several sockets may share a name (a socket unit with two
/// `ListenStream=` lines passes two `http` sockets); the server serves all of them.
///
/// libsystemd checks that `$LISTEN_PID` is this process and sets `FD_CLOEXEC` on every passed descriptor. The
/// environment is left in place: `$LISTEN_PID` already keeps a child from taking the sockets, and reading it
/// again gives the same answer.
public enum SocketActivation {
    /// A listener tally can take from systemd; the raw value is its `FileDescriptorName=`.
    public enum Listener: String, CaseIterable, Sendable {
        /// The HTTP server: a listening TCP socket (`ListenStream=` with a port or address).
        case http
        /// The stream push socket: a listening UNIX stream socket (`ListenStream=` with a path).
        case push
        /// The datagram push socket: a UNIX datagram socket (`ListenDatagram=` with a path).
        case pushDatagram = "push-dgram"

        /// The kind of socket the listener needs, as error messages name it.
        var expectedSocket: String {
            switch self {
            case .http: return "a listening AF_INET or AF_INET6 SOCK_STREAM socket"
            case .push: return "a listening AF_UNIX SOCK_STREAM socket"
            case .pushDatagram: return "an AF_UNIX SOCK_DGRAM socket"
            }
        }
    }

    /// One descriptor systemd passed, with its name from `$LISTEN_FDNAMES` (`unknown` when the variable is unset).
    public struct PassedSocket: Equatable, Sendable {
        /// The socket unit's `FileDescriptorName=`.
        public let name: String
        /// The descriptor, 3 or above.
        public let fileDescriptor: Int32

        /// Creates a record of a passed descriptor.
        public init(name: String, fileDescriptor: Int32) {
            self.name = name
            self.fileDescriptor = fileDescriptor
        }
    }

    /// The passed descriptors sorted by listener, each checked for its socket type.
    public struct Listeners: Equatable, Sendable {
        /// Listening TCP sockets for the HTTP server.
        public var http: [Int32] = []
        /// Listening UNIX stream sockets for pushes.
        public var push: [Int32] = []
        /// UNIX datagram sockets for pushes.
        public var pushDatagram: [Int32] = []

        /// Creates a set of listeners from their descriptors.
        public init(http: [Int32] = [], push: [Int32] = [], pushDatagram: [Int32] = []) {
            self.http = http
            self.push = push
            self.pushDatagram = pushDatagram
        }

        /// The descriptors for `listener`.
        public subscript(listener: Listener) -> [Int32] {
            get {
                switch listener {
                case .http: return http
                case .push: return push
                case .pushDatagram: return pushDatagram
                }
            }
            set {
                switch listener {
                case .http: http = newValue
                case .push: push = newValue
                case .pushDatagram: pushDatagram = newValue
                }
            }
        }
    }

    /// The listeners systemd passed, checked against what the server turned on (`enabled`).
    ///
    /// Every passed socket must carry a known name, belong to an enabled listener and be of the right type, and
    /// every enabled listener must have at least one socket. A single socket without a name (a socket unit with no
    /// `FileDescriptorName=`, as in node_exporter's example units) is taken as ``Listener/http``.
    public static func listeners(enabled: Set<Listener>) throws(SocketActivationError) -> Listeners {
        try listeners(from: passedSockets(), enabled: enabled)
    }

    /// The descriptors systemd passed to this process, in order, with their names. Throws when none were passed
    /// (`$LISTEN_FDS` unset, or `$LISTEN_PID` names another process) or the variables are inconsistent.
    public static func passedSockets() throws(SocketActivationError) -> [PassedSocket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        let count = tally_sd_listen_fds_with_names(&names)
        defer {
            if let names {
                var index = 0
                while let name = names[index] {
                    free(name)
                    index += 1
                }
                free(names)
            }
        }
        if count == -ELIBACC {
            throw .libraryUnavailable(SystemdError(call: "sd_listen_fds_with_names", errno: ELIBACC))
        }
        if count < 0 {
            throw .invalidEnvironment(
                errno: Int32(clamping: count.magnitude),
                listenFDs: environment("LISTEN_FDS") ?? "", listenFDNames: environment("LISTEN_FDNAMES"))
        }
        guard count > 0, let names else {
            throw .noSockets(reason: noSocketsReason())
        }
        var sockets: [PassedSocket] = []
        sockets.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            let name = names[index].map { String(cString: $0) } ?? "unknown"
            sockets.append(PassedSocket(name: name, fileDescriptor: SD_LISTEN_FDS_START + Int32(index)))
        }
        return sockets
    }

    /// Sorts `sockets` by name into listeners and checks them against `enabled`, as ``listeners(enabled:)``
    /// describes; the descriptors may be any open sockets.
    public static func listeners(
        from sockets: [PassedSocket], enabled: Set<Listener>
    ) throws(SocketActivationError) -> Listeners {
        var listeners = Listeners()
        for socket in sockets {
            let listener: Listener
            if let named = Listener(rawValue: socket.name) {
                listener = named
            } else if socket.name == "unknown" && sockets.count == 1 {
                listener = .http
            } else {
                throw .unknownName(socket.name, fileDescriptor: socket.fileDescriptor, passedCount: sockets.count)
            }
            guard enabled.contains(listener) else {
                throw .notEnabled(listener, fileDescriptor: socket.fileDescriptor)
            }
            try check(socket, as: listener)
            listeners[listener].append(socket.fileDescriptor)
        }
        for listener in Listener.allCases where enabled.contains(listener) && listeners[listener].isEmpty {
            throw .missing(listener)
        }
        return listeners
    }

    /// Throws unless `socket` is the kind of socket `listener` needs (sd_is_socket(3)).
    private static func check(_ socket: PassedSocket, as listener: Listener) throws(SocketActivationError) {
        let descriptor = socket.fileDescriptor
        let call: String
        let result: Int32
        switch listener {
        case .http:
            call = "sd_is_socket_inet"
            result = tally_sd_is_socket_inet(descriptor, AF_UNSPEC, Int32(SOCK_STREAM.rawValue), 1, 0)
        case .push:
            call = "sd_is_socket_unix"
            result = tally_sd_is_socket_unix(descriptor, Int32(SOCK_STREAM.rawValue), 1, nil, 0)
        case .pushDatagram:
            call = "sd_is_socket_unix"
            result = tally_sd_is_socket_unix(descriptor, Int32(SOCK_DGRAM.rawValue), -1, nil, 0)
        }
        if result < 0 {
            throw .inspectionFailed(
                listener, name: socket.name, fileDescriptor: descriptor, error: SystemdError(call: call, result: result)
            )
        }
        if result == 0 {
            throw .wrongType(listener, name: socket.name, fileDescriptor: descriptor)
        }
    }

    /// Why libsystemd found no sockets for this process, for ``SocketActivationError/noSockets(reason:)``.
    private static func noSocketsReason() -> String {
        guard let count = environment("LISTEN_FDS") else {
            return "LISTEN_FDS unset"
        }
        guard let pid = environment("LISTEN_PID") else {
            return "LISTEN_PID unset"
        }
        let ownPID = getpid()
        if pid != String(ownPID) {
            return "LISTEN_PID=\(pid) is not this process (\(ownPID))"
        }
        return "LISTEN_FDS=\(count) but none for this process"
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
