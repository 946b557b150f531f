import CLinux
import EventLoop
import Exposition
import Glibc
import MetricsCore
import Synchronization

/// Threads that collect and encode scrapes off the event loop, so that a slow collector (a filesystem waiting out
/// its mount timeout) never delays another client, a health check or a push.
///
/// Each worker keeps its own encoding buffer and gzip stream, reused from scrape to scrape.
final class ScrapeWorkers: Sendable {
    /// One scrape to perform; `deliver` runs on the worker thread with the encoded body.
    struct Job: Sendable {
        var format: ExpositionFormat
        var coding: ContentCoding
        var deliver: @Sendable (_ body: [UInt8]) -> Void
    }

    private let registry: MetricRegistry
    private let queue = Mutex(Queue())
    private let wakeups: Semaphore

    private struct Queue: ~Copyable {
        var jobs: [Job] = []
        var isShutDown = false
    }

    /// Starts `count` worker threads.
    init(registry: MetricRegistry, count: Int) throws(SystemError) {
        self.registry = registry
        self.wakeups = Semaphore()
        for index in 0..<count {
            let handle = try spawnThread(name: "tally-scrape-\(index)") { [self] in work() }
            _ = consume handle
        }
    }

    /// Queues a scrape.
    func submit(_ job: Job) {
        queue.withLock { $0.jobs.append(job) }
        wakeups.signal()
    }

    /// Lets the workers finish the queued jobs and exit.
    func shutDown(workerCount: Int) {
        queue.withLock { $0.isShutDown = true }
        for _ in 0..<workerCount { wakeups.signal() }
    }

    /// Buffers up to this size are kept from scrape to scrape; larger ones (a store of many pushed series) are
    /// let go after each scrape rather than staying resident between scrapes in every worker.
    private static let retainedBufferBytes = 1 << 20

    private func work() {
        var encodeBuffer: [UInt8] = []
        var compressedBuffer: [UInt8] = []
        let compressor = try? GzipCompressor()
        while true {
            wakeups.wait()
            let next: Job? = queue.withLock { queue in
                queue.jobs.isEmpty ? nil : queue.jobs.removeFirst()
            }
            guard let job = next else {
                if queue.withLock({ $0.isShutDown }) { return }
                continue
            }
            let snapshot = registry.collect()
            encodeBuffer.removeAll(keepingCapacity: true)
            Self.reserve(ExpositionEncoder.estimatedSize(of: snapshot), in: &encodeBuffer)
            ExpositionEncoder(format: job.format).encode(snapshot, into: &encodeBuffer)
            if job.coding == .gzip, let compressor {
                compressedBuffer.removeAll(keepingCapacity: true)
                if (try? compressor.compress(encodeBuffer, into: &compressedBuffer)) != nil {
                    job.deliver(compressedBuffer)
                } else {
                    // An impossible zlib failure degrades to an uncompressed body rather than a failed scrape.
                    job.deliver(encodeBuffer)
                }
            } else {
                job.deliver(encodeBuffer)
            }
            // The body now belongs to the connection. A small buffer is kept for the next scrape; a large one (many
            // pushed series) is let go so that it does not stay resident in every worker between scrapes.
            if encodeBuffer.capacity > Self.retainedBufferBytes { encodeBuffer = [] }
            if compressedBuffer.capacity > Self.retainedBufferBytes { compressedBuffer = [] }
        }
    }
}

extension ScrapeWorkers {
    /// Reserves room for a body; a large one (megabytes for many pushed series) is advised to use huge pages, since
    /// faulting in thousands of fresh small pages would cost several milliseconds of every such scrape.
    static func reserve(_ bytes: Int, in buffer: inout [UInt8]) {
        guard bytes > buffer.capacity else { return }
        buffer.reserveCapacity(bytes)
        if bytes >= retainedBufferBytes {
            let capacity = buffer.capacity
            buffer.withUnsafeMutableBufferPointer { storage in
                _ = tally_advise_huge_pages(storage.baseAddress, capacity)
            }
        }
    }
}

/// A counting semaphore over POSIX `sem_t`, which works across threads without Foundation or Dispatch.
final class Semaphore: @unchecked Sendable {
    // `@unchecked`: `sem_t` is designed to be shared between threads; the pointer is never reassigned.
    private let semaphore: UnsafeMutablePointer<sem_t>

    init(value: UInt32 = 0) {
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, value)
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    func signal() {
        sem_post(semaphore)
    }

    /// Waits for a signal, retrying when a signal handler interrupts the wait.
    func wait() {
        while sem_wait(semaphore) != 0 && errno == EINTR {}
    }
}
