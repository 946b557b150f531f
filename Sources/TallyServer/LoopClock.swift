import EventLoop

/// The event loop's monotonic clock, in a file that sees only the EventLoop module: its `MonotonicInstant` and
/// HTTP1's share a name, and the module name `EventLoop` is also a class, so it cannot qualify the type elsewhere.
enum LoopClock {
    /// CLOCK_MONOTONIC now, in nanoseconds.
    static func nanoseconds() -> UInt64 {
        UInt64(clamping: MonotonicInstant.now().nanoseconds)
    }

    /// A timer deadline on the loop's clock.
    static func deadline(nanoseconds: UInt64) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: Int64(clamping: nanoseconds))
    }
}
