import Glibc

/// A failed system call of a source the collectors read the system through (uname, adjtimex).
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The C function, e.g. `adjtimex`.
    public let call: String
    public let errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}
