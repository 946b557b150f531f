import Glibc
import Systemd
import Testing

@Suite
struct JournalStreamTests {
    @Test(arguments: [
        ("8:1234", JournalStream(device: 8, inode: 1234)),
        ("0:0", JournalStream(device: 0, inode: 0)),
        ("18446744073709551615:18446744073709551615", JournalStream(device: .max, inode: .max)),
        ("0008:01234", JournalStream(device: 8, inode: 1234)),
    ])
    func parsesDeviceAndInode(text: String, expected: JournalStream) {
        #expect(JournalStream(parsing: text) == expected)
    }

    @Test(arguments: [
        "", ":", "8:", ":1234", "8", "8:1234:5", "8;1234", " 8:1234", "8:1234 ", "8:1234\n", "-8:1234", "+8:1234",
        "0x8:1234", "8:12a4", "18446744073709551616:1", "1:99999999999999999999999", "８:1234",
    ])
    func rejectsMalformedValues(text: String) {
        #expect(JournalStream(parsing: text) == nil)
    }

    @Test(arguments: [
        (LogLevel.trace, Int32(7), "<7>"),
        (.debug, 7, "<7>"),
        (.info, 6, "<6>"),
        (.notice, 5, "<5>"),
        (.warning, 4, "<4>"),
        (.error, 3, "<3>"),
        (.critical, 2, "<2>"),
    ])
    func mapsLevelsToSyslogPriorities(level: LogLevel, priority: Int32, prefix: String) {
        #expect(level.syslogPriority == priority)
        #expect(level.journalPrefix == prefix)
    }

    @Test func coversEveryLevel() {
        #expect(LogLevel.allCases.count == 7)
        #expect(Set(LogLevel.allCases.map(\.syslogPriority)) == [2, 3, 4, 5, 6, 7])
    }
}

/// Detection against the real stderr and a pipe, with `$JOURNAL_STREAM` set in a child process (an exit test).
@Suite(.serialized)
struct JournalStreamDetectionTests {
    /// What `$JOURNAL_STREAM` holds in one case, relative to the identity of the stream under test.
    enum Value: Codable, Sendable {
        case unset, sameStream, otherInode, otherDevice, malformed
    }

    /// Sets `$JOURNAL_STREAM` as `value` says for the stream `descriptor`.
    static func setJournalStream(_ value: Value, for descriptor: Int32) throws {
        var status = stat()
        try check("fstat", fstat(descriptor, &status))
        switch value {
        case .unset: unsetenv("JOURNAL_STREAM")
        case .sameStream: setenv("JOURNAL_STREAM", "\(status.st_dev):\(status.st_ino)", 1)
        case .otherInode: setenv("JOURNAL_STREAM", "\(status.st_dev):\(status.st_ino &+ 1)", 1)
        case .otherDevice: setenv("JOURNAL_STREAM", "\(status.st_dev &+ 1):\(status.st_ino)", 1)
        case .malformed: setenv("JOURNAL_STREAM", "\(status.st_dev)-\(status.st_ino)", 1)
        }
    }

    @Test(arguments: [
        (Value.sameStream, true), (.otherInode, false), (.otherDevice, false), (.malformed, false), (.unset, false),
    ])
    func detectsStandardError(value: Value, connected: Bool) async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            [value = value as Value] in
            try JournalStreamDetectionTests.setJournalStream(value, for: STDERR_FILENO)
            print("connected=\(JournalStream.isConnected())")
        }
        #expect(lines(result?.standardOutputContent) == ["connected=\(connected)"])
    }

    @Test func comparesTheGivenDescriptorOnly() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            var ends: [Int32] = [0, 0]
            try check("pipe", pipe(&ends))
            try JournalStreamDetectionTests.setJournalStream(.sameStream, for: ends[1])
            print("pipe=\(JournalStream.isConnected(fileDescriptor: ends[1]))")
            print("stderr=\(JournalStream.isConnected())")
            close(ends[0])
            close(ends[1])
            print("closed=\(JournalStream.isConnected(fileDescriptor: ends[1]))")
        }
        #expect(lines(result?.standardOutputContent) == ["pipe=true", "stderr=false", "closed=false"])
    }
}
