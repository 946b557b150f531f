import CLinux
import Glibc

/// The readiness conditions of epoll(7), as an option set over the `EPOLL*` bits.
public struct EpollEvents: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// `EPOLLIN`: data to read, a connection to accept, or end of file.
    public static let input = EpollEvents(rawValue: EPOLLIN.rawValue)
    /// `EPOLLOUT`: room in the send buffer.
    public static let output = EpollEvents(rawValue: EPOLLOUT.rawValue)
    /// `EPOLLRDHUP`: the peer shut down its writing side (a half-closed stream socket).
    public static let readHangup = EpollEvents(rawValue: EPOLLRDHUP.rawValue)
    /// `EPOLLHUP`: both directions are closed. Always reported, whether asked for or not.
    public static let hangup = EpollEvents(rawValue: EPOLLHUP.rawValue)
    /// `EPOLLERR`: an error is pending on the descriptor. Always reported, whether asked for or not.
    public static let error = EpollEvents(rawValue: EPOLLERR.rawValue)
    /// `EPOLLET`: report a change of readiness once instead of for as long as it lasts.
    public static let edgeTriggered = EpollEvents(rawValue: EPOLLET.rawValue)
    /// `EPOLLONESHOT`: report one event, then disable the descriptor until its interest is set again.
    public static let oneShot = EpollEvents(rawValue: EPOLLONESHOT.rawValue)
}

/// An epoll instance (epoll(7)): a set of watched descriptors, each with an interest and 64 bits of user data.
public struct Epoll: ~Copyable {
    /// The epoll descriptor itself.
    public let descriptor: FileDescriptor

    /// Creates a close-on-exec epoll instance. The corresponding C function is `epoll_create1`.
    public init() throws(SystemError) {
        let raw = try syscall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        descriptor = FileDescriptor(owning: raw)
    }

    /// Starts watching `fd` for `events`; `data` comes back with each of its events. The corresponding C function
    /// is `epoll_ctl(EPOLL_CTL_ADD)`.
    public func add(_ fd: Int32, events: EpollEvents, data: UInt64) throws(SystemError) {
        try control(EPOLL_CTL_ADD, fd, events: events, data: data, call: "epoll_ctl(EPOLL_CTL_ADD)")
    }

    /// Replaces the interest and data of a watched descriptor. The corresponding C function is
    /// `epoll_ctl(EPOLL_CTL_MOD)`.
    public func modify(_ fd: Int32, events: EpollEvents, data: UInt64) throws(SystemError) {
        try control(EPOLL_CTL_MOD, fd, events: events, data: data, call: "epoll_ctl(EPOLL_CTL_MOD)")
    }

    /// Stops watching `fd`. Closing a descriptor also removes it, unless another descriptor (from `dup` or
    /// `fork`) still refers to the same open file. The corresponding C function is `epoll_ctl(EPOLL_CTL_DEL)`.
    public func remove(_ fd: Int32) throws(SystemError) {
        try control(EPOLL_CTL_DEL, fd, events: [], data: 0, call: "epoll_ctl(EPOLL_CTL_DEL)")
    }

    private func control(
        _ operation: Int32, _ fd: Int32, events: EpollEvents, data: UInt64, call: StaticString
    ) throws(SystemError) {
        var event = epoll_event()
        event.events = events.rawValue
        event.data.u64 = data
        _ = try syscall("\(call)") { epoll_ctl(descriptor.rawValue, operation, fd, &event) }
    }

    /// Waits up to `timeoutMilliseconds` (-1: without limit) for events and stores them at the start of `events`.
    /// Returns how many were stored; 0 on timeout or when a signal interrupted the wait. The corresponding C
    /// function is `epoll_wait`.
    public func wait(
        into events: UnsafeMutableBufferPointer<epoll_event>, timeoutMilliseconds: Int32
    ) throws(SystemError) -> Int {
        let count = epoll_wait(descriptor.rawValue, events.baseAddress, Int32(events.count), timeoutMilliseconds)
        if count >= 0 {
            return Int(count)
        }
        if errno == EINTR {
            return 0
        }
        throw SystemError(call: "epoll_wait", errno: errno)
    }
}
