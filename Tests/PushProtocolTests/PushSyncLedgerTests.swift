import PushProtocol
import Testing

@Suite struct PushSyncLedgerTests {
    private func syncReply(_ ledger: inout PushSyncLedger) -> [PushReply] {
        var replies: [PushReply] = []
        ledger.appendSyncReply(to: &replies)
        return replies
    }

    @Test func freshLedgerRepliesDoneZero() {
        var ledger = PushSyncLedger()
        #expect(syncReply(&ledger) == [.done(accepted: 0, rejected: 0)])
    }

    @Test func listsRejectionsWithLineNumbersAndCounts() {
        var ledger = PushSyncLedger()
        #expect(ledger.nextLineNumber() == 1)
        ledger.recordAccepted()
        let second = ledger.nextLineNumber()
        ledger.recordRejected(
            PushRejection(.invalidValue, "value 'x' is not a finite decimal number"), lineNumber: second)
        _ = ledger.nextLineNumber()
        ledger.recordAccepted()
        let sync = ledger.nextLineNumber()
        #expect(sync == 4)
        #expect(
            syncReply(&ledger) == [
                .reject(lineNumber: 2, reason: .invalidValue, message: "value 'x' is not a finite decimal number"),
                .done(accepted: 2, rejected: 1),
            ])
        #expect(ledger.acceptedSinceSync == 0 && ledger.rejectedSinceSync == 0)
        #expect(ledger.nextLineNumber() == 5)
        #expect(ledger.linesReceived == 5)
        #expect(syncReply(&ledger) == [.done(accepted: 0, rejected: 0)])
    }

    @Test func summarizesRejectionsBeyondTheListedOnes() {
        var ledger = PushSyncLedger()
        for _ in 0..<250 {
            let number = ledger.nextLineNumber()
            ledger.recordRejected(PushRejection(.malformedLine, "m"), lineNumber: number)
        }
        let replies = syncReply(&ledger)
        #expect(replies.count == PushSyncLedger.maximumListedRejections + 2)
        #expect(replies.first == .reject(lineNumber: 1, reason: .malformedLine, message: "m"))
        #expect(replies[99] == .reject(lineNumber: 100, reason: .malformedLine, message: "m"))
        #expect(replies[100] == .rejectMore(count: 150))
        #expect(replies.last == .done(accepted: 0, rejected: 250))
    }
}
