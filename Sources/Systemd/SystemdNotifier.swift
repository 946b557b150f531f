import CSystemd
import Glibc
import MonotonicTime

/// Reports the service state to systemd over `$NOTIFY_SOCKET` (sd_notify(3)).
///
/// Every message is one datagram of newline-separated `KEY=VALUE` assignments, sent by libsystemd's `sd_notify`,
/// which handles path and `@abstract` socket addresses. Outside systemd (`NOTIFY_SOCKET` unset) every call does
/// nothing and succeeds. The environment is left in place, because the watchdog pings and every later message
/// need it.
///
/// The notifier holds no state; the server calls it from its event-loop thread.
public struct SystemdNotifier: Sendable {
    /// The clock whose reading `RELOADING=1` carries; systemd compares it with `CLOCK_MONOTONIC`.
    private let clock: MonotonicClock

    /// Creates a notifier; it reads `$NOTIFY_SOCKET` anew on every message.
    public init(clock: MonotonicClock = .system) {
        self.clock = clock
    }

    /// Whether `$NOTIFY_SOCKET` is set, that is whether messages go anywhere.
    public var isActive: Bool {
        getenv("NOTIFY_SOCKET") != nil
    }

    /// `READY=1`: start-up (or a reload) finished. Send it only once every listener is bound, the configuration
    /// is loaded and a first collection succeeded.
    public func ready() throws(SystemdError) {
        try send("READY=1")
    }

    /// `RELOADING=1` together with `MONOTONIC_USEC=` (the current `CLOCK_MONOTONIC` time in microseconds) in
    /// one datagram, as `Type=notify-reload` requires; follow it with ``ready()`` when the reload is done.
    public func reloading() throws(SystemdError) {
        try send("RELOADING=1\nMONOTONIC_USEC=\(clock.now().microseconds)")
    }

    /// `STOPPING=1`: shutdown began.
    public func stopping() throws(SystemdError) {
        try send("STOPPING=1")
    }

    /// `WATCHDOG=1`: the keep-alive ping, sent from the event loop every ``Watchdog/pingInterval``.
    public func watchdog() throws(SystemdError) {
        try send("WATCHDOG=1")
    }

    /// `STATUS=`: a one-line status shown by `systemctl status`. Control characters (line breaks among them)
    /// become spaces so that the line cannot end early or inject another assignment.
    public func status(_ line: String) throws(SystemdError) {
        try send("STATUS=" + Self.singleLine(line))
    }

    /// Sends several assignments in one datagram, e.g. `["STATUS": "reloading", "EXTEND_TIMEOUT_USEC": "5000000"]`.
    /// Control characters in values become spaces. Keys are the caller's constants (sd_notify(3) names them); one
    /// that is empty or holds `=` or a control character is a programming error and stops the process.
    public func notify(_ assignments: KeyValuePairs<String, String>) throws(SystemdError) {
        var message = ""
        for (key, value) in assignments {
            precondition(
                !key.isEmpty && !key.utf8.contains { $0 == UInt8(ascii: "=") || $0 < 0x20 || $0 == 0x7F },
                "sd_notify key '\(key)' is empty or holds '=' or a control character")
            if !message.isEmpty {
                message.append("\n")
            }
            message.append(key)
            message.append("=")
            message.append(Self.singleLine(value))
        }
        try send(message)
    }

    private func send(_ message: String) throws(SystemdError) {
        let result = message.withCString { tally_sd_notify($0) }
        if result < 0 {
            throw SystemdError(call: "sd_notify", result: result)
        }
    }

    /// `text` with every control character (C0 and DEL; `\n`, `\r` and NUL among them) replaced by a space.
    static func singleLine(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            return text
        }
        var bytes = Array(text.utf8)
        for index in bytes.indices where bytes[index] < 0x20 || bytes[index] == 0x7F {
            bytes[index] = 0x20
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
