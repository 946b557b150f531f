import Glibc

/// A system call that failed: the call, with whatever context identifies its object, and the `errno` it set.
///
/// The description reads like `bind(127.0.0.1:9479): Address already in use (errno 98)`.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The call that failed, often with its object: `accept4`, `bind(127.0.0.1:9479)`, `mkdir(/run/tally)`.
    public var call: String
    /// The error number the call reported.
    public var errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String {
        // strerror returns a static or thread-local string since glibc 2.32, so it is safe on any thread.
        "\(call): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The outcome of an operation on a non-blocking descriptor.
public enum IOResult<Value> {
    /// The call completed with this value (a byte count, a descriptor, ...).
    case processed(Value)
    /// The call would have blocked (`EAGAIN`/`EWOULDBLOCK`): wait for the next readiness event.
    case wouldBlock
}

extension IOResult: Sendable where Value: Sendable {}
extension IOResult: Equatable where Value: Equatable {}

/// Runs a system call that reports failure by returning -1 and setting `errno`, retrying it while it fails with
/// `EINTR`, and throws any other failure as a ``SystemError`` named by `call`.
///
/// `call` is evaluated only when the call fails, so a description built from an address costs nothing on success.
@inline(__always)
public func syscall<Result: FixedWidthInteger>(
    _ call: @autoclosure () -> String, _ body: () -> Result
) throws(SystemError) -> Result {
    while true {
        let result = body()
        if result != -1 {
            return result
        }
        let code = errno
        if code != EINTR {
            throw SystemError(call: call(), errno: code)
        }
    }
}

/// Like ``syscall(_:_:)`` for a call on a non-blocking descriptor: `EAGAIN`/`EWOULDBLOCK` becomes
/// ``IOResult/wouldBlock`` instead of an error.
@inline(__always)
public func nonBlockingSyscall<Result: FixedWidthInteger>(
    _ call: @autoclosure () -> String, _ body: () -> Result
) throws(SystemError) -> IOResult<Result> {
    while true {
        let result = body()
        if result != -1 {
            return .processed(result)
        }
        switch errno {
        case EINTR:
            continue
        case EAGAIN, EWOULDBLOCK:
            return .wouldBlock
        case let code:
            throw SystemError(call: call(), errno: code)
        }
    }
}

/// Calls a function that returns 0 or an error number (the pthread family) and throws that error number.
func checkErrorNumber(_ call: @autoclosure () -> String, _ result: Int32) throws(SystemError) {
    if result != 0 {
        throw SystemError(call: call(), errno: result)
    }
}
