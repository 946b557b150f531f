import Synchronization

/// Jobs handed from the event loop to one worker thread, in order.
final class JobQueue<Job: Sendable>: Sendable {
    private let jobs = Mutex<[Job]>([])
    private let wakeups = Semaphore()

    func submit(_ job: Job) {
        jobs.withLock { $0.append(job) }
        wakeups.signal()
    }

    /// The next job, waiting for one.
    func next() -> Job {
        while true {
            wakeups.wait()
            if let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return job }
        }
    }

    var isEmpty: Bool { jobs.withLock { $0.isEmpty } }
}
