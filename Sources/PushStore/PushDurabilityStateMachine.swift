/// Why pushed records will not be durable: what failed, on which journal or state file, with its `errno`.
public enum PushDurabilityFailure: Error, Equatable, Sendable {
    /// Journal `generation` could not be opened.
    case journalOpen(generation: UInt64, errno: Int32)
    /// A record could not be appended (wholly) to journal `generation`.
    case journalAppend(generation: UInt64, errno: Int32)
    /// fdatasync of journal `generation` failed.
    case journalSync(generation: UInt64, errno: Int32)
    /// The state file of `generation` could not be written.
    case stateFileWrite(generation: UInt64, errno: Int32)
    /// The records came after the final state file, taken at shutdown.
    case shutDown
}

/// When pushed records are durable, without I/O: the persistence layer reports what happened (a record appended, a
/// confirmation asked for, an fdatasync or a state file write finished or failed, a compaction asked for, shutdown)
/// and carries out the actions returned (open, sync or close journals, write a state file, remove old journals,
/// answer confirmations, log).
///
/// Records are numbered from 1 as they are appended. Journal `g` holds the records appended after the state file of
/// generation `g` was taken; at start the state file is restored and the journals from its generation on are
/// replayed, stopping at the first damaged record. So a record is durable once every record up to it can be
/// restored: the state file on disk holds it, or it and every record between that state file and it are in journals
/// that an fdatasync has covered. Confirmations are answered in that order.
///
/// - fdatasync is grouped: one runs at a time, through the last record appended when it starts, and serves every
///   confirmation waiting for records up to there; the next one starts only for records appended after those.
/// - A compaction (asked for on an interval, or when the journal passes ``compactionThreshold`` bytes) opens journal
///   `g + 1` and writes state file `g + 1`, which holds everything before it. Confirmations waiting for records of
///   the older journals are answered once it is on disk, whether or not an fdatasync covered them; the older journals
///   are removed only then, and each one's descriptor is closed once no fdatasync or failed state file write can
///   still need it.
/// - A state file write that fails keeps the older journals, which are then fdatasync'd so that confirmations still
///   resolve; confirmations fail only if that fdatasync fails too.
/// - After a failed fdatasync Linux may have dropped the pages it could not write and marked them clean, so a later
///   fdatasync that succeeds proves nothing about them; a failed or short append leaves a damaged record at which
///   replay would stop. Either breaks the journal: the confirmations waiting on the failed fdatasync fail, no record
///   of that journal after its last good fdatasync (after a failed append: from the damaged record on) counts as
///   durable through it, and a compaction starts so that a new state file holds them. Confirmations asked for
///   meanwhile wait for that state file, and later records go to a new journal and are confirmed as usual once it
///   is on disk.
/// - Once a state file write has failed, a broken journal starts no compaction of its own (a full disk would
///   otherwise have tally rewrite the state file without end), nor does a journal that cannot be opened:
///   confirmations that only a state file could answer fail at once, with the failure that broke the journal, until
///   a requested compaction succeeds.
/// - At shutdown a final state file holds everything; confirmations for records after it fail.
public struct PushDurabilityStateMachine: Sendable {
    /// What the persistence layer must do, in the order given.
    public enum Action: Equatable, Sendable {
        /// Create (or open for appending) journal `generation`; records appended from now on go to it. Report
        /// `journalOpenFailed(generation:errno:)` if it cannot be opened.
        case openJournal(generation: UInt64)
        /// fdatasync journal `generation` in the background, then report `journalSynced(generation:through:)` or
        /// `journalSyncFailed(generation:through:errno:)` with `through`.
        case syncJournal(generation: UInt64, through: UInt64)
        /// Take the store's state now, before any other record is appended, and write it as the state file of
        /// `generation` in the background; then report `stateFileWritten(generation:)` or
        /// `stateFileFailed(generation:errno:)`.
        case writeStateFile(generation: UInt64)
        /// Shutdown: like ``writeStateFile(generation:)``, but written after any state file being written and
        /// reported before the call that asked for it returns.
        case writeFinalStateFile(generation: UInt64)
        /// Close the descriptors of these journals; their files stay.
        case closeJournals([UInt64])
        /// Delete the journal files of generations before `generation`.
        case removeJournals(before: UInt64)
        /// Tell these confirmations (by the identifiers they were asked with) that their records are durable.
        case confirm([UInt64])
        /// Tell these confirmations that their records will not be durable, and why.
        case fail([UInt64], PushDurabilityFailure)
        /// Log an error: what happened and what follows from it, and the failure.
        case logError(String, PushDurabilityFailure)
    }

    private enum Phase: Sendable {
        case running
        /// The final state file is being written.
        case stopping
        /// Done; confirmations for later records fail.
        case stopped
    }

    /// A state file: its generation and the last record it holds.
    private struct StateFile: Sendable {
        var generation: UInt64
        var through: UInt64
    }

    private struct Journal: Sendable {
        var generation: UInt64
        /// The last record before the journal; the state file of its generation holds up to here.
        var start: UInt64
        /// The last record appended to it.
        var end: UInt64
        /// The last record an fdatasync has covered.
        var synced: UInt64
        /// Once the journal is broken: records after `intactThrough` will not be durable through it.
        var breakage: (intactThrough: UInt64, failure: PushDurabilityFailure)?
        var isOpen = true

        init(generation: UInt64, start: UInt64) {
            self.generation = generation
            self.start = start
            self.end = start
            self.synced = start
        }

        /// The last record an fdatasync can make durable.
        var syncable: UInt64 { min(end, breakage?.intactThrough ?? end) }
    }

    private struct Waiter: Sendable {
        var id: UInt64
        var sequence: UInt64
    }

    /// The journal size, in bytes, past which a compaction starts.
    public let compactionThreshold: Int
    /// The last record appended.
    public private(set) var appendedSequence: UInt64 = 0
    /// Every record up to this one is durable.
    public private(set) var durableSequence: UInt64 = 0
    private var phase = Phase.running
    /// The state file on disk.
    private var stateFile: StateFile
    /// The state file being written, if any.
    private var pendingStateFile: StateFile?
    /// The journals after the state file on disk, oldest first; the last one takes new records.
    private var journals: [Journal]
    /// The fdatasync in progress, if any.
    private var sync: (generation: UInt64, through: UInt64)?
    /// Journals that a state file covers but whose descriptor the fdatasync in progress still uses.
    private var journalsToClose: [UInt64] = []
    /// Confirmations waiting, by record, in the order asked within a record.
    private var waiters: [Waiter] = []
    private var journalBytes = 0
    /// A compaction starts as soon as no state file is being written.
    private var compactionWanted = false
    /// The last state file write failed: a broken journal starts no compaction of its own.
    private var lastWriteFailed = false

    /// Starts with the state file of `generation` on disk and journal `generation` open and empty.
    public init(generation: UInt64, compactionThreshold: Int = 64 << 20) {
        self.compactionThreshold = compactionThreshold
        stateFile = StateFile(generation: generation, through: 0)
        journals = [Journal(generation: generation, start: 0)]
    }

    /// The journal that takes new records.
    public var currentGeneration: UInt64 { journals.last?.generation ?? stateFile.generation }

    // MARK: Events

    /// A record of `byteCount` bytes was appended to the current journal; it is record ``appendedSequence``.
    public mutating func appended(byteCount: Int) -> [Action] {
        appendedSequence += 1
        guard phase == .running else { return [] }
        journals[journals.count - 1].end = appendedSequence
        journalBytes += byteCount
        guard journalBytes >= compactionThreshold else { return [] }
        compactionWanted = true
        var actions: [Action] = []
        settle(&actions)
        return actions
    }

    /// A record could not be appended wholly to the current journal (or no journal is open); its lines are applied
    /// all the same, as record ``appendedSequence``.
    public mutating func appendFailed(errno: Int32) -> [Action] {
        appendedSequence += 1
        guard phase == .running else { return [] }
        let current = journals.count - 1
        journals[current].end = appendedSequence
        guard journals[current].breakage == nil else { return [] }
        let failure = PushDurabilityFailure.journalAppend(generation: journals[current].generation, errno: errno)
        journals[current].breakage = (appendedSequence - 1, failure)
        var actions: [Action] = [
            .logError(
                "cannot append to the push journal; its lines are durable only once a state file holds them", failure)
        ]
        compactionWanted = compactionWanted || !lastWriteFailed
        settle(&actions)
        return actions
    }

    /// Journal `generation` could not be opened: records appended to it fail.
    public mutating func journalOpenFailed(generation: UInt64, errno: Int32) -> [Action] {
        guard let index = journals.firstIndex(where: { $0.generation == generation }) else { return [] }
        let failure = PushDurabilityFailure.journalOpen(generation: generation, errno: errno)
        journals[index].isOpen = false
        journals[index].breakage = (journals[index].start, failure)
        var actions: [Action] = [
            .logError(
                "cannot open a new push journal; lines pushed now are durable only once a state file holds them",
                failure)
        ]
        settle(&actions)
        return actions
    }

    /// Confirmation `id` wants every record up to `sequence` durable.
    public mutating func confirmationRequested(id: UInt64, through sequence: UInt64) -> [Action] {
        guard sequence > durableSequence else { return [.confirm([id])] }
        let position = waiters.lastIndex { $0.sequence <= sequence }.map { $0 + 1 } ?? 0
        waiters.insert(Waiter(id: id, sequence: sequence), at: position)
        var actions: [Action] = []
        settle(&actions)
        return actions
    }

    /// The fdatasync of journal `generation` asked for by `.syncJournal` finished.
    public mutating func journalSynced(generation: UInt64, through sequence: UInt64) -> [Action] {
        sync = nil
        var actions = closeIfCovered(generation)
        if let index = journals.firstIndex(where: { $0.generation == generation }) {
            journals[index].synced = max(journals[index].synced, sequence)
        }
        settle(&actions)
        return actions
    }

    /// The fdatasync of journal `generation` asked for by `.syncJournal` failed. The confirmations it was to serve
    /// fail; the journal's records after its last good fdatasync are durable only once a state file holds them.
    public mutating func journalSyncFailed(generation: UInt64, through sequence: UInt64, errno: Int32) -> [Action] {
        sync = nil
        var actions = closeIfCovered(generation)
        guard let index = journals.firstIndex(where: { $0.generation == generation }) else {
            // A state file on disk holds the journal's records: nothing is lost.
            settle(&actions)
            return actions
        }
        let failure = PushDurabilityFailure.journalSync(generation: generation, errno: errno)
        let intact = min(journals[index].synced, journals[index].breakage?.intactThrough ?? .max)
        journals[index].breakage = (intact, failure)
        actions.append(
            .logError(
                "fdatasync of the push journal failed; the confirmations waiting on it fail, and its records are "
                    + "durable only once a state file holds them", failure))
        // Spare only the confirmations that a state file being written holds anyway.
        let covered = pendingStateFile.map { $0.generation > generation ? $0.through : 0 } ?? 0
        fail(waitersAfter: max(intact, covered), failure, &actions)
        if index == journals.count - 1 {
            compactionWanted = compactionWanted || !lastWriteFailed
        }
        settle(&actions, failure: failure)
        return actions
    }

    /// Asks for a compaction (the state file interval). Does nothing while a state file is being written.
    public mutating func compactionRequested() -> [Action] {
        guard phase == .running, pendingStateFile == nil else { return [] }
        compactionWanted = true
        var actions: [Action] = []
        settle(&actions)
        return actions
    }

    /// The state file of `generation` is on disk: the journals before it go, and the records it holds are durable.
    public mutating func stateFileWritten(generation: UInt64) -> [Action] {
        guard let written = pendingStateFile, written.generation == generation else { return [] }
        pendingStateFile = nil
        stateFile = written
        lastWriteFailed = false
        var actions: [Action] = [.removeJournals(before: generation)]
        let covered = journals.prefix { $0.generation < generation }
        journals.removeFirst(covered.count)
        close(covered, &actions)
        durableSequence = max(durableSequence, written.through)
        if phase == .stopping {
            finishStopping(&actions)
            return actions
        }
        if let breakage = journals.last?.breakage, breakage.failure.callsForCompaction {
            // The current journal broke while this state file was written: another one must hold its records.
            compactionWanted = true
        }
        settle(&actions)
        return actions
    }

    /// The state file of `generation` could not be written: the older journals stay and are fdatasync'd for the
    /// confirmations that wait on them.
    public mutating func stateFileFailed(generation: UInt64, errno: Int32) -> [Action] {
        guard let failed = pendingStateFile, failed.generation == generation else { return [] }
        pendingStateFile = nil
        let failure = PushDurabilityFailure.stateFileWrite(generation: generation, errno: errno)
        if phase == .stopping {
            var actions: [Action] = [
                .logError(
                    "cannot write the push state file at shutdown; the journals stay and are replayed at the next "
                        + "start", failure)
            ]
            fail(waitersAfter: durableSequence, failure, &actions)
            finishStopping(&actions)
            return actions
        }
        lastWriteFailed = true
        var actions: [Action] = [
            .logError("cannot write the push state file; the journals it would replace stay", failure)
        ]
        settle(&actions, failure: failure)
        return actions
    }

    /// Shutdown: a final state file holds every record appended so far.
    public mutating func shutdownRequested() -> [Action] {
        guard phase == .running else { return [] }
        phase = .stopping
        compactionWanted = false
        let generation = currentGeneration + 1
        pendingStateFile = StateFile(generation: generation, through: appendedSequence)
        return [.writeFinalStateFile(generation: generation)]
    }

    // MARK: Decisions

    /// Starts what is wanted, answers the confirmations that can be answered, and starts the next fdatasync.
    /// Confirmations that nothing under way can make durable fail with `failure`, or else with what broke the journal
    /// in their way.
    private mutating func settle(_ actions: inout [Action], failure: PushDurabilityFailure? = nil) {
        if compactionWanted, phase == .running, pendingStateFile == nil {
            startCompaction(&actions)
        }
        durableSequence = max(durableSequence, durablePrefix())
        let confirmed = waiters.prefix { $0.sequence <= durableSequence }
        if !confirmed.isEmpty {
            actions.append(.confirm(confirmed.map(\.id)))
            waiters.removeFirst(confirmed.count)
        }
        let (reachable, blocker) = reachableSequence()
        if let reason = failure ?? blocker {
            fail(waitersAfter: reachable, reason, &actions)
        }
        if let next = nextSync() {
            sync = next
            actions.append(.syncJournal(generation: next.generation, through: next.through))
        }
        closeIdleJournals(&actions)
    }

    private mutating func startCompaction(_ actions: inout [Action]) {
        compactionWanted = false
        let generation = currentGeneration + 1
        pendingStateFile = StateFile(generation: generation, through: appendedSequence)
        journals.append(Journal(generation: generation, start: appendedSequence))
        journalBytes = 0
        actions.append(.openJournal(generation: generation))
        actions.append(.writeStateFile(generation: generation))
    }

    /// The last record before which everything can be restored from what is on disk.
    private func durablePrefix() -> UInt64 {
        var durable = stateFile.through
        for journal in journals {
            guard journal.synced >= journal.end else { return max(durable, journal.synced) }
            durable = journal.end
        }
        return durable
    }

    /// How far the work under way (or wanted) can make records durable, and what stops it there.
    private func reachableSequence() -> (UInt64, PushDurabilityFailure?) {
        switch phase {
        case .stopping: return (pendingStateFile?.through ?? durableSequence, .shutDown)
        case .stopped: return (durableSequence, .shutDown)
        case .running: break
        }
        if compactionWanted { return (appendedSequence, nil) }
        var reachable = stateFile.through
        var chain = journals[...]
        if let pendingStateFile {
            reachable = pendingStateFile.through
            chain = chain.drop { $0.generation < pendingStateFile.generation }
        }
        for journal in chain {
            if let breakage = journal.breakage { return (max(reachable, breakage.intactThrough), breakage.failure) }
            reachable = journal.end
        }
        return (reachable, nil)
    }

    /// The fdatasync the waiting confirmations need next: the oldest journal not yet synced as far as they need,
    /// skipping those a state file being written holds anyway.
    private func nextSync() -> (generation: UInt64, through: UInt64)? {
        guard phase == .running, sync == nil, let wanted = waiters.last?.sequence, wanted > durableSequence else {
            return nil
        }
        for (index, journal) in journals.enumerated() where journal.start < wanted {
            if index < journals.count - 1, pendingStateFile != nil { continue }
            if journal.synced < journal.syncable { return (journal.generation, journal.syncable) }
            if journal.syncable < journal.end { return nil }
        }
        return nil
    }

    /// Closes the older journals that no fdatasync can still help: synced as far as they can be, and not in use.
    private mutating func closeIdleJournals(_ actions: inout [Action]) {
        var idle: [UInt64] = []
        for index in journals.indices.dropLast() where journals[index].isOpen {
            let journal = journals[index]
            guard journal.synced >= journal.syncable, sync?.generation != journal.generation else { continue }
            journals[index].isOpen = false
            idle.append(journal.generation)
        }
        if !idle.isEmpty { actions.append(.closeJournals(idle)) }
    }

    /// Closes the open descriptors among `closing`, or, for the one an fdatasync uses, once it is done.
    private mutating func close(_ closing: some Sequence<Journal>, _ actions: inout [Action]) {
        var closed: [UInt64] = []
        for journal in closing where journal.isOpen {
            if sync?.generation == journal.generation {
                journalsToClose.append(journal.generation)
            } else {
                closed.append(journal.generation)
            }
        }
        if !closed.isEmpty { actions.append(.closeJournals(closed)) }
    }

    /// Closes journal `generation` if a state file covered it while an fdatasync used it.
    private mutating func closeIfCovered(_ generation: UInt64) -> [Action] {
        guard let index = journalsToClose.firstIndex(of: generation) else { return [] }
        journalsToClose.remove(at: index)
        return [.closeJournals([generation])]
    }

    private mutating func fail(
        waitersAfter sequence: UInt64, _ failure: PushDurabilityFailure, _ actions: inout [Action]
    ) {
        guard let first = waiters.firstIndex(where: { $0.sequence > sequence }) else { return }
        actions.append(.fail(waiters[first...].map(\.id), failure))
        waiters.removeSubrange(first...)
    }

    /// After the final state file: confirms what it holds, fails the rest, and closes every journal.
    private mutating func finishStopping(_ actions: inout [Action]) {
        phase = .stopped
        settle(&actions)
        close(journals, &actions)
        for index in journals.indices { journals[index].isOpen = false }
    }
}

extension PushDurabilityFailure {
    /// Whether the journal this broke should be replaced at once by a compaction: a write or an fdatasync failed on
    /// it. A journal that could not be opened waits for the next requested compaction to try again.
    fileprivate var callsForCompaction: Bool {
        switch self {
        case .journalAppend, .journalSync: true
        case .journalOpen, .stateFileWrite, .shutDown: false
        }
    }
}
