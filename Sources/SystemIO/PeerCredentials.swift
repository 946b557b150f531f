import CLinux
import Glibc

/// The process at the other end of a UNIX socket, as the kernel reports it (unix(7)).
public struct PeerCredentials: Hashable, Sendable {
    public var processID: pid_t
    public var userID: uid_t
    public var groupID: gid_t

    public init(processID: pid_t, userID: uid_t, groupID: gid_t) {
        self.processID = processID
        self.userID = userID
        self.groupID = groupID
    }

    init(_ credentials: tally_credentials) {
        self.init(processID: credentials.pid, userID: credentials.uid, groupID: credentials.gid)
    }
}

/// One datagram read by ``FileDescriptor/receiveDatagram(into:)``.
public struct ReceivedDatagram: Hashable, Sendable {
    /// How many bytes were stored in the buffer.
    public var byteCount: Int
    /// The sender, when the socket has `SO_PASSCRED` on (as ``DatagramSocket`` does).
    public var credentials: PeerCredentials?
    /// Whether the datagram was longer than the buffer; the rest of it is lost.
    public var isTruncated: Bool

    public init(byteCount: Int, credentials: PeerCredentials?, isTruncated: Bool) {
        self.byteCount = byteCount
        self.credentials = credentials
        self.isTruncated = isTruncated
    }
}

extension FileDescriptor {
    /// The credentials of the process that connected this UNIX stream socket, taken when it called `connect`. The
    /// corresponding C function is `getsockopt(SO_PEERCRED)`.
    public func peerCredentials() throws(SystemError) -> PeerCredentials {
        var credentials = tally_credentials()
        _ = try syscall("getsockopt(SO_PEERCRED)") { tally_peer_credentials(rawValue, &credentials) }
        return PeerCredentials(credentials)
    }

    /// Reads one datagram into `buffer`, with the sender's credentials when the kernel attached SCM_CREDENTIALS.
    /// Descriptors passed with SCM_RIGHTS are closed. The corresponding C function is `recvmsg`.
    public func receiveDatagram(
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(SystemError)
        -> IOResult<ReceivedDatagram>
    {
        var credentials = tally_credentials()
        var hasCredentials: Int32 = 0
        var truncated: Int32 = 0
        let result = try nonBlockingSyscall("recvmsg") {
            tally_receive_with_credentials(
                rawValue, buffer.baseAddress, buffer.count, &credentials, &hasCredentials, &truncated)
        }
        guard case .processed(let count) = result else {
            return .wouldBlock
        }
        return .processed(
            ReceivedDatagram(
                byteCount: count,
                credentials: hasCredentials != 0 ? PeerCredentials(credentials) : nil,
                isTruncated: truncated != 0))
    }
}
