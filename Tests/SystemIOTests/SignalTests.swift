import Glibc
import Synchronization
import SystemIO
import Testing

@Suite struct SignalTests {
    /// Blocks the signals on the test's thread only, and raises them at that thread, so that the test process's
    /// other threads are unaffected.
    @Test func raisedSignalsArriveThroughTheSignalFD() throws {
        let signals: SignalSet = [SIGUSR1, SIGHUP]
        var previous = sigset_t()
        var set = sigset_t()
        sigemptyset(&set)
        pthread_sigmask(SIG_BLOCK, nil, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try signals.block()

        let loop = try EventLoop()
        var received: [Int32] = []
        let signalFD = try SignalFD(signals, loop: loop) { signal in
            received.append(signal)
            if received.count == 2 {
                loop.stop()
            }
        }
        raise(SIGUSR1)
        raise(SIGHUP)
        #expect(try runLoop(loop))
        signalFD.close()
        #expect(received.sorted() == [SIGHUP, SIGUSR1].sorted())
        sigpending(&set)
        #expect(sigismember(&set, SIGUSR1) == 0)
    }

    @Test func signalSetIsSortedAndUnique() {
        let set: SignalSet = [SIGTERM, SIGINT, SIGTERM, SIGHUP]
        #expect(set.signals == [SIGHUP, SIGINT, SIGTERM])
        #expect(SignalSet.server == set)
    }

    /// Runs in a thread of its own so that the mask it sets ends with that thread.
    @Test func prepareProcessSignalsBlocksAndIgnoresSIGPIPE() throws {
        let result = Mutex<(blocked: [Int32], pipeIgnored: Bool)?>(nil)
        let thread = try spawnThread(name: "signal-prepare") {
            var empty = sigset_t()
            sigemptyset(&empty)
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            do {
                try prepareProcessSignals()
            } catch {
                return
            }
            var mask = sigset_t()
            pthread_sigmask(SIG_BLOCK, nil, &mask)
            let blocked = [SIGTERM, SIGINT, SIGHUP, SIGUSR2].filter { sigismember(&mask, $0) == 1 }
            var action = sigaction()
            sigaction(SIGPIPE, nil, &action)
            let ignored = unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) == 1
            result.withLock { $0 = (blocked, ignored) }
        }
        thread.join()
        let outcome = try #require(result.withLock { $0 })
        #expect(outcome.blocked == [SIGTERM, SIGINT, SIGHUP])
        #expect(outcome.pipeIgnored)
    }
}
