import Glibc

/// A socket address of any family (IPv4, IPv6, UNIX), stored inline without allocation.
public struct SocketAddress: Sendable, CustomStringConvertible {
    private var storage = sockaddr_storage()
    private var length = socklen_t(MemoryLayout<sockaddr_storage>.size)

    /// Lets `fill` write an address the way `getsockname` and `accept` do.
    init<Failure: Error>(
        filling fill: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) throws(Failure) -> Void
    ) throws(Failure) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try withUnsafeMutablePointer(to: &storage) { (pointer) throws(Failure) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(Failure) in
                try fill(address, &length)
            }
        }
        self.storage = storage
        self.length = min(length, socklen_t(MemoryLayout<sockaddr_storage>.size))
    }

    /// Copies an address that the C library handed out (an `addrinfo` entry, say).
    init(copying address: UnsafePointer<sockaddr>, length: socklen_t) {
        let length = min(length, socklen_t(MemoryLayout<sockaddr_storage>.size))
        withUnsafeMutableBytes(of: &storage) { bytes in
            bytes.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(length)))
        }
        self.length = length
    }

    /// `0.0.0.0:port`, every IPv4 address.
    static func anyIPv4(port: UInt16) -> SocketAddress {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = INADDR_ANY
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                SocketAddress(copying: generic, length: socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    /// `[::]:port`, every IPv6 address (and every IPv4 address too on a socket with `IPV6_V6ONLY` off).
    static func anyIPv6(port: UInt16) -> SocketAddress {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        address.sin6_addr = in6addr_any
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                SocketAddress(copying: generic, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        }
    }

    /// The UNIX socket address of `path`, or `nil` when the path does not fit `sun_path` with its terminating
    /// NUL (see unix(7)) or contains a NUL byte.
    static func unix(path: String) -> SocketAddress? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        var utf8 = Array(path.utf8)
        guard utf8.count < capacity, !utf8.contains(0) else {
            return nil
        }
        utf8.append(0)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            bytes.copyBytes(from: utf8)
        }
        let length = Self.unixPathOffset + utf8.count
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                SocketAddress(copying: generic, length: socklen_t(length))
            }
        }
    }

    /// Where `sun_path` starts in `sockaddr_un`: right after the address family.
    private static let unixPathOffset = MemoryLayout<sa_family_t>.size

    /// The longest UNIX socket path the kernel accepts, in bytes: `sun_path` less its terminating NUL.
    public static var maximumUnixPathLength: Int {
        MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
    }

    /// `AF_INET`, `AF_INET6` or `AF_UNIX`.
    public var family: Int32 {
        Int32(storage.ss_family)
    }

    /// The port of an IPv4 or IPv6 address, `nil` for other families.
    public var port: UInt16? {
        withUnsafeBytes(of: storage) { bytes in
            switch family {
            case AF_INET: UInt16(bigEndian: bytes.load(as: sockaddr_in.self).sin_port)
            case AF_INET6: UInt16(bigEndian: bytes.load(as: sockaddr_in6.self).sin6_port)
            default: nil
            }
        }
    }

    /// Calls `body` with the address as the C socket calls take it.
    func withSockaddr<Result, Failure: Error>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withUnsafeBytes(of: storage) { (bytes) throws(Failure) in
            try body(bytes.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    /// `127.0.0.1:9479`, `[::1]:9479`, or the path of a UNIX socket (`(unnamed)` for an unbound one).
    public var description: String {
        withUnsafeBytes(of: storage) { bytes in
            switch family {
            case AF_INET:
                let address = bytes.load(as: sockaddr_in.self)
                return "\(Self.text(of: address.sin_addr, family: AF_INET)):\(port ?? 0)"
            case AF_INET6:
                let address = bytes.load(as: sockaddr_in6.self)
                let scope = address.sin6_scope_id == 0 ? "" : "%\(address.sin6_scope_id)"
                return "[\(Self.text(of: address.sin6_addr, family: AF_INET6))\(scope)]:\(port ?? 0)"
            case AF_UNIX:
                let pathBytes = bytes[Self.unixPathOffset..<max(Self.unixPathOffset, Int(length))].prefix { $0 != 0 }
                return pathBytes.isEmpty ? "(unnamed)" : String(decoding: pathBytes, as: UTF8.self)
            default:
                return "(address family \(family))"
            }
        }
    }

    /// Formats an IPv4 or IPv6 address with `inet_ntop`.
    private static func text<Address>(of address: Address, family: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let formatted = withUnsafeBytes(of: address) { bytes in
            inet_ntop(family, bytes.baseAddress, &buffer, socklen_t(buffer.count))
        }
        guard formatted != nil else {
            return "?"
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
