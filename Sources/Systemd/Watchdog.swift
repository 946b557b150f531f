import CSystemd

/// The service watchdog systemd armed for this process (`WatchdogSec=` in the unit, sd_watchdog_enabled(3)).
///
/// systemd kills or restarts the service when no `WATCHDOG=1` arrives within ``timeout``. Pinging from the event
/// loop every ``pingInterval`` (half the timeout, as the man page recommends) means a stuck loop stops the pings.
public struct Watchdog: Equatable, Sendable {
    /// `$WATCHDOG_USEC`: how long systemd waits for a ping, in microseconds.
    public let timeoutMicroseconds: UInt64

    /// Creates a watchdog with the given timeout, for tests and callers that know it already.
    public init(timeoutMicroseconds: UInt64) {
        self.timeoutMicroseconds = timeoutMicroseconds
    }

    /// How long systemd waits for a ping.
    public var timeout: Duration {
        .microseconds(Int64(clamping: timeoutMicroseconds))
    }

    /// How often to send `WATCHDOG=1`: half of ``timeout``.
    public var pingInterval: Duration {
        timeout / 2
    }

    /// The watchdog from `$WATCHDOG_USEC`, or nil when it is off: the variable is unset, or `$WATCHDOG_PID` names
    /// another process (the value was meant for a parent). Throws when either variable is malformed or the
    /// timeout is zero. The environment is left in place.
    public static func fromEnvironment() throws(SystemdError) -> Watchdog? {
        var microseconds: UInt64 = 0
        let result = tally_sd_watchdog_enabled(&microseconds)
        if result < 0 {
            throw SystemdError(call: "sd_watchdog_enabled", result: result)
        }
        return result == 0 ? nil : Watchdog(timeoutMicroseconds: microseconds)
    }
}
