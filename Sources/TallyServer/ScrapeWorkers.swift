import Exposition
import Glibc
import MetricsCore
import SystemIO

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
    private let jobs = JobQueue<Job>()

    /// Starts `count` worker threads.
    init(registry: MetricRegistry, count: Int) throws(SystemError) {
        self.registry = registry
        for index in 0..<count {
            let handle = try spawnThread(name: "tally-scrape-\(index)") { [self] in work() }
            _ = consume handle
        }
    }

    /// Queues a scrape.
    func submit(_ job: Job) {
        jobs.submit(job)
    }

    /// Lets the workers finish the queued jobs and exit.
    func shutDown() {
        jobs.close()
    }

    /// Buffers up to this size are kept from scrape to scrape; larger ones (a store of many pushed series) are
    /// let go after each scrape rather than staying resident between scrapes in every worker.
    private static let retainedBufferBytes = 1 << 20

    private func work() {
        var encodeBuffer: [UInt8] = []
        var compressedBuffer: [UInt8] = []
        let compressor = try? GzipCompressor()
        while let job = jobs.next() {
            let snapshot = registry.collect()
            encodeBuffer.removeAll(keepingCapacity: true)
            encodeBuffer.reserveCapacity(ExpositionEncoder.estimatedSize(of: snapshot))
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
