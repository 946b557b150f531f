import Glibc
import MonotonicTime

/// A pthread mutex in storage that never moves, as pthread requires. Used with ``PthreadCondition`` where a thread
/// must sleep until something happens or a deadline passes, which `Synchronization.Mutex` cannot do.
// `@unchecked Sendable`: a pthread mutex exists to be shared between threads, and the pointer never changes.
public final class PthreadMutex: @unchecked Sendable {
    fileprivate let pointer: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: pthread_mutex_t())
        pthread_mutex_init(pointer, nil)
    }

    deinit {
        pthread_mutex_destroy(pointer)
        pointer.deallocate()
    }

    public func lock() {
        pthread_mutex_lock(pointer)
    }

    public func unlock() {
        pthread_mutex_unlock(pointer)
    }
}

/// A pthread condition variable whose timed waits use CLOCK_MONOTONIC, so that a change of the wall clock neither
/// shortens nor stretches a deadline.
// `@unchecked Sendable`: a pthread condition exists to be shared between threads, and the pointer never changes.
public final class PthreadCondition: @unchecked Sendable {
    private let pointer: UnsafeMutablePointer<pthread_cond_t>

    public init() {
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
    public func wait(_ mutex: PthreadMutex) {
        pthread_cond_wait(pointer, mutex.pointer)
    }

    /// Sleeps until signalled, woken spuriously, or `duration` has passed on `CLOCK_MONOTONIC` (the clock a timed
    /// wait in the kernel runs on, whatever clock the caller measures its deadlines with).
    public func wait(_ mutex: PthreadMutex, for duration: Duration) {
        let deadline = MonotonicClock.system.now() + max(duration, .zero)
        var time = timespec(
            tv_sec: Int(deadline.nanoseconds / 1_000_000_000), tv_nsec: Int(deadline.nanoseconds % 1_000_000_000))
        pthread_cond_timedwait(pointer, mutex.pointer, &time)
    }

    public func signal() {
        pthread_cond_signal(pointer)
    }

    public func broadcast() {
        pthread_cond_broadcast(pointer)
    }
}
