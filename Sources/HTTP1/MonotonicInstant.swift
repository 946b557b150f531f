/// A point in time on a monotonic clock (on Linux, `CLOCK_MONOTONIC`), in nanoseconds from an arbitrary origin.
///
/// The connection state machine never reads a clock: the server passes the current instant in, and tests pass
/// made-up ones.
public struct MonotonicInstant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// The instant `duration` later; saturates at the end of the clock, and negative durations count as zero.
    public static func + (instant: MonotonicInstant, duration: Duration) -> MonotonicInstant {
        let (sum, overflow) = instant.nanoseconds.addingReportingOverflow(Self.nanoseconds(in: duration))
        return MonotonicInstant(nanoseconds: overflow ? .max : sum)
    }

    /// `1.500000000s`.
    public var description: String {
        let fraction = String(nanoseconds % 1_000_000_000)
        return "\(nanoseconds / 1_000_000_000).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)s"
    }

    /// A duration in whole nanoseconds, clamped to 0...UInt64.max.
    private static func nanoseconds(in duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (wholeSeconds, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        let (sum, addOverflow) = wholeSeconds.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return addOverflow ? .max : sum
    }
}
