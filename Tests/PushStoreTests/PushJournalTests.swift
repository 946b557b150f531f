import MetricsCore
import Testing

@testable import PushStore

@Suite struct PushJournalTests {
    private func record(_ payload: String) -> [UInt8] {
        var bytes: [UInt8] = []
        PushJournal.appendRecord(Array(payload.utf8), to: &bytes)
        return bytes
    }

    @Test func recordIsAHeaderWithLengthAndChecksumThenThePayload() {
        #expect(
            String(decoding: record("a:1|c\n"), as: UTF8.self) == "J 6 \(hex(fnv1a(Array("a:1|c\n".utf8))))\na:1|c\n")
        #expect(String(decoding: record(""), as: UTF8.self) == "J 0 cbf29ce484222325\n")
    }

    @Test func readsRecordsBackToBack() throws {
        let journal = record("a:1|c\nb:2|g\n") + record("!delete a\n")
        let (first, next) = try #require(PushJournal.record(in: journal, at: 0))
        #expect(String(decoding: journal[first], as: UTF8.self) == "a:1|c\nb:2|g\n")
        let (second, end) = try #require(PushJournal.record(in: journal, at: next))
        #expect(String(decoding: journal[second], as: UTF8.self) == "!delete a\n")
        #expect(end == journal.count)
    }

    @Test(arguments: ["truncated payload", "truncated header", "checksum", "garbage", "huge length", "negative"])
    func refusesTornOrDamagedRecords(damage: String) {
        var journal = record("x:1|c\n")
        switch damage {
        case "truncated payload": journal.removeLast(2)
        case "truncated header": journal = Array(journal.prefix(4))
        case "checksum": journal[journal.count - 2] = UInt8(ascii: "y")
        case "huge length": journal = Array("J \(Int.max) 0000000000000000\nx".utf8)
        case "negative": journal = Array("J -1 0000000000000000\nx".utf8)
        default: journal = Array("hello\nworld\n".utf8)
        }
        #expect(PushJournal.record(in: journal, at: 0) == nil)
    }

    @Test(arguments: [
        ("", 0xcbf2_9ce4_8422_2325 as UInt64), ("a", 0xaf63_dc4c_8601_ec8c), ("foobar", 0x8594_4171_f739_67e8),
    ])
    func checksumIsFNV1a64(text: String, expected: UInt64) {
        #expect(fnv1a(Array(text.utf8)) == expected)
    }

    @Test func checksumIsWrittenAsSixteenHexDigits() {
        #expect(hex(0) == "0000000000000000")
        #expect(hex(0xff) == "00000000000000ff")
        #expect(hex(.max) == "ffffffffffffffff")
    }

    @Test func replayAppliesLinesAndDeletionsUpToATornRecord() throws {
        let registry = try MetricRegistry(views: ViewSet())
        let store = try PushStore(registry: registry)
        let torn = record("c:5|c\n").dropLast(3)
        let journal = record("a:1|c\nb:2|g\n") + record("a:2|c\n!delete b\n") + torn + record("d:1|g\n")
        let replay = store.replayJournal(journal)
        #expect(replay == PushJournalReplay(records: 2, ignoredBytes: torn.count + record("d:1|g\n").count))
        let snapshot = registry.collect()
        #expect(snapshot.family(named: "a")?.values == [3])
        #expect(snapshot.family(named: "b") == nil)
        #expect(snapshot.family(named: "c") == nil)
        #expect(snapshot.family(named: "d") == nil)
    }
}
