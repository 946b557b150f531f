import CSystemd
import Glibc

/// A libsystemd call failed. libsystemd reports failures as a negative errno; `errno` holds it made positive.
public struct SystemdError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The C function that failed, e.g. `sd_notify`.
    public let call: String

    /// The error number, e.g. `ECONNREFUSED` when nothing listens on `$NOTIFY_SOCKET`.
    public let errno: Int32

    /// Creates an error for `call` failing with `errno`.
    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// Wraps the negative return value `result` of `call`.
    init(call: String, result: Int32) {
        self.init(call: call, errno: Int32(clamping: result.magnitude))
    }

    /// One line, e.g. `sd_notify failed: Connection refused (errno 111)`. `ELIBACC` is the shim's answer when
    /// libsystemd.so.0 could not be loaded; the line then says why.
    public var description: String {
        if errno == ELIBACC, let reason = tally_systemd_load_error() {
            return "\(call) failed: libsystemd cannot be loaded: \(String(cString: reason))"
        }
        return "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
