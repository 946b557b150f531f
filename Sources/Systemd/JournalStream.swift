import Glibc

/// The stream identity systemd puts in `$JOURNAL_STREAM` when it connects a service's stdout or stderr to the
/// journal: `<device>:<inode>` in decimal, the `st_dev` and `st_ino` of that stream (systemd.exec(5)).
///
/// A logger compares it with fstat(2) of stderr: when they match, lines go to journald, which reads a leading
/// `<N>` as the syslog priority and adds its own timestamp. When stderr was redirected elsewhere (a file, a
/// terminal, a pipe of a child) the identities differ and plain lines are right.
public struct JournalStream: Equatable, Sendable {
    /// `st_dev` of the stream.
    public let device: UInt64

    /// `st_ino` of the stream.
    public let inode: UInt64

    /// Creates an identity from its two numbers.
    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// Parses `<device>:<inode>`, two unsigned decimal numbers without sign or spaces; nil for anything else.
    public init?(parsing text: String) {
        let utf8 = text.utf8
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")),
            let device = Self.decimal(utf8[..<colon]),
            let inode = Self.decimal(utf8[utf8.index(after: colon)...])
        else {
            return nil
        }
        self.init(device: device, inode: inode)
    }

    /// The identity in `$JOURNAL_STREAM`, or nil when it is unset or malformed.
    public static func fromEnvironment() -> JournalStream? {
        guard let value = getenv("JOURNAL_STREAM") else {
            return nil
        }
        return JournalStream(parsing: String(cString: value))
    }

    /// Whether `fileDescriptor` (stderr unless told otherwise) is the stream `$JOURNAL_STREAM` names, that is
    /// whether lines written to it end up in the journal. False outside systemd and when fstat(2) fails.
    public static func isConnected(fileDescriptor: Int32 = STDERR_FILENO) -> Bool {
        guard let expected = fromEnvironment() else {
            return false
        }
        var status = stat()
        guard fstat(fileDescriptor, &status) == 0 else {
            return false
        }
        return expected == JournalStream(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// An unsigned decimal number of 1 to 20 digits that fits in `UInt64`.
    private static func decimal(_ digits: Substring.UTF8View) -> UInt64? {
        guard !digits.isEmpty else {
            return nil
        }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                return nil
            }
            let (shifted, overflowShift) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdd) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflowShift, !overflowAdd else {
                return nil
            }
            value = sum
        }
        return value
    }
}

/// A log line's severity, mapped onto the syslog priorities journald understands (syslog(3), sd-daemon(3)).
public enum LogLevel: CaseIterable, Sendable {
    case trace, debug, info, notice, warning, error, critical

    /// The syslog priority: `LOG_DEBUG` (7) for trace and debug, `LOG_INFO` (6), `LOG_NOTICE` (5),
    /// `LOG_WARNING` (4), `LOG_ERR` (3) and `LOG_CRIT` (2). Syslog has no trace level; journald shows it as debug.
    public var syslogPriority: Int32 {
        switch self {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// The prefix journald strips and reads as the line's priority, e.g. `<4>` for a warning (sd-daemon(3)
    /// `SD_WARNING`).
    public var journalPrefix: String {
        "<\(syslogPriority)>"
    }
}
