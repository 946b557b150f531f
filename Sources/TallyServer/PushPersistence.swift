import EventLoop
import Glibc
import Logging
import PushStore
import Synchronization

/// Keeps pushed series across restarts, and makes a `!sync` confirmation mean "durable".
///
/// Two files beside each other:
/// - the state file, a checksummed snapshot of every series (``PushStateSnapshot``), replaced atomically (written to
///   a temporary file, fsync'd, renamed over the old one, directory fsync'd) on an interval, when the journal grows
///   large, and at shutdown;
/// - a journal, `<state file>.journal.<generation>`, to which the event loop appends every accepted line (and every
///   `!delete`) after applying it. A confirmation waits until an fdatasync of the journal, or a snapshot, covers it.
///   fdatasync calls are grouped: every confirmation waiting when one starts is served by it.
///
/// A snapshot of generation `g` holds everything journalled before journal `g` was opened; at start the snapshot is
/// restored and journals `g` and later are replayed, stopping at the first torn record (a SIGKILL mid-write; that
/// record was never confirmed). A corrupt snapshot is renamed aside with the journals and tally starts empty rather
/// than failing to start.
///
/// Journal records are ``PushJournal`` records.
final class PushPersistence {
    private let stateFile: String
    private let store: PushStore
    private let loop: EventLoop
    private let logger: Logger
    private var generation: UInt64 = 0
    /// The open journal; a raw descriptor because the fsync thread uses it by number and rotation hands it over.
    private var journal: Int32?
    private var journalBytes = 0
    /// The record being appended, reused.
    private var record: [UInt8] = []
    /// Records appended so far; the sequence number of the last one.
    private(set) var appendedSequence: UInt64 = 0
    /// Everything up to this sequence is on disk.
    private(set) var durableSequence: UInt64 = 0
    private var waiters: [(sequence: UInt64, action: () -> Void)] = []
    private let fsyncJobs = JobQueue<FsyncJob>()
    private var fsyncInFlight = false
    /// The sequence up to which the current journal has been fdatasync'd; durable only once the snapshot that
    /// covers the previous journals is too.
    private var fsyncedInCurrentJournal: UInt64 = 0
    /// The sequence a snapshot being written covers; until it is on disk, the journals it replaces still matter.
    private var pendingSnapshotSequence: UInt64?
    /// Journals replaced by a new generation whose descriptors wait for the snapshot and any fsync in flight.
    private var retiredJournals: [(generation: UInt64, descriptor: Int32)] = []
    /// The last sequence written to a retired journal.
    private var retiredUpTo: UInt64 = 0
    private let snapshotJobs = JobQueue<SnapshotJob>()
    private var snapshotInFlight: Bool { pendingSnapshotSequence != nil }
    /// The journal size that triggers a snapshot.
    static let compactionThreshold = 64 << 20

    private struct FsyncJob: Sendable {
        var descriptor: Int32
        var sequence: UInt64
        /// Whether the descriptor is a retired journal (its records come before the current journal's).
        var isRetired: Bool
    }

    private struct SnapshotJob: Sendable {
        var snapshot: PushStateSnapshot
        var generation: UInt64
        var completion: @Sendable (Result<Void, SystemError>) -> Void
    }

    init(stateFile: String, store: PushStore, loop: EventLoop, logger: Logger) {
        self.stateFile = stateFile
        self.store = store
        self.loop = loop
        self.logger = logger
    }

    // MARK: Start-up

    /// Restores the state file and replays the journals, then writes a fresh snapshot and opens a new journal, so
    /// that the old journals can go. Runs before the event loop and the worker threads start.
    func restoreAndStart() throws(SystemError) {
        var restoredGeneration: UInt64 = 0
        if let bytes = try readIfPresent(stateFile) {
            do {
                let report = try store.restoreState(bytes)
                restoredGeneration = report.generation
                logger.info(
                    "restored pushed series",
                    metadata: ["file": "\(stateFile)", "series": "\(report.series)", "families": "\(report.families)"])
                for skipped in report.skipped {
                    logger.warning("a restored metric was skipped", metadata: ["reason": "\(skipped)"])
                }
            } catch {
                setAsideCorruptState(reason: String(describing: error))
                restoredGeneration = .max
            }
        }
        if restoredGeneration != .max {
            for (journalGeneration, path) in journals() where journalGeneration >= restoredGeneration {
                replay(path)
            }
        }
        generation = max(restoredGeneration == .max ? 0 : restoredGeneration, journals().map(\.0).max() ?? 0) + 1
        let snapshot = store.stateSnapshot()
        try writeSnapshot(snapshot.encode(generation: generation))
        removeJournals(before: generation)
        try openJournal()
        startThreads()
    }

    private func setAsideCorruptState(reason: String) {
        let suffix = ".corrupt-\(time(nil))"
        logger.error(
            "the push state file is corrupt; it is set aside and tally starts without pushed series",
            metadata: ["file": "\(stateFile)", "reason": "\(reason)", "moved_to": "\(stateFile + suffix)"])
        rename(stateFile, stateFile + suffix)
        for (_, path) in journals() { rename(path, path + suffix) }
    }

    /// Applies the records of one journal, stopping at the first incomplete or damaged record.
    private func replay(_ path: String) {
        guard let bytes = try? readIfPresent(path) else { return }
        let replay = store.replayJournal(bytes)
        if replay.ignoredBytes > 0 {
            logger.warning(
                "the push journal ends in an incomplete record, which was never confirmed; it is ignored",
                metadata: ["file": "\(path)", "ignored_bytes": "\(replay.ignoredBytes)"])
        }
        logger.info("replayed push journal", metadata: ["file": "\(path)", "records": "\(replay.records)"])
    }

    // MARK: Running

    /// Appends accepted lines (already applied to the store) as one journal record; returns its sequence number.
    /// Called on the event loop.
    @discardableResult
    func append(_ payload: [UInt8]) -> UInt64 {
        guard !payload.isEmpty, let journal else { return appendedSequence }
        record.removeAll(keepingCapacity: true)
        PushJournal.appendRecord(payload, to: &record)
        do {
            try Self.writeAll(record, to: journal)
        } catch {
            logger.error("cannot append to the push journal", metadata: ["error": "\(error)"])
            return appendedSequence
        }
        appendedSequence += 1
        journalBytes += record.count
        if journalBytes >= Self.compactionThreshold { compact() }
        return appendedSequence
    }

    /// Runs `action` on the loop once everything appended so far is durable.
    func whenDurable(_ action: @escaping () -> Void) {
        let sequence = appendedSequence
        guard sequence > durableSequence else {
            action()
            return
        }
        waiters.append((sequence, action))
        requestFsync()
    }

    private func requestFsync() {
        guard !fsyncInFlight, let journal, appendedSequence > max(durableSequence, fsyncedInCurrentJournal) else {
            return
        }
        enqueueFsync(FsyncJob(descriptor: journal, sequence: appendedSequence, isRetired: false))
    }

    private func enqueueFsync(_ job: FsyncJob) {
        fsyncInFlight = true
        fsyncJobs.submit(job)
    }

    private func startThreads() {
        let loop = LoopBound(self, loop: self.loop)
        let fsyncJobs = self.fsyncJobs
        let snapshotJobs = self.snapshotJobs
        let stateFile = self.stateFile
        _ = try? spawnThread(name: "tally-fsync") {
            while true {
                let job = fsyncJobs.next()
                let result = fdatasync(job.descriptor) == 0 ? nil : errno
                loop.loop.execute {
                    loop.value.fsyncFinished(job, errno: result)
                }
            }
        }
        _ = try? spawnThread(name: "tally-snapshot") {
            while true {
                let job = snapshotJobs.next()
                let bytes = job.snapshot.encode(generation: job.generation)
                do throws(SystemError) {
                    try Self.writeAtomically(bytes, to: stateFile)
                    job.completion(.success(()))
                } catch {
                    job.completion(.failure(error))
                }
            }
        }
    }

    private func fsyncFinished(_ job: FsyncJob, errno failure: Int32?) {
        fsyncInFlight = !fsyncJobs.isEmpty
        if let failure {
            logger.error(
                "fdatasync of the push journal failed; confirmations wait for the next snapshot",
                metadata: ["error": "\(SystemError(call: "fdatasync", errno: failure))"])
        } else if job.isRetired {
            // The retired journals are on disk up to the snapshot's sequence, so the current one counts too.
            markDurable(upTo: max(job.sequence, fsyncedInCurrentJournal))
        } else if let pending = pendingSnapshotSequence, durableSequence < pending {
            fsyncedInCurrentJournal = max(fsyncedInCurrentJournal, job.sequence)
        } else {
            fsyncedInCurrentJournal = max(fsyncedInCurrentJournal, job.sequence)
            markDurable(upTo: job.sequence)
        }
        closeRetiredJournalsIfUnused()
        requestFsync()
    }

    private func markDurable(upTo sequence: UInt64) {
        guard sequence > durableSequence else { return }
        durableSequence = sequence
        let ready = waiters.filter { $0.sequence <= sequence }
        waiters.removeAll { $0.sequence <= sequence }
        for waiter in ready { waiter.action() }
    }

    /// Writes a snapshot on the snapshot thread and starts a new journal generation, after which the old journal
    /// is removed. Called on the loop (on the state interval, or when the journal grows large).
    func compact() {
        guard !snapshotInFlight, let oldJournal = journal.take() else { return }
        retiredJournals.append((generation, oldJournal))
        retiredUpTo = appendedSequence
        generation += 1
        let newGeneration = generation
        let coveredSequence = appendedSequence
        pendingSnapshotSequence = coveredSequence
        do {
            try openJournal()
        } catch {
            logger.error("cannot open a new push journal", metadata: ["error": "\(error)"])
        }
        let loop = LoopBound(self, loop: self.loop)
        snapshotJobs.submit(
            SnapshotJob(
                snapshot: store.stateSnapshot(), generation: newGeneration,
                completion: { result in
                    loop.loop.execute {
                        loop.value.snapshotFinished(result, generation: newGeneration, sequence: coveredSequence)
                    }
                }))
    }

    private func snapshotFinished(_ result: Result<Void, SystemError>, generation: UInt64, sequence: UInt64) {
        pendingSnapshotSequence = nil
        switch result {
        case .success:
            removeJournals(before: generation)
            markDurable(upTo: max(sequence, fsyncedInCurrentJournal))
            closeRetiredJournalsIfUnused()
        case .failure(let error):
            logger.error("cannot write the push state file", metadata: ["file": "\(stateFile)", "error": "\(error)"])
            // The old journals stay on disk and must be synced for the confirmations that wait on them.
            if let last = retiredJournals.last {
                enqueueFsync(FsyncJob(descriptor: last.descriptor, sequence: sequence, isRetired: true))
            }
        }
    }

    private func closeRetiredJournalsIfUnused() {
        guard !fsyncInFlight, !snapshotInFlight, durableSequence >= retiredUpTo else { return }
        for retired in retiredJournals { Glibc.close(retired.descriptor) }
        retiredJournals = []
    }

    /// Writes a final snapshot synchronously (shutdown) and removes the journals it covers.
    func close() {
        guard let journal = journal.take() else { return }
        generation += 1
        do {
            try writeSnapshot(store.stateSnapshot().encode(generation: generation))
            Glibc.close(journal)
            removeJournals(before: generation + 1)
            markDurable(upTo: appendedSequence)
            logger.info("saved pushed series", metadata: ["file": "\(stateFile)", "series": "\(store.seriesCount)"])
        } catch {
            logger.error("cannot write the push state file", metadata: ["file": "\(stateFile)", "error": "\(error)"])
        }
    }

    // MARK: Files

    private func openJournal() throws(SystemError) {
        let path = "\(stateFile).journal.\(generation)"
        let descriptor = try syscall("open(\(path))") {
            open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        }
        journal = descriptor
        journalBytes = 0
    }

    private func writeSnapshot(_ bytes: [UInt8]) throws(SystemError) {
        try Self.writeAtomically(bytes, to: stateFile)
    }

    /// Writes `bytes` to a temporary file, fsyncs it, renames it to `path` and fsyncs the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(SystemError) {
        let temporary = path + ".tmp"
        let descriptor = try syscall("open(\(temporary))") {
            open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        }
        do throws(SystemError) {
            try writeAll(bytes, to: descriptor)
            _ = try syscall("fsync(\(temporary))") { fsync(descriptor) }
        } catch {
            Glibc.close(descriptor)
            unlink(temporary)
            throw error
        }
        Glibc.close(descriptor)
        _ = try syscall("rename(\(temporary), \(path))") { rename(temporary, path) }
        let directory = try syscall("open(\(directoryName(of: path)))") {
            open(directoryName(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        defer { Glibc.close(directory) }
        _ = try syscall("fsync(\(directoryName(of: path)))") { fsync(directory) }
    }

    /// The journals beside the state file, with their generations, oldest first.
    private func journals() -> [(UInt64, String)] {
        let directory = Self.directoryName(of: stateFile)
        let prefix = Self.baseName(of: stateFile) + ".journal."
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var found: [(UInt64, String)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
            }
            if name.hasPrefix(prefix), let number = UInt64(name.dropFirst(prefix.count)) {
                found.append((number, directory + "/" + name))
            }
        }
        return found.sorted { $0.0 < $1.0 }
    }

    private func removeJournals(before generation: UInt64) {
        for (journalGeneration, path) in journals() where journalGeneration < generation { unlink(path) }
    }

    private func readIfPresent(_ path: String) throws(SystemError) -> [UInt8]? {
        guard access(path, F_OK) == 0 else { return nil }
        return try readWholeFile(path)
    }

    /// Writes all of `bytes`, across short writes and interruptions.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) throws(SystemError) {
        var written = 0
        while written < bytes.count {
            written += try syscall("write") {
                bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            }
        }
    }

    static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

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

/// Reads a whole file (a configuration or state file) into memory.
func readWholeFile(_ path: String) throws(SystemError) -> [UInt8] {
    let descriptor = try syscall("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
    defer { Glibc.close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { buffer in read(descriptor, buffer.baseAddress, buffer.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw SystemError(call: "read(\(path))", errno: errno)
        }
        if count == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<count])
    }
}
