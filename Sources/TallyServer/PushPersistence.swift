import Glibc
import Logging
import PushStore
import SystemIO

/// Keeps pushed series across restarts, and makes a `!sync` confirmation mean "durable": the files and threads
/// behind ``PushDurabilityStateMachine``, which decides what is durable and what to do next.
///
/// The event loop appends every accepted line (and every `!delete`), after applying it, to the current journal as
/// a ``PushJournal`` record. fdatasync of a journal and writes of the state file (a snapshot of every series,
/// ``PushStateSnapshot``, replaced atomically) run on a thread each, and their results come back to the loop. At
/// start the state file is restored and the journals from its generation on are replayed, stopping at the first
/// torn record (a SIGKILL mid-write; that record was never confirmed). A corrupt state file is set aside with the
/// journals and tally starts empty rather than failing to start.
final class PushPersistence {
    private let files: PushStateFiles
    private let store: PushStore
    private let loop: EventLoop
    private let logger: Logger
    private var machine = PushDurabilityStateMachine(generation: 0)
    /// Open journals by generation.
    private var journals: [UInt64: Int32] = [:]
    /// Confirmations waiting, by the identifier the machine knows them by.
    private var waiters: [UInt64: (Result<Void, DurabilityError>) -> Void] = [:]
    private var lastWaiter: UInt64 = 0
    private var record: [UInt8] = []
    private let syncJobs = JobQueue<SyncJob>()
    private let stateFileJobs = JobQueue<StateFileJob>()

    private struct SyncJob: Sendable {
        var descriptor: Int32
        var generation: UInt64
        var sequence: UInt64
    }

    private struct StateFileJob: Sendable {
        var snapshot: PushStateSnapshot
        var generation: UInt64
        var completion: @Sendable (Result<Void, SystemError>) -> Void
    }

    init(stateFile: String, store: PushStore, loop: EventLoop, logger: Logger) {
        self.files = PushStateFiles(stateFile: stateFile)
        self.store = store
        self.loop = loop
        self.logger = logger
    }

    /// Restores the state file and replays the journals (see ``PushStateFiles/restore(into:logger:)``), opens the
    /// new journal and starts the threads. Runs before the event loop starts.
    func restoreAndStart() throws(SystemError) {
        let generation = try files.restore(into: store, logger: logger)
        journals[generation] = try files.openJournal(generation)
        machine = PushDurabilityStateMachine(generation: generation)
        try startThreads()
    }

    // MARK: Events from the event loop

    /// Appends accepted lines (already applied to the store) as one journal record; returns its sequence number, or
    /// nil when there is nothing to append.
    @discardableResult
    func append(_ payload: [UInt8], kind: PushJournal.RecordKind = .lines) -> UInt64? {
        guard !payload.isEmpty else { return nil }
        record.removeAll(keepingCapacity: true)
        PushJournal.appendRecord(payload, kind: kind, to: &record)
        do throws(SystemError) {
            guard let journal = journals[machine.currentGeneration] else {
                throw SystemError(call: "write", errno: EBADF)
            }
            try writeAll(record, to: journal)
            perform(machine.appended(byteCount: record.count))
        } catch {
            perform(machine.appendFailed(errno: error.errno))
        }
        // An OTLP request may be megabytes; do not keep a buffer that large for the lines that follow.
        if record.capacity > 1 << 20 { record = [] }
        return machine.appendedSequence
    }

    /// Calls `completion` on the loop once every record up to `sequence` is durable, or with why it will not be.
    func whenDurable(through sequence: UInt64, _ completion: @escaping (Result<Void, DurabilityError>) -> Void) {
        lastWaiter += 1
        waiters[lastWaiter] = completion
        perform(machine.confirmationRequested(id: lastWaiter, through: sequence))
    }

    /// Starts a compaction (on the state interval): a new journal and, in the background, a new state file.
    func compact() {
        perform(machine.compactionRequested())
    }

    /// Writes a final state file (shutdown), waiting for it. Only after ``restoreAndStart()`` succeeded.
    func close() {
        perform(machine.shutdownRequested())
    }

    // MARK: Carrying out the machine's actions

    private func perform(_ actions: [PushDurabilityStateMachine.Action]) {
        for action in actions {
            switch action {
            case .openJournal(let generation):
                do {
                    journals[generation] = try files.openJournal(generation)
                } catch {
                    perform(machine.journalOpenFailed(generation: generation, errno: error.errno))
                }
            case .syncJournal(let generation, let sequence):
                if let descriptor = journals[generation] {
                    syncJobs.submit(SyncJob(descriptor: descriptor, generation: generation, sequence: sequence))
                } else {
                    perform(machine.journalSyncFailed(generation: generation, through: sequence, errno: EBADF))
                }
            case .writeStateFile(let generation):
                let persistence = LoopBound(self, loop: loop)
                stateFileJobs.submit(
                    StateFileJob(snapshot: store.stateSnapshot(), generation: generation) { result in
                        persistence.loop.execute { persistence.value.stateFileFinished(generation, result) }
                    })
            case .writeFinalStateFile(let generation):
                stateFileFinished(generation, writeFinalStateFile(generation))
            case .closeJournals(let generations):
                for generation in generations {
                    if let descriptor = journals.removeValue(forKey: generation) { Glibc.close(descriptor) }
                }
            case .removeJournals(let generation):
                files.removeJournals(before: generation)
            case .confirm(let ids):
                for id in ids { waiters.removeValue(forKey: id)?(.success(())) }
            case .fail(let ids, let failure):
                let error = DurabilityError(description: files.explain(failure))
                for id in ids { waiters.removeValue(forKey: id)?(.failure(error)) }
            case .logError(let message, let failure):
                logger.error(
                    "\(message)", metadata: ["file": "\(files.stateFile)", "error": "\(files.explain(failure))"])
            }
        }
    }

    /// Writes the state file on its thread, after any write already queued there, and waits for it.
    private func writeFinalStateFile(_ generation: UInt64) -> Result<Void, SystemError> {
        // A one-job queue carries the result back from the state file thread.
        let written = JobQueue<Result<Void, SystemError>>()
        stateFileJobs.submit(
            StateFileJob(snapshot: store.stateSnapshot(), generation: generation) { result in written.submit(result) })
        let result = written.next() ?? .success(())
        if case .success = result {
            logger.info(
                "saved pushed series", metadata: ["file": "\(files.stateFile)", "series": "\(store.seriesCount)"])
        }
        return result
    }

    private func syncFinished(_ job: SyncJob, _ result: Result<Void, SystemError>) {
        switch result {
        case .success:
            perform(machine.journalSynced(generation: job.generation, through: job.sequence))
        case .failure(let error):
            perform(machine.journalSyncFailed(generation: job.generation, through: job.sequence, errno: error.errno))
        }
    }

    private func stateFileFinished(_ generation: UInt64, _ result: Result<Void, SystemError>) {
        switch result {
        case .success: perform(machine.stateFileWritten(generation: generation))
        case .failure(let error): perform(machine.stateFileFailed(generation: generation, errno: error.errno))
        }
    }

    private func startThreads() throws(SystemError) {
        let persistence = LoopBound(self, loop: loop)
        let (syncJobs, stateFileJobs, files) = (self.syncJobs, self.stateFileJobs, self.files)
        _ = try spawnThread(name: "tally-fsync") {
            while let job = syncJobs.next() {
                let result = Result { () throws(SystemError) in
                    _ = try syscall("fdatasync") { fdatasync(job.descriptor) }
                }
                persistence.loop.execute { persistence.value.syncFinished(job, result) }
            }
        }
        _ = try spawnThread(name: "tally-snapshot") {
            while let job = stateFileJobs.next() {
                job.completion(
                    Result { () throws(SystemError) in
                        try files.writeStateFile(job.snapshot.encode(generation: job.generation))
                    })
            }
        }
    }
}

/// Why records a confirmation waits for will not be durable: the call that failed and its error, for a person.
struct DurabilityError: Error, CustomStringConvertible {
    let description: String
}
