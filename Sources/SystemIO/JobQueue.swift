/// Jobs handed from one thread (usually the event loop) to worker threads, first in, first out.
///
/// Workers block in ``next()`` until a job arrives; ``close()`` lets them drain what is queued and then return nil.
public final class JobQueue<Job: Sendable>: Sendable {
    private let mutex = PthreadMutex()
    private let jobAvailable = PthreadCondition()
    // Read and written only with `mutex` locked.
    nonisolated(unsafe) private var jobs: [Job] = []
    nonisolated(unsafe) private var head = 0
    nonisolated(unsafe) private var isClosed = false

    public init() {}

    /// Queues `job` and wakes one waiting worker. A job submitted after ``close()`` is dropped.
    public func submit(_ job: Job) {
        mutex.lock()
        defer { mutex.unlock() }
        guard !isClosed else { return }
        jobs.append(job)
        jobAvailable.signal()
    }

    /// The next job, waiting for one; nil once the queue is closed and drained.
    public func next() -> Job? {
        mutex.lock()
        defer { mutex.unlock() }
        while head == jobs.count {
            if isClosed { return nil }
            jobAvailable.wait(mutex)
        }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }

    /// Whether no job is waiting to be taken.
    public var isEmpty: Bool {
        mutex.lock()
        defer { mutex.unlock() }
        return head == jobs.count
    }

    /// Lets the workers take what is queued and then return nil from ``next()``.
    public func close() {
        mutex.lock()
        defer { mutex.unlock() }
        isClosed = true
        jobAvailable.broadcast()
    }
}
