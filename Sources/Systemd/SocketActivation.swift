import CSystemd
import Glibc

/// The sockets systemd passes to a socket-activated service (sd_listen_fds(3), systemd.socket(5)), sorted by the
/// listeners the caller describes.
///
/// systemd hands them over as file descriptors 3, 4, ... and names them with the `FileDescriptorName=` of the
/// socket unit, in `$LISTEN_FDNAMES`. The caller says which names it knows and what socket each needs
/// (``Listener``), which of them it turned on, and which one a lone unnamed socket stands for. Several sockets may
/// share a name (a socket unit with two `ListenStream=` lines passes two sockets under its one name); the caller
/// gets all of them.
///
/// libsystemd checks that `$LISTEN_PID` is this process and sets `FD_CLOEXEC` on every passed descriptor. The
/// environment is left in place: `$LISTEN_PID` already keeps a child from taking the sockets, and reading it
/// again gives the same answer.
public enum SocketActivation {
    /// The address families a listener's socket may have.
    public enum AddressFamily: Hashable, Sendable {
        /// `AF_INET` or `AF_INET6`: `ListenStream=` or `ListenDatagram=` with a port or an address.
        case internet
        /// `AF_UNIX`: `ListenStream=` or `ListenDatagram=` with a path or an `@abstract` name.
        case unix
    }

    /// The kind of socket a listener needs; ``description`` is how error messages name it.
    public enum SocketKind: Hashable, Sendable, CustomStringConvertible {
        /// A listening `SOCK_STREAM` socket (`ListenStream=`): TCP, or a UNIX stream socket.
        case listeningStream(family: AddressFamily)
        /// A `SOCK_DGRAM` socket (`ListenDatagram=`): UDP, or a UNIX datagram socket.
        case datagram(family: AddressFamily)

        /// E.g. `a listening AF_INET or AF_INET6 SOCK_STREAM socket`, or `an AF_UNIX SOCK_DGRAM socket`.
        public var description: String {
            switch self {
            case .listeningStream(let family): return "a listening \(Self.families(family)) SOCK_STREAM socket"
            case .datagram(let family): return "an \(Self.families(family)) SOCK_DGRAM socket"
            }
        }

        private static func families(_ family: AddressFamily) -> String {
            switch family {
            case .internet: return "AF_INET or AF_INET6"
            case .unix: return "AF_UNIX"
            }
        }
    }

    /// A listener that can take sockets from systemd: the `FileDescriptorName=` they are passed under and the kind
    /// of socket it needs.
    public struct Listener: Hashable, Sendable {
        /// The socket unit's `FileDescriptorName=`, e.g. `http`.
        public let name: String
        /// The kind of socket every descriptor passed under ``name`` must be.
        public let socket: SocketKind

        /// Creates a listener that takes the sockets named `name`, each of which must be a `socket`.
        public init(name: String, socket: SocketKind) {
            self.name = name
            self.socket = socket
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

    /// The passed descriptors sorted by listener, each checked for the kind of socket its listener needs.
    public struct ListenerSockets: Equatable, Sendable {
        /// The descriptors by listener name, in the order systemd passed them; a listener without any has no entry.
        public private(set) var descriptors: [String: [Int32]]

        /// Creates a result from descriptors by listener name, e.g. to compare with; empty lists are dropped.
        public init(_ descriptors: [String: [Int32]] = [:]) {
            self.descriptors = descriptors.filter { !$0.value.isEmpty }
        }

        /// The descriptors passed under `name`; empty when there are none.
        public subscript(name: String) -> [Int32] {
            descriptors[name] ?? []
        }

        /// The descriptors for `listener`; empty when there are none.
        public subscript(listener: Listener) -> [Int32] {
            self[listener.name]
        }

        mutating func append(_ descriptor: Int32, to listener: Listener) {
            descriptors[listener.name, default: []].append(descriptor)
        }
    }

    /// The name sd_listen_fds_with_names(3) gives every socket when `$LISTEN_FDNAMES` is unset.
    static let unnamed = "unknown"

    /// The sockets systemd passed, sorted into the listeners the caller turned on (`enabled`) among those it
    /// knows (`known`, in the order error messages list them).
    ///
    /// Every passed socket must carry the name of a known listener, that listener must be enabled and the socket
    /// must be the kind it needs, and every enabled listener must have at least one socket. A single socket without
    /// a name (a socket unit with no `FileDescriptorName=`, as in node_exporter's example units) is taken as
    /// `unnamedListener` when one is given, and is an unknown name otherwise.
    ///
    /// - Precondition: The names in `known` differ, and `enabled` and `unnamedListener` are among `known`.
    public static func sockets(
        for enabled: Set<Listener>, among known: [Listener], takingUnnamedSocketAs unnamedListener: Listener? = nil
    ) throws(SocketActivationError) -> ListenerSockets {
        try sockets(from: passedSockets(), for: enabled, among: known, takingUnnamedSocketAs: unnamedListener)
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
            let name = names[index].map { String(cString: $0) } ?? unnamed
            sockets.append(PassedSocket(name: name, fileDescriptor: SD_LISTEN_FDS_START + Int32(index)))
        }
        return sockets
    }

    /// Sorts `sockets` by name into listeners and checks them, as ``sockets(for:among:takingUnnamedSocketAs:)``
    /// describes; the descriptors may be any open sockets.
    public static func sockets(
        from sockets: [PassedSocket], for enabled: Set<Listener>, among known: [Listener],
        takingUnnamedSocketAs unnamedListener: Listener? = nil
    ) throws(SocketActivationError) -> ListenerSockets {
        var byName: [String: Listener] = [:]
        for listener in known {
            let earlier = byName.updateValue(listener, forKey: listener.name)
            precondition(earlier == nil, "two listeners are named '\(listener.name)'")
        }
        precondition(enabled.isSubset(of: known), "an enabled listener is not among the known ones")
        precondition(
            unnamedListener.map { known.contains($0) } ?? true, "the listener for an unnamed socket is not known")
        var sorted = ListenerSockets()
        for socket in sockets {
            let listener: Listener
            if let named = byName[socket.name] {
                listener = named
            } else if let unnamedListener, socket.name == unnamed && sockets.count == 1 {
                listener = unnamedListener
            } else {
                throw .unknownName(
                    socket.name, fileDescriptor: socket.fileDescriptor, passedCount: sockets.count,
                    known: known.map(\.name))
            }
            guard enabled.contains(listener) else {
                throw .notEnabled(listener, name: socket.name, fileDescriptor: socket.fileDescriptor)
            }
            try check(socket, as: listener)
            sorted.append(socket.fileDescriptor, to: listener)
        }
        for listener in known where enabled.contains(listener) && sorted[listener].isEmpty {
            throw .missing(listener)
        }
        return sorted
    }

    /// Throws unless `socket` is the kind of socket `listener` needs (sd_is_socket(3)).
    private static func check(_ socket: PassedSocket, as listener: Listener) throws(SocketActivationError) {
        let descriptor = socket.fileDescriptor
        let family: AddressFamily
        let type: Int32
        let listening: Int32
        switch listener.socket {
        case .listeningStream(let streamFamily):
            (family, type, listening) = (streamFamily, Int32(SOCK_STREAM.rawValue), 1)
        case .datagram(let datagramFamily):
            // -1: either; a datagram socket does not listen.
            (family, type, listening) = (datagramFamily, Int32(SOCK_DGRAM.rawValue), -1)
        }
        let call: String
        let result: Int32
        switch family {
        case .internet:
            call = "sd_is_socket_inet"
            result = tally_sd_is_socket_inet(descriptor, AF_UNSPEC, type, listening, 0)
        case .unix:
            call = "sd_is_socket_unix"
            result = tally_sd_is_socket_unix(descriptor, type, listening, nil, 0)
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
