import Glibc
import MonotonicTime
import Testing

@Suite struct MonotonicInstantTests {
    @Test func readsClockMonotonic() {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        let before = Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
        let now = MonotonicClock.system.now()
        clock_gettime(CLOCK_MONOTONIC, &time)
        let after = Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
        #expect(now.nanoseconds >= before && now.nanoseconds <= after)
        #expect(now.microseconds == now.nanoseconds / 1000)
    }

    @Test func arithmeticAndSaturation() {
        let instant = MonotonicInstant(nanoseconds: 1_500)
        #expect((instant + .microseconds(2)).nanoseconds == 3_500)
        #expect(instant.advanced(by: .nanoseconds(-500)).nanoseconds == 1_000)
        #expect((instant + .milliseconds(1)) - instant == .milliseconds(1))
        #expect(instant.duration(to: MonotonicInstant(nanoseconds: 500)) == .nanoseconds(-1_000))
        #expect((instant + .seconds(Int64.max)).nanoseconds == .max)
        #expect(MonotonicInstant(nanoseconds: .max - 1).advanced(by: .seconds(1)).nanoseconds == .max)
        #expect(MonotonicInstant(nanoseconds: .min + 1).advanced(by: .seconds(-1)).nanoseconds == .min)
        #expect(MonotonicInstant(nanoseconds: 1) < MonotonicInstant(nanoseconds: 2))
    }

    @Test func aManualClockMovesOnlyWhenAdvanced() {
        let manual = ManualClock(start: MonotonicInstant(nanoseconds: 7))
        let clock = manual.clock
        #expect(clock.now() == MonotonicInstant(nanoseconds: 7))
        #expect(clock.now() == MonotonicInstant(nanoseconds: 7))
        manual.advance(by: .milliseconds(3))
        #expect(clock.now() == MonotonicInstant(nanoseconds: 3_000_007))
        #expect(manual.now == clock.now())
    }
}
