import MonotonicTime
import SystemIO

/// The result of asking for one mount's statistics.
enum MountStatsOutcome: Equatable, Sendable {
    case statistics(FilesystemStatistics)
    case failed(FilesystemStatsError)
    /// The call did not return within the mount timeout, now or in an earlier collection: the mount is stuck.
    case timedOut
}

/// Runs the filesystem collector's `statfs` calls on a few threads of its own, so that a mount whose call hangs in
/// the kernel (a dead NFS server, a wedged FUSE daemon) cannot hold up a scrape.
///
/// - A collection waits at most the mount timeout, counted from its request. A call still unanswered then marks its
///   mount stuck, and the collection reports it as ``MountStatsOutcome/timedOut``. So does a call found older than
///   the timeout, even if the collection that started it stopped waiting.
/// - Later collections report a stuck mount at once, without a new call or any waiting, until the blocked call
///   returns; then the mount is statted normally again. So there is at most one thread blocked per stuck mount.
/// - The thread blocked in a stuck call cannot be cancelled. It stops counting towards the pool, which starts a
///   replacement when work arrives, and exits when its call returns if the pool is full by then.
/// - Concurrent collections asking for the same path share one call.
/// - ``request(_:)`` starts the calls and returns at once, so the caller can do other work (read mountinfo) while the
///   workers call `statfs`; ``outcomes(of:)`` then waits for them.
/// - One worker serves a collection at first; another is recruited each ``helperDelay`` while calls are still
///   queued, up to the worker limit. Fast local filesystems thus cost one thread hand-off per collection, and slow
///   ones are statted in parallel.
/// - Deadlines are read from the injected clock. A waiting collection looks at it again at least every
///   ``maximumWaitSlice``, so a clock that tests move by hand is honoured too.
final class MountStatsDispatcher: Sendable {
    private let core: Core

    /// How long queued calls wait before another worker is woken to help.
    static let helperDelay = Duration.milliseconds(1)

    /// The longest a waiting collection sleeps before it reads the clock again.
    static let maximumWaitSlice = Duration.milliseconds(100)

    /// Stack size of the worker threads: `statfs` and the bookkeeping around it need little.
    static let workerStackSize = 256 << 10

    init(source: any FilesystemStatsSource, workerLimit: Int, timeout: Duration, clock: MonotonicClock) {
        core = Core(
            source: source, workerLimit: max(1, workerLimit), timeout: max(timeout, .nanoseconds(1)), clock: clock)
    }

    deinit {
        core.shutDown()
    }

    /// The statistics of each path, in order, waiting at most the mount timeout.
    func statistics(of paths: [String]) -> [MountStatsOutcome] {
        outcomes(of: request(paths))
    }

    /// Starts the calls for `paths` (or joins calls already under way) and returns at once; the mount timeout
    /// counts from now. Every request is finished with ``outcomes(of:)`` or ``abandon(_:)``.
    func request(_ paths: [String]) -> MountStatsRequest {
        let request = MountStatsRequest(paths: paths)
        if !paths.isEmpty { core.start(request) }
        return request
    }

    /// The statistics of each path of `request`, in order, waiting until the request's deadline at most.
    func outcomes(of request: MountStatsRequest) -> [MountStatsOutcome] {
        guard !request.paths.isEmpty else { return [] }
        return core.wait(for: request)
    }

    /// Stops waiting for `request`; its calls go on and serve later requests.
    func abandon(_ request: MountStatsRequest) {
        guard !request.paths.isEmpty else { return }
        core.abandon(request)
    }

}

/// One collection's statistics requests, from ``MountStatsDispatcher/request(_:)`` until its outcomes are read.
/// Used by the thread that made it; its calls and batch are touched only with the dispatcher's lock held.
final class MountStatsRequest {
    let paths: [String]
    fileprivate let batch = MountStatsDispatcher.Batch()
    /// The call serving each path; nil for a path that was already stuck.
    fileprivate var calls: [MountStatsDispatcher.Call?] = []
    fileprivate var deadline = MonotonicInstant(nanoseconds: 0)

    fileprivate init(paths: [String]) {
        self.paths = paths
    }
}

extension MountStatsDispatcher {
    /// One `statfs` call, from being queued until it returns.
    fileprivate final class Call {
        enum State { case queued, running, finished }

        let path: String
        /// When the call was queued.
        let queuedAt: MonotonicInstant
        var state = State.queued
        var outcome: MountStatsOutcome?
        /// Set when the call outlived the timeout of a collection waiting for it.
        var isStuck = false
        /// Set when the call got stuck while running, or ran after it got stuck: its thread no longer counts as a
        /// worker.
        var lostWorker = false
        /// The collections waiting for this call.
        var waiters: [Batch] = []

        init(path: String, queuedAt: MonotonicInstant) {
            self.path = path
            self.queuedAt = queuedAt
        }
    }

    /// One collection's wait: the number of its calls that have neither returned nor got stuck.
    fileprivate final class Batch {
        var remaining = 0
    }

    /// The state shared by collections and worker threads.
    ///
    /// `@unchecked Sendable`: every `var` below is read and written only with `mutex` locked; the `let`s are
    /// immutable and either Sendable or pthread objects that are safe to use from any thread.
    private final class Core: @unchecked Sendable {
        let source: any FilesystemStatsSource
        let workerLimit: Int
        let timeout: Duration
        let clock: MonotonicClock
        let mutex = PthreadMutex()
        /// Signalled when calls are queued (one worker per signal) and at shutdown.
        let workAvailable = PthreadCondition()
        /// Broadcast when a waiting collection has nothing left to wait for.
        let progress = PthreadCondition()

        var queue: [Call] = []
        var queueHead = 0
        /// The unanswered call of each path, queued, running or stuck.
        var inFlight: [String: Call] = [:]
        /// Worker threads that are not blocked in a stuck call.
        var activeWorkers = 0
        var idleWorkers = 0
        var isShutDown = false

        init(source: any FilesystemStatsSource, workerLimit: Int, timeout: Duration, clock: MonotonicClock) {
            self.source = source
            self.workerLimit = workerLimit
            self.timeout = timeout
            self.clock = clock
        }

        var hasQueuedCalls: Bool { queueHead < queue.count }

        func start(_ request: MountStatsRequest) {
            let now = clock.now()
            request.deadline = now + timeout
            mutex.lock()
            defer { mutex.unlock() }
            let batch = request.batch
            request.calls.reserveCapacity(request.paths.count)
            for path in request.paths {
                if let call = inFlight[path] {
                    // A call older than the timeout is stuck even if the collection that started it stopped
                    // waiting for it.
                    if !call.isStuck && now - call.queuedAt >= timeout { markStuck(call, by: batch) }
                    guard !call.isStuck else {
                        request.calls.append(nil)
                        continue
                    }
                    call.waiters.append(batch)
                    request.calls.append(call)
                } else {
                    let call = Call(path: path, queuedAt: now)
                    call.waiters.append(batch)
                    inFlight[path] = call
                    queue.append(call)
                    request.calls.append(call)
                }
                batch.remaining += 1
            }
            if hasQueuedCalls && !isShutDown { recruitWorker() }
        }

        func wait(for request: MountStatsRequest) -> [MountStatsOutcome] {
            mutex.lock()
            defer { mutex.unlock() }
            let batch = request.batch
            var nextRecruit = clock.now() + MountStatsDispatcher.helperDelay
            while batch.remaining > 0 && !isShutDown {
                let now = clock.now()
                guard now < request.deadline else { break }
                if hasQueuedCalls && now >= nextRecruit {
                    recruitWorker()
                    nextRecruit = now + MountStatsDispatcher.helperDelay
                }
                let wakeAt = hasQueuedCalls ? min(request.deadline, nextRecruit) : request.deadline
                progress.wait(mutex, for: min(wakeAt - now, MountStatsDispatcher.maximumWaitSlice))
            }

            var outcomes: [MountStatsOutcome] = []
            outcomes.reserveCapacity(request.calls.count)
            for call in request.calls {
                if let call, call.state == .finished, let outcome = call.outcome {
                    outcomes.append(outcome)
                } else {
                    if let call { markStuck(call, by: batch) }
                    outcomes.append(.timedOut)
                }
            }
            return outcomes
        }

        func abandon(_ request: MountStatsRequest) {
            mutex.lock()
            defer { mutex.unlock() }
            for case let call? in request.calls {
                call.waiters.removeAll { $0 === request.batch }
            }
        }

        /// Records that `call` outlived the timeout of `batch`; the other collections waiting for it stop waiting.
        private func markStuck(_ call: Call, by batch: Batch) {
            call.waiters.removeAll { $0 === batch }
            guard !call.isStuck else { return }
            call.isStuck = true
            if call.state == .running { writeOffWorker(of: call) }
            releaseWaiters(of: call)
        }

        /// Stops counting the thread running `call` as a worker, as it may never return, and recruits another if
        /// work is queued.
        private func writeOffWorker(of call: Call) {
            call.lostWorker = true
            activeWorkers -= 1
            if hasQueuedCalls { recruitWorker() }
        }

        /// Wakes an idle worker, or starts one if the pool is not full.
        private func recruitWorker() {
            if idleWorkers > 0 {
                workAvailable.signal()
            } else if activeWorkers < workerLimit {
                activeWorkers += 1
                do {
                    let worker = try spawnThread(
                        name: "tally-statfs", stackSize: MountStatsDispatcher.workerStackSize
                    ) { [self] in runWorker() }
                    _ = consume worker
                } catch {
                    activeWorkers -= 1
                }
            }
        }

        private func runWorker() {
            mutex.lock()
            while !isShutDown {
                guard hasQueuedCalls else {
                    idleWorkers += 1
                    workAvailable.wait(mutex)
                    idleWorkers -= 1
                    continue
                }
                let call = queue[queueHead]
                queueHead += 1
                if queueHead == queue.count {
                    queue.removeAll(keepingCapacity: true)
                    queueHead = 0
                }
                call.state = .running
                if call.isStuck {
                    // Nobody waits for a call that already timed out while queued; should it hang too, this thread
                    // is lost like one that got stuck while running.
                    writeOffWorker(of: call)
                }
                mutex.unlock()
                let outcome: MountStatsOutcome
                do {
                    outcome = .statistics(try source.statistics(path: call.path))
                } catch {
                    outcome = .failed(error)
                }
                mutex.lock()
                finish(call, with: outcome)
                if call.lostWorker {
                    // A replacement may have taken this thread's place while it was blocked.
                    guard !isShutDown && activeWorkers < workerLimit else {
                        mutex.unlock()
                        return
                    }
                    activeWorkers += 1
                }
            }
            activeWorkers -= 1
            mutex.unlock()
        }

        /// Counts `call` as settled for every batch waiting on it, and wakes the waiters if one batch is complete.
        private func releaseWaiters(of call: Call) {
            var releasedWaiter = false
            for waiter in call.waiters {
                waiter.remaining -= 1
                releasedWaiter = releasedWaiter || waiter.remaining == 0
            }
            call.waiters.removeAll()
            if releasedWaiter { progress.broadcast() }
        }

        private func finish(_ call: Call, with outcome: MountStatsOutcome) {
            call.state = .finished
            call.outcome = outcome
            if inFlight[call.path] === call { inFlight[call.path] = nil }
            releaseWaiters(of: call)
        }

        func shutDown() {
            mutex.lock()
            isShutDown = true
            workAvailable.broadcast()
            progress.broadcast()
            mutex.unlock()
        }
    }
}
