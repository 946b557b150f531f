import Glibc

/// A pthread mutex in storage that never moves, as pthread requires. Used with ``PthreadCondition`` where a thread
/// must sleep until a deadline, which `Synchronization.Mutex` cannot do.
final class PthreadMutex {
    let pointer: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: pthread_mutex_t())
        pthread_mutex_init(pointer, nil)
    }

    deinit {
        pthread_mutex_destroy(pointer)
        pointer.deallocate()
    }

    func lock() {
        pthread_mutex_lock(pointer)
    }

    func unlock() {
        pthread_mutex_unlock(pointer)
    }
}

/// A pthread condition variable whose timed waits use CLOCK_MONOTONIC, so that a change of the wall clock neither
/// shortens nor stretches a deadline.
final class PthreadCondition {
    private let pointer: UnsafeMutablePointer<pthread_cond_t>

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(pointer, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(pointer)
        pointer.deallocate()
    }

    /// Sleeps until signalled (or woken spuriously); `mutex` must be locked and is locked again on return.
    func wait(_ mutex: PthreadMutex) {
        pthread_cond_wait(pointer, mutex.pointer)
    }

    /// Sleeps until signalled, woken spuriously, or the monotonic clock reaches `deadline` nanoseconds.
    func wait(_ mutex: PthreadMutex, until deadline: UInt64) {
        var time = timespec(
            tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        pthread_cond_timedwait(pointer, mutex.pointer, &time)
    }

    func signal() {
        pthread_cond_signal(pointer)
    }

    func broadcast() {
        pthread_cond_broadcast(pointer)
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// Starts a detached thread running `body` with a small stack; false when the system refuses another thread.
func startDetachedThread(stackSize: Int, _ body: @escaping @Sendable () -> Void) -> Bool {
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    pthread_attr_setstacksize(&attributes, stackSize)
    let argument = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(
        &thread, &attributes,
        { argument in
            guard let argument else { return nil }
            Unmanaged<Box>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, argument)
    guard result == 0 else {
        Unmanaged<Box>.fromOpaque(argument).release()
        return false
    }
    return true
}
