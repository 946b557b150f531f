import Glibc
import PushStore
import Testing

/// Drives the machine by hand: each call is one event, and each test checks the actions that come back.
@Suite struct PushDurabilityStateMachineTests {
    private typealias Action = PushDurabilityStateMachine.Action

    /// Journal 1 open and empty, state file 1 on disk.
    private var machine = PushDurabilityStateMachine(generation: 1)

    /// Appends `count` records of 10 bytes each, expecting no action.
    private mutating func append(_ count: Int = 1) {
        for _ in 0..<count { #expect(machine.appended(byteCount: 10) == []) }
    }

    private func isLog(_ action: Action, _ failure: PushDurabilityFailure) -> Bool {
        if case .logError(_, let logged) = action { return logged == failure }
        return false
    }

    // MARK: fdatasync and group commit

    @Test mutating func appendedRecordIsConfirmedOnceItsJournalIsSynced() {
        append()
        #expect(machine.confirmationRequested(id: 1, through: 1) == [.syncJournal(generation: 1, through: 1)])
        #expect(machine.durableSequence == 0)
        #expect(machine.journalSynced(generation: 1, through: 1) == [.confirm([1])])
        #expect(machine.durableSequence == 1)
        #expect(machine.confirmationRequested(id: 2, through: 1) == [.confirm([2])])
    }

    @Test mutating func appendingAloneStartsNoSync() {
        append(5)
        #expect(machine.appendedSequence == 5)
        #expect(machine.confirmationRequested(id: 1, through: 0) == [.confirm([1])])
    }

    @Test mutating func confirmationsWaitingTogetherShareOneSync() {
        append(2)
        #expect(machine.confirmationRequested(id: 1, through: 1) == [.syncJournal(generation: 1, through: 2)])
        #expect(machine.confirmationRequested(id: 2, through: 2) == [])
        #expect(machine.confirmationRequested(id: 3, through: 2) == [])
        #expect(machine.journalSynced(generation: 1, through: 2) == [.confirm([1, 2, 3])])
    }

    @Test mutating func secondSyncCoversOnlyRecordsAppendedAfterTheFirstStarted() {
        append()
        #expect(machine.confirmationRequested(id: 1, through: 1) == [.syncJournal(generation: 1, through: 1)])
        append(2)
        #expect(machine.confirmationRequested(id: 2, through: 3) == [])
        #expect(machine.confirmationRequested(id: 3, through: 2) == [])
        #expect(
            machine.journalSynced(generation: 1, through: 1) == [
                .confirm([1]), .syncJournal(generation: 1, through: 3),
            ])
        #expect(machine.journalSynced(generation: 1, through: 3) == [.confirm([3, 2])])
    }

    @Test mutating func confirmationsAreAnsweredInRecordOrderWhateverOrderTheyCameIn() {
        append(3)
        #expect(machine.confirmationRequested(id: 7, through: 3) == [.syncJournal(generation: 1, through: 3)])
        #expect(machine.confirmationRequested(id: 8, through: 1) == [])
        #expect(machine.journalSynced(generation: 1, through: 3) == [.confirm([8, 7])])
    }

    // MARK: Compaction

    @Test mutating func compactionOpensANewJournalAndWritesAStateFileOfThatGeneration() {
        append()
        #expect(machine.compactionRequested() == [.openJournal(generation: 2), .writeStateFile(generation: 2)])
        #expect(machine.currentGeneration == 2)
        // Nothing is removed or closed before the state file is on disk: the old journal still matters.
        #expect(machine.compactionRequested() == [])
        #expect(machine.stateFileWritten(generation: 2) == [.removeJournals(before: 2), .closeJournals([1])])
    }

    @Test mutating func stateFileConfirmsRecordsOfOlderJournalsWithoutSyncingThem() {
        append(2)
        _ = machine.compactionRequested()
        // The state file being written holds records 1 and 2: no fdatasync of journal 1.
        #expect(machine.confirmationRequested(id: 1, through: 2) == [])
        #expect(
            machine.stateFileWritten(generation: 2) == [
                .removeJournals(before: 2), .closeJournals([1]), .confirm([1]),
            ])
        #expect(machine.durableSequence == 2)
    }

    @Test mutating func stateFileConfirmsWaitersWhoseSyncIsStillRunning() {
        append(2)
        #expect(machine.confirmationRequested(id: 1, through: 2) == [.syncJournal(generation: 1, through: 2)])
        #expect(machine.compactionRequested() == [.openJournal(generation: 2), .writeStateFile(generation: 2)])
        append()
        #expect(machine.confirmationRequested(id: 2, through: 3) == [])
        // Journal 1's descriptor stays open while its fdatasync runs.
        #expect(machine.stateFileWritten(generation: 2) == [.removeJournals(before: 2), .confirm([1])])
        #expect(
            machine.journalSynced(generation: 1, through: 2) == [
                .closeJournals([1]), .syncJournal(generation: 2, through: 3),
            ])
        #expect(machine.journalSynced(generation: 2, through: 3) == [.confirm([2])])
    }

    @Test mutating func recordsOfTheNewJournalNeedTheStateFileAsWellAsTheirSync() {
        append()
        _ = machine.compactionRequested()
        append()
        #expect(machine.confirmationRequested(id: 1, through: 2) == [.syncJournal(generation: 2, through: 2)])
        // Journal 2 is on disk, but it replays on top of a state file that is not yet there.
        #expect(machine.journalSynced(generation: 2, through: 2) == [])
        #expect(
            machine.stateFileWritten(generation: 2) == [
                .removeJournals(before: 2), .closeJournals([1]), .confirm([1]),
            ])
    }

    @Test mutating func fullySyncedJournalIsClosedWhenItIsReplaced() {
        append()
        _ = machine.confirmationRequested(id: 1, through: 1)
        _ = machine.journalSynced(generation: 1, through: 1)
        #expect(
            machine.compactionRequested() == [
                .openJournal(generation: 2), .writeStateFile(generation: 2), .closeJournals([1]),
            ])
        #expect(machine.stateFileWritten(generation: 2) == [.removeJournals(before: 2)])
    }

    @Test mutating func journalPastTheThresholdStartsACompaction() {
        machine = PushDurabilityStateMachine(generation: 1, compactionThreshold: 100)
        #expect(machine.appended(byteCount: 60) == [])
        #expect(
            machine.appended(byteCount: 60) == [.openJournal(generation: 2), .writeStateFile(generation: 2)])
        // Past the threshold again while that state file is written: the next compaction follows it.
        #expect(machine.appended(byteCount: 200) == [])
        #expect(
            machine.stateFileWritten(generation: 2) == [
                .removeJournals(before: 2), .closeJournals([1]), .openJournal(generation: 3),
                .writeStateFile(generation: 3),
            ])
    }

    // MARK: State file failures

    @Test mutating func failedStateFileKeepsTheOldJournalsAndSyncsThemForTheWaiters() {
        append()
        _ = machine.compactionRequested()
        append()
        #expect(machine.confirmationRequested(id: 1, through: 2) == [.syncJournal(generation: 2, through: 2)])
        let failure = PushDurabilityFailure.stateFileWrite(generation: 2, errno: ENOSPC)
        let actions = machine.stateFileFailed(generation: 2, errno: ENOSPC)
        #expect(actions.count == 1 && isLog(actions[0], failure))
        // Journal 2 replays after journal 1 now, so journal 1 must be synced too.
        #expect(machine.journalSynced(generation: 2, through: 2) == [.syncJournal(generation: 1, through: 1)])
        #expect(machine.journalSynced(generation: 1, through: 1) == [.confirm([1]), .closeJournals([1])])
        #expect(machine.durableSequence == 2)
        // The next state file replaces both journals; journal 2 is synced to its end, so it closes at once.
        #expect(
            machine.compactionRequested() == [
                .openJournal(generation: 3), .writeStateFile(generation: 3), .closeJournals([2]),
            ])
        #expect(machine.stateFileWritten(generation: 3) == [.removeJournals(before: 3)])
    }

    @Test mutating func failedStateFileFailsNothingAlreadyDurable() {
        append()
        _ = machine.confirmationRequested(id: 1, through: 1)
        #expect(machine.journalSynced(generation: 1, through: 1) == [.confirm([1])])
        _ = machine.compactionRequested()
        let actions = machine.stateFileFailed(generation: 2, errno: EIO)
        #expect(!actions.contains { if case .fail = $0 { true } else { false } })
        #expect(machine.confirmationRequested(id: 2, through: 1) == [.confirm([2])])
    }

    @Test mutating func confirmationsFailWhenTheStateFileAndTheOldJournalsSyncBothFail() {
        append()
        _ = machine.compactionRequested()
        #expect(machine.confirmationRequested(id: 1, through: 1) == [])
        #expect(machine.stateFileFailed(generation: 2, errno: EROFS).last == .syncJournal(generation: 1, through: 1))
        let failure = PushDurabilityFailure.journalSync(generation: 1, errno: EIO)
        let actions = machine.journalSyncFailed(generation: 1, through: 1, errno: EIO)
        #expect(actions.count == 3 && isLog(actions[0], failure))
        #expect(actions[1...] == [.fail([1], failure), .closeJournals([1])])
        // Only a state file can make those records durable now, and none is under way: fail at once.
        append()
        #expect(machine.confirmationRequested(id: 2, through: 2) == [.fail([2], failure)])
        // A requested compaction that succeeds covers everything.
        #expect(machine.compactionRequested() == [.openJournal(generation: 3), .writeStateFile(generation: 3)])
        #expect(machine.confirmationRequested(id: 3, through: 2) == [])
        #expect(
            machine.stateFileWritten(generation: 3) == [
                .removeJournals(before: 3), .closeJournals([2]), .confirm([3]),
            ])
    }

    @Test mutating func syncFailureOfAJournalThatAStateFileBeingWrittenHoldsFailsNoOne() {
        append()
        _ = machine.compactionRequested()
        append()
        #expect(machine.confirmationRequested(id: 1, through: 1) == [])
        #expect(machine.stateFileFailed(generation: 2, errno: ENOSPC).last == .syncJournal(generation: 1, through: 1))
        #expect(machine.compactionRequested() == [.openJournal(generation: 3), .writeStateFile(generation: 3)])
        let actions = machine.journalSyncFailed(generation: 1, through: 1, errno: EIO)
        #expect(actions.count == 2 && isLog(actions[0], .journalSync(generation: 1, errno: EIO)))
        #expect(actions[1] == .closeJournals([1]))
        #expect(
            machine.stateFileWritten(generation: 3) == [
                .removeJournals(before: 3), .closeJournals([2]), .confirm([1]),
            ])
    }

    // MARK: fdatasync failures

    @Test mutating func failedSyncFailsItsWaitersAndStartsAStateFileToHoldTheirRecords() {
        append()
        #expect(machine.confirmationRequested(id: 1, through: 1) == [.syncJournal(generation: 1, through: 1)])
        append()
        #expect(machine.confirmationRequested(id: 2, through: 2) == [])
        let failure = PushDurabilityFailure.journalSync(generation: 1, errno: EIO)
        let actions = machine.journalSyncFailed(generation: 1, through: 1, errno: EIO)
        #expect(actions.count == 5 && isLog(actions[0], failure))
        #expect(
            actions[1...] == [
                .fail([1, 2], failure), .openJournal(generation: 2), .writeStateFile(generation: 2),
                .closeJournals([1]),
            ])
        #expect(machine.durableSequence == 0)
        // Asked again (a client retrying), the same records wait for the state file, not for journal 1.
        #expect(machine.confirmationRequested(id: 3, through: 2) == [])
        #expect(machine.stateFileWritten(generation: 2) == [.removeJournals(before: 2), .confirm([3])])
        // Records after it go to journal 2 and are confirmed as usual.
        append()
        #expect(machine.confirmationRequested(id: 4, through: 3) == [.syncJournal(generation: 2, through: 3)])
        #expect(machine.journalSynced(generation: 2, through: 3) == [.confirm([4])])
    }

    @Test mutating func recordsSyncedBeforeAFailedSyncStayDurable() {
        append()
        _ = machine.confirmationRequested(id: 1, through: 1)
        #expect(machine.journalSynced(generation: 1, through: 1) == [.confirm([1])])
        append()
        #expect(machine.confirmationRequested(id: 2, through: 2) == [.syncJournal(generation: 1, through: 2)])
        let actions = machine.journalSyncFailed(generation: 1, through: 2, errno: ENOSPC)
        #expect(actions.contains(.fail([2], .journalSync(generation: 1, errno: ENOSPC))))
        #expect(machine.durableSequence == 1)
        #expect(machine.confirmationRequested(id: 3, through: 1) == [.confirm([3])])
    }

    @Test mutating func laterSuccessfulSyncDoesNotMakeTheRecordsOfAFailedOneDurable() {
        append()
        _ = machine.confirmationRequested(id: 1, through: 1)
        _ = machine.journalSyncFailed(generation: 1, through: 1, errno: EIO)
        // The rescue state file fails too: journal 1 is the only copy of record 1 on disk, and it is not trusted.
        let writeFailure = PushDurabilityFailure.stateFileWrite(generation: 2, errno: ENOSPC)
        #expect(machine.confirmationRequested(id: 2, through: 1) == [])
        let actions = machine.stateFileFailed(generation: 2, errno: ENOSPC)
        #expect(actions.count == 2 && isLog(actions[0], writeFailure))
        #expect(actions[1] == .fail([2], writeFailure))
        // Journal 2 syncs fine, but it replays after the hole in journal 1: no confirmation, no sync of journal 1.
        append()
        let syncFailure = PushDurabilityFailure.journalSync(generation: 1, errno: EIO)
        #expect(machine.confirmationRequested(id: 3, through: 2) == [.fail([3], syncFailure)])
        #expect(machine.durableSequence == 0)
    }

    @Test mutating func failedSyncWhileAStateFileIsWrittenStartsAnotherOnceItIsDone() {
        append()
        _ = machine.compactionRequested()
        append()
        #expect(machine.confirmationRequested(id: 1, through: 2) == [.syncJournal(generation: 2, through: 2)])
        let failure = PushDurabilityFailure.journalSync(generation: 2, errno: EIO)
        let actions = machine.journalSyncFailed(generation: 2, through: 2, errno: EIO)
        #expect(actions.count == 2 && isLog(actions[0], failure))
        #expect(actions[1] == .fail([1], failure))
        #expect(machine.confirmationRequested(id: 2, through: 2) == [])
        #expect(
            machine.stateFileWritten(generation: 2) == [
                .removeJournals(before: 2), .closeJournals([1]), .openJournal(generation: 3),
                .writeStateFile(generation: 3), .closeJournals([2]),
            ])
        #expect(machine.stateFileWritten(generation: 3) == [.removeJournals(before: 3), .confirm([2])])
    }

    @Test mutating func syncFailureAfterAStateFileHeldTheJournalLosesNothing() {
        append()
        _ = machine.confirmationRequested(id: 1, through: 1)
        _ = machine.compactionRequested()
        #expect(machine.stateFileWritten(generation: 2) == [.removeJournals(before: 2), .confirm([1])])
        #expect(machine.journalSyncFailed(generation: 1, through: 1, errno: EIO) == [.closeJournals([1])])
        #expect(machine.durableSequence == 1)
    }

    // MARK: Append and open failures

    @Test mutating func failedAppendStartsAStateFileAndItsRecordWaitsForIt() {
        append()
        let failure = PushDurabilityFailure.journalAppend(generation: 1, errno: ENOSPC)
        let actions = machine.appendFailed(errno: ENOSPC)
        #expect(machine.appendedSequence == 2)
        #expect(actions.count == 3 && isLog(actions[0], failure))
        #expect(actions[1...] == [.openJournal(generation: 2), .writeStateFile(generation: 2)])
        #expect(machine.confirmationRequested(id: 1, through: 2) == [])
        #expect(
            machine.stateFileWritten(generation: 2) == [
                .removeJournals(before: 2), .closeJournals([1]), .confirm([1]),
            ])
    }

    @Test mutating func afterAFailedStateFileAFailedAppendFailsItsConfirmationsAtOnce() {
        append()
        _ = machine.compactionRequested()
        _ = machine.stateFileFailed(generation: 2, errno: ENOSPC)
        append()
        let failure = PushDurabilityFailure.journalAppend(generation: 2, errno: ENOSPC)
        let actions = machine.appendFailed(errno: ENOSPC)
        #expect(actions.count == 1 && isLog(actions[0], failure))
        #expect(machine.appendFailed(errno: ENOSPC) == [])
        #expect(machine.confirmationRequested(id: 1, through: 3) == [.fail([1], failure)])
        // The records before the damaged one can still be synced.
        #expect(machine.confirmationRequested(id: 2, through: 2) == [.syncJournal(generation: 1, through: 1)])
        #expect(
            machine.journalSynced(generation: 1, through: 1) == [
                .syncJournal(generation: 2, through: 2), .closeJournals([1]),
            ])
        #expect(machine.journalSynced(generation: 2, through: 2) == [.confirm([2])])
    }

    @Test mutating func journalThatCannotBeOpenedFailsLaterRecordsUntilTheNextCompaction() {
        append()
        _ = machine.compactionRequested()
        let failure = PushDurabilityFailure.journalOpen(generation: 2, errno: EMFILE)
        let actions = machine.journalOpenFailed(generation: 2, errno: EMFILE)
        #expect(actions.count == 1 && isLog(actions[0], failure))
        // Appends have nowhere to go: no log for each, and no compaction of their own.
        #expect(machine.appendFailed(errno: EBADF) == [])
        #expect(machine.confirmationRequested(id: 1, through: 2) == [.fail([1], failure)])
        #expect(machine.confirmationRequested(id: 2, through: 1) == [])
        #expect(
            machine.stateFileWritten(generation: 2) == [
                .removeJournals(before: 2), .closeJournals([1]), .confirm([2]),
            ])
        #expect(machine.compactionRequested() == [.openJournal(generation: 3), .writeStateFile(generation: 3)])
        #expect(machine.confirmationRequested(id: 3, through: 2) == [])
        #expect(machine.stateFileWritten(generation: 3) == [.removeJournals(before: 3), .confirm([3])])
    }

    // MARK: Shutdown

    @Test mutating func shutdownWritesAFinalStateFileThatConfirmsEverything() {
        append(2)
        #expect(machine.confirmationRequested(id: 1, through: 2) == [.syncJournal(generation: 1, through: 2)])
        #expect(machine.shutdownRequested() == [.writeFinalStateFile(generation: 2)])
        #expect(machine.shutdownRequested() == [])
        #expect(machine.compactionRequested() == [])
        #expect(machine.stateFileWritten(generation: 2) == [.removeJournals(before: 2), .confirm([1])])
        // The fdatasync still running keeps its descriptor until it is done.
        #expect(machine.journalSynced(generation: 1, through: 2) == [.closeJournals([1])])
        // Records after the final state file are not durable.
        #expect(machine.appended(byteCount: 10) == [])
        #expect(machine.confirmationRequested(id: 2, through: 3) == [.fail([2], .shutDown)])
    }

    @Test mutating func shutdownDuringACompactionSupersedesItsStateFile() {
        append()
        _ = machine.compactionRequested()
        append()
        #expect(machine.shutdownRequested() == [.writeFinalStateFile(generation: 3)])
        #expect(machine.stateFileWritten(generation: 3) == [.removeJournals(before: 3), .closeJournals([1, 2])])
        // The compaction's own state file, written before it, reports late and changes nothing.
        #expect(machine.stateFileWritten(generation: 2) == [])
    }

    @Test mutating func failedFinalStateFileKeepsTheJournalsAndFailsTheWaiters() {
        append()
        _ = machine.shutdownRequested()
        #expect(machine.confirmationRequested(id: 1, through: 1) == [])
        let failure = PushDurabilityFailure.stateFileWrite(generation: 2, errno: EROFS)
        let actions = machine.stateFileFailed(generation: 2, errno: EROFS)
        #expect(actions.count == 3 && isLog(actions[0], failure))
        #expect(actions[1...] == [.fail([1], failure), .closeJournals([1])])
    }
}
