import CLinux
import Glibc
import MonotonicTime
import Synchronization

/// An object that handles the readiness events of one registered descriptor.
///
/// The loop stores the handler in a table indexed by descriptor and calls it through the protocol, so dispatching
/// an event allocates nothing. The loop keeps a handler alive until it is deregistered; a handler that refers back
/// to the loop should hold it `unowned` or `weak`, or the two keep each other alive.
public protocol EventHandler: AnyObject {
    /// Called on the event loop thread with the conditions epoll reported for the handler's descriptor.
    func handle(events: EpollEvents)
}

/// A single-threaded epoll event loop: descriptors with their handlers, timers, and a queue of tasks that other
/// threads hand to it.
///
/// One thread runs the loop and owns every registered descriptor and all state its handlers touch. Other threads
/// (scrape workers, an fsync thread) reach the loop only through ``execute(_:)`` and ``stop()``.
///
/// `@unchecked Sendable` because other threads need a reference for ``execute(_:)``, ``stop()`` and
/// ``inEventLoop``, and those touch only `pending` (behind a `Mutex`), `stopRequested` and `owner` (atomics) and
/// the eventfd (a `write`, which the kernel serializes). Everything else — registrations, timers, `runningTasks` — is read and written only on the
/// owner thread: the creating thread until ``run()`` starts, then the thread running it. The methods that touch it
/// assert this in debug builds.
public final class EventLoop: @unchecked Sendable {
    private struct Registration {
        var handler: any EventHandler
        /// Distinguishes this registration from earlier ones of the same descriptor number, so that an event read
        /// in the same batch as a deregistration is not delivered to the next owner of the number.
        var generation: UInt32
        var interest: EpollEvents
    }

    private struct PendingTasks {
        var tasks: [@Sendable () -> Void] = []
        /// Whether the eventfd has been written since the loop last drained `tasks`.
        var wakeupPending = false
    }

    /// The clock timers and deadlines are read from; handlers read it too, so that tests can drive time.
    public let clock: MonotonicClock
    private let epoll: Epoll
    private let wakeup: FileDescriptor
    private let events: UnsafeMutableBufferPointer<epoll_event>
    private let owner: Atomic<UInt>
    private let stopRequested = Atomic<Bool>(false)
    private let pending = Mutex(PendingTasks())

    private var registrations: [Registration?] = []
    private var nextGeneration: UInt32 = 0
    private var timers = TimerQueue()
    private var runningTasks: [@Sendable () -> Void] = []
    private var isRunning = false

    /// Creates a loop owned by the calling thread that reads time from `clock`; `maximumEventsPerWait` bounds one
    /// `epoll_wait`.
    public init(clock: MonotonicClock = .system, maximumEventsPerWait: Int = 256) throws(SystemError) {
        self.clock = clock
        epoll = try Epoll()
        let wakeupDescriptor = try syscall("eventfd") { eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK)) }
        wakeup = FileDescriptor(owning: wakeupDescriptor)
        owner = Atomic(UInt(pthread_self()))
        events = .allocate(capacity: max(1, maximumEventsPerWait))
        try register(wakeup, interest: .input, handler: WakeupHandler(loop: self))
    }

    deinit {
        events.deallocate()
    }

    /// Whether the caller runs on the thread that owns the loop.
    public var inEventLoop: Bool {
        pthread_equal(pthread_self(), pthread_t(owner.load(ordering: .relaxed))) != 0
    }

    @inline(__always)
    private func assertInEventLoop(_ function: StaticString = #function) {
        assert(inEventLoop, "EventLoop.\(function) called off the event loop thread")
    }

    // MARK: Running

    /// Runs the loop on the calling thread, which becomes its owner, until ``stop()`` is called.
    ///
    /// Each turn waits for events (at most until the next timer is due), calls the handlers of ready descriptors,
    /// then fires due timers. Throws only if `epoll_wait` itself fails.
    public func run() throws(SystemError) {
        precondition(!isRunning, "EventLoop.run() called while the loop is already running")
        owner.store(UInt(pthread_self()), ordering: .relaxed)
        isRunning = true
        defer {
            isRunning = false
            stopRequested.store(false, ordering: .relaxed)
        }
        while !stopRequested.load(ordering: .acquiring) {
            let count = try epoll.wait(into: events, timeoutMilliseconds: waitTimeout())
            for index in 0..<count {
                dispatch(events[index])
            }
            fireDueTimers()
        }
    }

    /// Makes ``run()`` return after its current turn. Safe to call from any thread, and before `run()` starts.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        wake()
    }

    private func dispatch(_ event: epoll_event) {
        let data = event.data.u64
        let fd = Int(UInt32(truncatingIfNeeded: data))
        guard fd < registrations.count, let registration = registrations[fd],
            registration.generation == UInt32(truncatingIfNeeded: data >> 32)
        else {
            return
        }
        registration.handler.handle(events: EpollEvents(rawValue: event.events))
    }

    /// The `epoll_wait` timeout: until the next timer, rounded up to whole milliseconds; -1 without timers.
    private func waitTimeout() -> Int32 {
        guard let deadline = timers.nextDeadline() else {
            return -1
        }
        let remaining = deadline.subtractingReportingOverflow(clock.now().nanoseconds)
        if remaining.overflow {
            return deadline > 0 ? Int32.max : 0
        }
        guard remaining.partialValue > 0 else {
            return 0
        }
        let (milliseconds, rest) = remaining.partialValue.quotientAndRemainder(dividingBy: 1_000_000)
        return Int32(clamping: rest > 0 ? milliseconds + 1 : milliseconds)
    }

    private func fireDueTimers() {
        let now = clock.now().nanoseconds
        while let (timer, action) = timers.popExpired(now: now) {
            switch action {
            case .closure(let body): body()
            case .handler(let handler): handler.timerFired(timer)
            }
        }
    }

    // MARK: Descriptors

    /// Starts delivering the events in `interest` for `descriptor` to `handler`, which the loop keeps until
    /// ``deregister(_:)``. Deregister before closing the descriptor.
    public func register(
        _ descriptor: borrowing FileDescriptor, interest: EpollEvents, handler: some EventHandler
    ) throws(SystemError) {
        assertInEventLoop()
        let fd = descriptor.rawValue
        nextGeneration &+= 1
        try epoll.add(fd, events: interest, data: Self.token(fd: fd, generation: nextGeneration))
        let index = Int(fd)
        if index >= registrations.count {
            registrations.append(contentsOf: repeatElement(nil, count: index - registrations.count + 1))
        }
        registrations[index] = Registration(handler: handler, generation: nextGeneration, interest: interest)
    }

    /// Changes the events a registered descriptor is watched for, typically adding or removing ``EpollEvents/output``
    /// while a response waits for send-buffer space. A no-op when the interest is unchanged (unless it contains
    /// ``EpollEvents/oneShot``, which this re-arms).
    public func setInterest(_ interest: EpollEvents, for descriptor: borrowing FileDescriptor) throws(SystemError) {
        assertInEventLoop()
        let fd = descriptor.rawValue
        guard let registration = registration(of: fd) else {
            throw SystemError(call: "epoll_ctl(EPOLL_CTL_MOD)", errno: ENOENT)
        }
        if registration.interest == interest && !interest.contains(.oneShot) {
            return
        }
        try epoll.modify(fd, events: interest, data: Self.token(fd: fd, generation: registration.generation))
        registrations[Int(fd)]?.interest = interest
    }

    /// The interest `descriptor` is registered with, or nil when it is not registered.
    public func interest(of descriptor: borrowing FileDescriptor) -> EpollEvents? {
        assertInEventLoop()
        return registration(of: descriptor.rawValue)?.interest
    }

    /// Stops watching `descriptor` and releases its handler. Events already read for it are not delivered.
    public func deregister(_ descriptor: borrowing FileDescriptor) throws(SystemError) {
        assertInEventLoop()
        let fd = descriptor.rawValue
        guard registration(of: fd) != nil else {
            throw SystemError(call: "epoll_ctl(EPOLL_CTL_DEL)", errno: ENOENT)
        }
        registrations[Int(fd)] = nil
        try epoll.remove(fd)
    }

    private func registration(of fd: Int32) -> Registration? {
        fd >= 0 && Int(fd) < registrations.count ? registrations[Int(fd)] : nil
    }

    /// The epoll user data of a registration: the generation in the high half, the descriptor in the low half.
    private static func token(fd: Int32, generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
    }

    // MARK: Timers

    /// Runs `action` on the loop at `deadline` (at once on the next turn if it has passed), and then every
    /// `interval` if one is given. Missed periods are skipped, not fired in a burst.
    @discardableResult
    public func schedule(
        at deadline: MonotonicInstant, repeating interval: Duration? = nil, _ action: @escaping () -> Void
    ) -> TimerID {
        schedule(at: deadline, interval: interval, action: .closure(action))
    }

    /// Runs `action` on the loop after `delay`, and then every `interval` if one is given.
    @discardableResult
    public func schedule(
        after delay: Duration, repeating interval: Duration? = nil, _ action: @escaping () -> Void
    ) -> TimerID {
        schedule(at: clock.now() + delay, interval: interval, action: .closure(action))
    }

    /// Calls `handler.timerFired(_:)` on the loop at `deadline`, and then every `interval` if one is given.
    /// Allocates nothing beyond amortized table growth.
    @discardableResult
    public func schedule(
        at deadline: MonotonicInstant, repeating interval: Duration? = nil, handler: some TimerHandler
    ) -> TimerID {
        schedule(at: deadline, interval: interval, action: .handler(handler))
    }

    private func schedule(at deadline: MonotonicInstant, interval: Duration?, action: TimerAction) -> TimerID {
        assertInEventLoop()
        let period = interval?.nanosecondsSaturated ?? 0
        precondition(interval == nil || period > 0, "a repeating timer needs a positive interval")
        return timers.schedule(at: deadline.nanoseconds, interval: period, action: action)
    }

    /// Moves a pending timer to `deadline` (for a repeating timer, its next firing). Returns false if the timer
    /// has already fired or been cancelled. Moving a deadline later, as an idle timeout does, is cheap.
    @discardableResult
    public func reschedule(_ timer: TimerID, at deadline: MonotonicInstant) -> Bool {
        assertInEventLoop()
        return timers.reschedule(timer, at: deadline.nanoseconds)
    }

    /// Cancels a timer. Returns false if it had already fired (a one-shot timer) or been cancelled.
    @discardableResult
    public func cancel(_ timer: TimerID) -> Bool {
        assertInEventLoop()
        return timers.cancel(timer)
    }

    /// Whether `timer` is still scheduled.
    public func isPending(_ timer: TimerID) -> Bool {
        assertInEventLoop()
        return timers.isPending(timer)
    }

    // MARK: Tasks from other threads

    /// Runs `task` on the loop thread during a later turn; callable from any thread, including the loop's own.
    /// Tasks run in the order they were submitted. Tasks still queued when the loop is destroyed never run.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        let needsWakeup = pending.withLock { state in
            state.tasks.append(task)
            defer { state.wakeupPending = true }
            return !state.wakeupPending
        }
        if needsWakeup {
            wake()
        }
    }

    /// Makes the eventfd readable so that `epoll_wait` returns.
    private func wake() {
        var one: UInt64 = 1
        // EAGAIN would mean the counter is full, in which case the loop is already awake.
        _ = Glibc.write(wakeup.rawValue, &one, MemoryLayout<UInt64>.size)
    }

    /// Resets the eventfd and runs the queued tasks; new tasks they submit run on a later turn.
    fileprivate func runPendingTasks() {
        var counter: UInt64 = 0
        _ = Glibc.read(wakeup.rawValue, &counter, MemoryLayout<UInt64>.size)
        var batch = runningTasks
        runningTasks = []
        pending.withLock { state in
            swap(&state.tasks, &batch)
            state.wakeupPending = false
        }
        for task in batch {
            task()
        }
        batch.removeAll(keepingCapacity: true)
        runningTasks = batch
    }
}

/// Drains the task queue when the loop's eventfd becomes readable.
private final class WakeupHandler: EventHandler {
    unowned let loop: EventLoop

    init(loop: EventLoop) {
        self.loop = loop
    }

    func handle(events: EpollEvents) {
        loop.runPendingTasks()
    }
}
