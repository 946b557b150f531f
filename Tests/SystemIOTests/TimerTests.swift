import Glibc
import MonotonicTime
import SystemIO
import Testing

@Suite struct TimerTests {
    @Test func timersFireInDeadlineOrderAndCancelledOnesDoNot() throws {
        let loop = try EventLoop()
        var fired: [String] = []
        let start = MonotonicClock.system.now()
        loop.schedule(at: start + .milliseconds(30)) { fired.append("c") }
        loop.schedule(at: start + .milliseconds(10)) { fired.append("a") }
        let cancelled = loop.schedule(at: start + .milliseconds(20)) { fired.append("x") }
        loop.schedule(at: start + .milliseconds(20)) { fired.append("b") }
        loop.schedule(at: start + .milliseconds(40)) { loop.stop() }
        #expect(loop.isPending(cancelled))
        #expect(loop.cancel(cancelled))
        #expect(!loop.cancel(cancelled))
        #expect(!loop.isPending(cancelled))
        #expect(try runLoop(loop))
        #expect(fired == ["a", "b", "c"])
        #expect(MonotonicClock.system.now() - start >= .milliseconds(40))
    }

    @Test func timersDueAtTheSameInstantFireInSchedulingOrder() throws {
        let loop = try EventLoop()
        var fired: [Int] = []
        let deadline = MonotonicClock.system.now() + .milliseconds(5)
        for index in 0..<20 {
            loop.schedule(at: deadline) { fired.append(index) }
        }
        loop.schedule(at: deadline) { loop.stop() }
        #expect(try runLoop(loop))
        #expect(fired == Array(0..<20))
    }

    @Test func pastDeadlineFiresOnTheNextTurn() throws {
        let loop = try EventLoop()
        var fired = false
        loop.schedule(at: MonotonicInstant(nanoseconds: 0)) {
            fired = true
            loop.stop()
        }
        #expect(try runLoop(loop, timeout: .seconds(1)))
        #expect(fired)
    }

    @Test func repeatingTimerFiresUntilCancelled() throws {
        let loop = try EventLoop()
        var count = 0
        var timer: TimerID?
        timer = loop.schedule(after: .milliseconds(2), repeating: .milliseconds(2)) {
            count += 1
            if count == 3, let timer {
                loop.cancel(timer)
                loop.schedule(after: .milliseconds(20)) { loop.stop() }
            }
        }
        #expect(try runLoop(loop))
        #expect(count == 3)
        #expect(timer.map { loop.isPending($0) } == false)
    }

    @Test func rescheduleMovesADeadlineLaterAndEarlier() throws {
        let loop = try EventLoop()
        let start = MonotonicClock.system.now()
        var lateFiredAt: Duration?
        var earlyFiredAt: Duration?
        let late = loop.schedule(at: start + .milliseconds(5)) { lateFiredAt = MonotonicClock.system.now() - start }
        let early = loop.schedule(at: start + .seconds(10)) { earlyFiredAt = MonotonicClock.system.now() - start }
        #expect(loop.reschedule(late, at: start + .milliseconds(40)))
        #expect(loop.reschedule(early, at: start + .milliseconds(10)))
        loop.schedule(at: start + .milliseconds(60)) { loop.stop() }
        #expect(try runLoop(loop))
        let lateTime = try #require(lateFiredAt)
        let earlyTime = try #require(earlyFiredAt)
        #expect(lateTime >= .milliseconds(40))
        #expect(earlyTime >= .milliseconds(10) && earlyTime < .seconds(5))
        #expect(!loop.reschedule(late, at: start))
    }

    @Test func handlerTimersReceiveTheirID() throws {
        final class Recorder: TimerHandler {
            var fired: [TimerID] = []
            let loop: EventLoop
            init(loop: EventLoop) { self.loop = loop }
            func timerFired(_ timer: TimerID) {
                fired.append(timer)
                if fired.count == 2 {
                    loop.stop()
                }
            }
        }
        let loop = try EventLoop()
        let recorder = Recorder(loop: loop)
        let now = MonotonicClock.system.now()
        let second = loop.schedule(at: now + .milliseconds(6), handler: recorder)
        let first = loop.schedule(at: now + .milliseconds(3), handler: recorder)
        #expect(try runLoop(loop))
        #expect(recorder.fired == [first, second])
    }

    /// Many cancelled and rescheduled timers (per-connection timeouts) neither fire nor pile up.
    @Test func churnOfCancelledTimersKeepsOnlyLiveOnesFiring() throws {
        let loop = try EventLoop()
        var fired = 0
        let base = MonotonicClock.system.now() + .milliseconds(5)
        var ids: [TimerID] = []
        for index in 0..<2000 {
            ids.append(loop.schedule(at: base + .microseconds(index)) { fired += 1 })
        }
        for (index, id) in ids.enumerated() where index % 10 != 0 {
            loop.cancel(id)
        }
        for id in ids.prefix(100) {
            loop.reschedule(id, at: base + .milliseconds(10))
        }
        loop.schedule(at: base + .milliseconds(20)) { loop.stop() }
        #expect(try runLoop(loop))
        #expect(fired == 200)
    }
}
