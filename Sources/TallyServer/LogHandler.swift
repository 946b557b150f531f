import Glibc
import Logging
import SystemIO
import Systemd

/// How log lines are written: `--log.format`.
public enum LogFormat: String, CaseIterable, Sendable {
    /// `time=2026-11-24T19:00:00.123Z level=info msg="listening" address=:9479`
    case logfmt
    /// `{"time":"2026-11-24T19:00:00.123Z","level":"info","msg":"listening","address":":9479"}`
    case json
}

/// A swift-log handler writing one line per record to standard error, in logfmt or JSON. Under systemd, when
/// standard error is the journal (`JOURNAL_STREAM` names it), each line starts with its syslog priority (`<6>`) so
/// that journald keeps the level.
public struct TallyLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let format: LogFormat
    private let prefixesPriority: Bool

    public init(format: LogFormat, level: Logger.Level, toJournal: Bool = JournalStream.isConnected()) {
        self.format = format
        self.logLevel = level
        self.prefixesPriority = toJournal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("time", Self.timestamp()), ("level", Self.name(of: event.level)), ("msg", "\(event.message)"),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in merged.keys.sorted() {
            fields.append((key, "\(merged[key]!)"))
        }
        var line = prefixesPriority ? Self.priority(of: event.level).journalPrefix : ""
        line += format == .json ? Self.json(fields) : Self.logfmt(fields)
        line += "\n"
        // A log line that cannot be written has nowhere else to go.
        try? writeAll(Array(line.utf8), to: STDERR_FILENO)
    }

    /// logfmt: `key=value`, quoting values with spaces, quotes, `=` or control characters.
    static func logfmt(_ fields: [(String, String)]) -> String {
        fields.map { key, value in
            let needsQuotes =
                value.isEmpty
                || value.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.value < 0x20 }
            return key + "=" + (needsQuotes ? quoted(value) : value)
        }.joined(separator: " ")
    }

    static func json(_ fields: [(String, String)]) -> String {
        "{" + fields.map { quoted($0) + ":" + quoted($1) }.joined(separator: ",") + "}"
    }

    /// A double-quoted string with JSON escapes (which logfmt readers accept too).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func name(of level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warn"
        case .error: "error"
        case .critical: "critical"
        }
    }

    static func priority(of level: Logger.Level) -> LogLevel {
        switch level {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }

    /// RFC 3339 UTC time with milliseconds, from the real-time clock.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }
}
