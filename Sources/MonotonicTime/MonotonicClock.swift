import Glibc
import Synchronization

/// Where tally reads the time from: every component that measures a duration or waits for a deadline takes one of
/// these, so that tests can drive time by hand instead of sleeping.
public struct MonotonicClock: Sendable {
    private let read: @Sendable () -> MonotonicInstant

    /// A clock that reads `read`.
    public init(_ read: @escaping @Sendable () -> MonotonicInstant) {
        self.read = read
    }

    /// The current instant.
    public func now() -> MonotonicInstant {
        read()
    }

    /// `CLOCK_MONOTONIC`, served by the vDSO without a system call.
    public static let system = MonotonicClock {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return MonotonicInstant(nanoseconds: Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec))
    }
}

/// A clock that moves only when told to, for tests of timeouts and durations.
public final class ManualClock: Sendable {
    private let current: Mutex<MonotonicInstant>

    public init(start: MonotonicInstant = MonotonicInstant(nanoseconds: 1_000_000_000_000)) {
        current = Mutex(start)
    }

    /// The instant the clock shows.
    public var now: MonotonicInstant {
        current.withLock { $0 }
    }

    /// Moves the clock forward by `duration`.
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0 + duration }
    }

    /// The clock to inject.
    public var clock: MonotonicClock {
        MonotonicClock { [self] in now }
    }
}
