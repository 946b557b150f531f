/// What one stream connection owes its client at the next `!sync`: line numbers, the lines refused since
/// the previous `!sync` (the first ``maximumListedRejections`` of them with their reasons) and the counts.
///
/// Memory stays bounded: beyond the listed rejections only a count is kept, and messages are short (see
/// ``PushRejection/excerpt(_:)``).
public struct PushSyncLedger: Sendable {
    /// How many refused lines a `!sync` reply lists before it sums up the rest in `reject-more`.
    public static let maximumListedRejections = 100

    /// Lines received on the connection so far, commands and refused lines included; empty lines, which
    /// the splitter skips, are not counted.
    public private(set) var linesReceived = 0
    /// Lines accepted since the previous `!sync`.
    public private(set) var acceptedSinceSync = 0
    /// Lines refused since the previous `!sync`.
    public private(set) var rejectedSinceSync = 0
    private var listed: [PushReply] = []

    public init() {}

    /// Counts one more received line and returns its number (1-based). Call it for every line, commands
    /// and lines too long included, before handling it.
    public mutating func nextLineNumber() -> Int {
        linesReceived += 1
        return linesReceived
    }

    /// Counts an accepted line.
    public mutating func recordAccepted() {
        acceptedSinceSync += 1
    }

    /// Counts a refused line and, while fewer than ``maximumListedRejections`` are listed, keeps it for
    /// the next `!sync` reply.
    public mutating func recordRejected(_ rejection: PushRejection, lineNumber: Int) {
        rejectedSinceSync += 1
        if listed.count < Self.maximumListedRejections {
            listed.append(.reject(lineNumber: lineNumber, reason: rejection.reason, message: rejection.message))
        }
    }

    /// Appends the reply to `!sync` (the listed `reject` lines, `reject-more` when some were not listed,
    /// then `done`) and starts counting afresh. Line numbers keep counting.
    public mutating func appendSyncReply(to replies: inout [PushReply]) {
        replies.append(contentsOf: listed)
        if rejectedSinceSync > listed.count {
            replies.append(.rejectMore(count: rejectedSinceSync - listed.count))
        }
        replies.append(.done(accepted: acceptedSinceSync, rejected: rejectedSinceSync))
        listed.removeAll(keepingCapacity: false)
        acceptedSinceSync = 0
        rejectedSinceSync = 0
    }
}
