import PushProtocol
import Testing

@Suite struct PushReplyTests {
    @Test(arguments: [
        (
            PushReply.reject(
                lineNumber: 3, reason: .invalidValue, message: "value '1o' is not a finite decimal number"),
            "reject 3 invalid_value value '1o' is not a finite decimal number\n"
        ),
        (.rejectMore(count: 1234), "reject-more 1234\n"),
        (.done(accepted: 0, rejected: 0), "done 0 0\n"),
        (.done(accepted: 10_000_000, rejected: 7), "done 10000000 7\n"),
        (.deleted(count: 2), "deleted 2\n"),
        (
            .notDurable(accepted: 12, rejected: 1, message: "fdatasync(/x.journal.3): Input/output error (errno 5)"),
            "not-durable 12 1 fdatasync(/x.journal.3): Input/output error (errno 5)\n"
        ),
        (.notDurable(accepted: 0, rejected: 0, message: ""), "not-durable 0 0\n"),
        (
            .error(reason: .unknownCommand, message: "unknown command '!x'"),
            "error unknown_command unknown command '!x'\n"
        ),
        (.error(reason: .tagWithoutValue, message: ""), "error tag_without_value\n"),
        (
            .reject(lineNumber: 1, reason: .lineTooLong, message: "a\nb\u{0}c\u{7F}é"),
            "reject 1 line_too_long a\\x0ab\\x00c\\x7f\\xc3\\xa9\n"
        ),
    ])
    func encodesReply(_ reply: PushReply, _ expected: String) {
        #expect(encoded(reply) == expected)
    }

    @Test(
        arguments: [
            PushReply.reject(lineNumber: 1, reason: .malformedLine, message: "no ':' between name and value"),
            .reject(lineNumber: 987_654_321, reason: .seriesLimit, message: "  spaced  message "),
            .reject(lineNumber: 5, reason: .typeConflict, message: ""),
            .rejectMore(count: 0),
            .done(accepted: 123, rejected: 456),
            .deleted(count: 0),
            .notDurable(accepted: 3, rejected: 0, message: "writing /var/lib/tally/push.state: No space left"),
            .notDurable(accepted: 0, rejected: 2, message: ""),
            .error(reason: .unknownCommand, message: "want !sync or !delete <name> [<key>:<value>,...]"),
        ] + PushRejectionReason.allCases.map { PushReply.error(reason: $0, message: $0.rawValue) })
    func roundTripsPrintableReply(_ reply: PushReply) throws {
        let text = encoded(reply)
        #expect(text.hasSuffix("\n"))
        #expect(parseReply(String(text.dropLast())) == reply)
    }

    @Test func escapedMessageIsStableAcrossRoundTrips() throws {
        let reply = PushReply.reject(lineNumber: 9, reason: .invalidUTF8, message: "bad\tbyte\r\nhere ✓")
        let once = encoded(reply)
        #expect(once.utf8.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        #expect(once.utf8.allSatisfy { $0 == UInt8(ascii: "\n") || ($0 >= 0x20 && $0 < 0x7F) })
        let parsed = try #require(parseReply(String(once.dropLast())))
        #expect(encoded(parsed) == once)
    }

    @Test(arguments: [
        "", "reject", "reject 1", "reject x malformed_line m", "reject 1 bogus m", "reject -1 malformed_line m",
        "reject-more", "reject-more 1 2", "done 1", "done 1 2 3", "done a b", "deleted -1", "deleted",
        "deleted 99999999999999999999", "error", "error bogus message", "hello 1", "done  1 2", " done 1 2",
        "DONE 1 2", "not-durable", "not-durable 1", "not-durable x 1 m", "not-durable -1 0 m",
    ])
    func refusesMalformedReply(_ line: String) {
        #expect(parseReply(line) == nil)
    }
}
