/// A point in time on `CLOCK_MONOTONIC`, in nanoseconds since an unspecified start (boot).
///
/// ``MonotonicClock`` reads it. This is the clock systemd expects in `MONOTONIC_USEC` (see ``microseconds``).
/// Swift's `ContinuousClock` reads `CLOCK_BOOTTIME` on Linux instead, which also counts time spent suspended, so it
/// cannot stand in for it.
public struct MonotonicInstant: InstantProtocol, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's start.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// Whole microseconds since the clock's start, the value of systemd's `MONOTONIC_USEC=` (sd_notify(3)).
    public var microseconds: Int64 {
        nanoseconds / 1000
    }

    /// The instant `duration` later; saturates instead of overflowing for absurdly long durations.
    public func advanced(by duration: Duration) -> MonotonicInstant {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(duration.nanosecondsSaturated)
        if overflow {
            return MonotonicInstant(nanoseconds: duration < .zero ? .min : .max)
        }
        return MonotonicInstant(nanoseconds: sum)
    }

    public func duration(to other: MonotonicInstant) -> Duration {
        .nanoseconds(other.nanoseconds) - .nanoseconds(nanoseconds)
    }

    public static func + (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant {
        lhs.advanced(by: rhs)
    }

    public static func - (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Duration {
        rhs.duration(to: lhs)
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    public var description: String {
        "MonotonicInstant(\(nanoseconds) ns)"
    }
}

extension Duration {
    /// The duration in whole nanoseconds (sub-nanosecond parts dropped), clamped to the range of `Int64`.
    public var nanosecondsSaturated: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow {
            return seconds < 0 ? .min : .max
        }
        let (sum, sumOverflow) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if sumOverflow {
            return seconds < 0 ? .min : .max
        }
        return sum
    }
}
