import Testing

@testable import TallyServer

@Suite struct JournalRecordTests {
    private func record(_ payload: String) -> [UInt8] {
        let bytes = Array(payload.utf8)
        return Array("J \(bytes.count) \(hex(PushPersistence.fnv1a(bytes)))\n".utf8) + bytes
    }

    @Test func readsRecordsBackToBack() throws {
        let journal = record("a:1|c\nb:2|g\n") + record("!delete a\n")
        let (first, next) = try #require(PushPersistence.record(in: journal, at: 0))
        #expect(String(decoding: journal[first], as: UTF8.self) == "a:1|c\nb:2|g\n")
        let (second, end) = try #require(PushPersistence.record(in: journal, at: next))
        #expect(String(decoding: journal[second], as: UTF8.self) == "!delete a\n")
        #expect(end == journal.count)
    }

    @Test(arguments: ["truncated payload", "truncated header", "checksum", "garbage"])
    func refusesTornOrDamagedRecords(damage: String) {
        var journal = record("x:1|c\n")
        switch damage {
        case "truncated payload": journal.removeLast(2)
        case "truncated header": journal = Array(journal.prefix(4))
        case "checksum": journal[journal.count - 2] = UInt8(ascii: "y")
        default: journal = Array("hello\nworld\n".utf8)
        }
        #expect(PushPersistence.record(in: journal, at: 0) == nil)
    }

    @Test(arguments: [
        ("/var/lib/tally/push.state", "/var/lib/tally", "push.state"), ("state", ".", "state"), ("/x", "/", "x"),
    ])
    func splitsPaths(path: String, directory: String, base: String) {
        #expect(PushPersistence.directoryName(of: path) == directory)
        #expect(PushPersistence.baseName(of: path) == base)
    }
}
