import CLinux
import Glibc

/// An owned file descriptor that is closed exactly once: by ``close()``, or when the value goes away.
///
/// A non-copyable struct rather than a class: owning a descriptor costs no allocation and no reference counting,
/// the compiler rejects a second close or a use after close, and the value can move to another thread (an fsync
/// worker, say) because it is `Sendable`. Objects that live on the event loop store it as a property; an object
/// that has to close early stores an optional and closes `descriptor.take()`.
///
/// Every descriptor this module creates is close-on-exec, and sockets are non-blocking.
public struct FileDescriptor: ~Copyable, Sendable {
    /// The descriptor number, for calls this type does not wrap. Do not close it yourself.
    public let rawValue: Int32

    /// Takes ownership of `rawValue`, which the new value will close.
    public init(owning rawValue: Int32) {
        self.rawValue = rawValue
    }

    deinit {
        Glibc.close(rawValue)
    }

    /// Closes the descriptor and reports a failure (a deferred write error, say). The descriptor is released even
    /// when this throws; it is never retried, because on Linux a `close` interrupted by a signal has already
    /// freed the number. The corresponding C function is `close`.
    public consuming func close() throws(SystemError) {
        let descriptor = rawValue
        discard self
        if Glibc.close(descriptor) != 0 && errno != EINTR {
            throw SystemError(call: "close", errno: errno)
        }
    }

    /// Gives up ownership without closing and returns the number, for handing it to code that closes it.
    public consuming func release() -> Int32 {
        let descriptor = rawValue
        discard self
        return descriptor
    }

    /// Reads into `buffer`. `.processed(0)` means end of file (the peer closed its side). The corresponding C
    /// function is `read`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try nonBlockingSyscall("read") { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Writes from `buffer` and returns how many bytes the kernel took, which may be fewer than offered. The
    /// corresponding C function is `write`.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try nonBlockingSyscall("write") { Glibc.write(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Scatters one read over several buffers. The corresponding C function is `readv`.
    public func read(into vectors: UnsafeBufferPointer<iovec>) throws(SystemError) -> IOResult<Int> {
        try nonBlockingSyscall("readv") { Glibc.readv(rawValue, vectors.baseAddress, Int32(vectors.count)) }
    }

    /// Gathers one write from several buffers (a response head and body, say) and returns how many bytes the
    /// kernel took. The corresponding C function is `writev`.
    public func write(_ vectors: UnsafeBufferPointer<iovec>) throws(SystemError) -> IOResult<Int> {
        try nonBlockingSyscall("writev") { Glibc.writev(rawValue, vectors.baseAddress, Int32(vectors.count)) }
    }

    /// Sets `O_NONBLOCK` and `FD_CLOEXEC`, for a descriptor this process inherited (systemd socket activation).
    public func makeNonBlockingAndCloseOnExec() throws(SystemError) {
        let statusFlags = try syscall("fcntl(F_GETFL)") { fcntl(rawValue, F_GETFL) }
        if statusFlags & O_NONBLOCK == 0 {
            _ = try syscall("fcntl(F_SETFL)") { fcntl(rawValue, F_SETFL, statusFlags | O_NONBLOCK) }
        }
        let descriptorFlags = try syscall("fcntl(F_GETFD)") { fcntl(rawValue, F_GETFD) }
        if descriptorFlags & FD_CLOEXEC == 0 {
            _ = try syscall("fcntl(F_SETFD)") { fcntl(rawValue, F_SETFD, descriptorFlags | FD_CLOEXEC) }
        }
    }
}

extension FileDescriptor {
    /// Creates a close-on-exec socket, non-blocking unless `nonBlocking` is false. The corresponding C function is
    /// `socket`.
    static func socket(family: Int32, type: Int32, nonBlocking: Bool = true) throws(SystemError) -> FileDescriptor {
        let flags = Int32(
            bitPattern: nonBlocking ? SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue : SOCK_CLOEXEC.rawValue)
        let descriptor = try syscall("socket") { Glibc.socket(family, type | flags, 0) }
        return FileDescriptor(owning: descriptor)
    }

    /// Sets an integer socket option. The corresponding C function is `setsockopt`.
    func setOption(level: Int32, name: Int32, value: Int32, call: StaticString) throws(SystemError) {
        var value = value
        _ = try syscall("setsockopt(\(call))") {
            setsockopt(rawValue, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Reads an integer socket option. The corresponding C function is `getsockopt`.
    func option(level: Int32, name: Int32, call: StaticString) throws(SystemError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try syscall("getsockopt(\(call))") { getsockopt(rawValue, level, name, &value, &length) }
        return value
    }

    /// The address this socket is bound to; for a listener on port 0, the port the kernel chose. The
    /// corresponding C function is `getsockname`.
    public func localAddress() throws(SystemError) -> SocketAddress {
        try SocketAddress { (address, length) throws(SystemError) in
            _ = try syscall("getsockname") { getsockname(rawValue, address, length) }
        }
    }

    /// The address of the connected peer. The corresponding C function is `getpeername`.
    public func peerAddress() throws(SystemError) -> SocketAddress {
        try SocketAddress { (address, length) throws(SystemError) in
            _ = try syscall("getpeername") { getpeername(rawValue, address, length) }
        }
    }
}

/// Writes every byte of `bytes` to the blocking descriptor `descriptor` (a file, a pipe, standard error): a short
/// write continues where the kernel stopped and `EINTR` is retried. Throws the first other failure. The
/// corresponding C function is `write`.
public func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) throws(SystemError) {
    guard var next = bytes.baseAddress else { return }
    var remaining = bytes.count
    while remaining > 0 {
        let written = try syscall("write") { Glibc.write(descriptor, next, remaining) }
        guard written > 0 else { throw SystemError(call: "write", errno: EIO) }
        next += written
        remaining -= written
    }
}

/// ``writeAll(_:to:)`` for an array of bytes.
public func writeAll(_ bytes: [UInt8], to descriptor: Int32) throws(SystemError) {
    let result = bytes.withUnsafeBytes { buffer in
        Result { () throws(SystemError) in try writeAll(buffer, to: descriptor) }
    }
    try result.get()
}
