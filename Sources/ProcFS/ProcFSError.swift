import Glibc

/// Why reading or parsing a kernel file failed.
public enum ProcFSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call on `path` failed. `call` names the C function (`open`, `read`, `opendir`, ...) and `errno`
    /// is its error number. A file larger than the reader's cap is reported as `read` with `EFBIG`.
    case readFailed(path: String, call: String, errno: Int32)

    /// The content of `file` does not have the expected shape. `line` is 1-based; `reason` says what was
    /// expected and usually quotes what was found.
    case malformed(file: String, line: Int, reason: String)

    /// One line, e.g. `/proc/meminfo:3: expected "<key>: <value> [kB]", got "MemFree 12"`.
    public var description: String {
        switch self {
        case .readFailed(let path, let call, let errno):
            return "\(path): \(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case .malformed(let file, let line, let reason):
            return "\(file):\(line): \(reason)"
        }
    }

    /// Whether the file does not exist (`open` failed with `ENOENT`): how an optional file is absent, such as
    /// /proc/net/snmp6 without IPv6 or the files of a kernel module that is not loaded.
    public var isMissingFile: Bool {
        guard case .readFailed(_, let call, let errno) = self else { return false }
        return call == "open" && errno == ENOENT
    }

    /// The same error with a malformed file renamed to the path it was actually read from, so that a parse error
    /// names `fixtures/proc/1/mountinfo` rather than the generic `/proc/[pid]/mountinfo`.
    @usableFromInline
    func relocated(to path: String) -> ProcFSError {
        switch self {
        case .readFailed:
            return self
        case .malformed(_, let line, let reason):
            return .malformed(file: path, line: line, reason: reason)
        }
    }
}
