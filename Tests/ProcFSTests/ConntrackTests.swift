import ProcFS
import Testing

@Suite struct ConntrackTests {
    static func counters(_ statistics: ConntrackStatistics) -> [UInt64?] {
        [
            statistics.found, statistics.invalid, statistics.ignore, statistics.insert, statistics.insertFailed,
            statistics.drop, statistics.earlyDrop, statistics.searchRestart,
        ]
    }

    @Test func sumsTheCountersOfEveryCPUByColumnName() throws {
        // Before Linux 5.x the second and eighth columns were `searched` and `delete_list`; node_exporter's fixture.
        let old = try ConntrackStatistics.parse(
            bytes(
                """
                entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart
                00000021  00000000 00000000 00000000 00000003 0000588a 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000000
                00000021  00000000 00000000 00000000 00000002 000056a4 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000002
                00000021  00000000 00000000 00000000 00000001 000058d4 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000001
                00000021  00000000 00000000 00000000 0000002f 00005688 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000004

                """))
        #expect(Self.counters(old) == [0, 53, 89_738, 0, 0, 0, 0, 7])
        let fixture = try KernelFile(path: Fixtures.proc.path("net/stat/nf_conntrack")).parse(ConntrackStatistics.parse)
        #expect(Self.counters(fixture) == [15, 5, 44846, 150, 1, 1, 0, 3])
    }

    @Test func aCounterTheHeaderDoesNotNameIsNil() throws {
        let statistics = try ConntrackStatistics.parse(bytes("entries found drop_by_user\n1 2 3\n4 5 6\n"))
        #expect(Self.counters(statistics) == [7, nil, nil, nil, nil, nil, nil, nil])
        #expect(
            Self.counters(try ConntrackStatistics.parse(bytes("entries found\n"))) == [0]
                + Array(repeating: nil, count: 7))
    }

    @Test(arguments: [
        ("", 1),
        ("entries found\n1\n", 2),
        ("entries found\n1 2 3\n", 2),
        ("entries found\n1 2\n1 x\n", 3),
        ("entries found\n1 10000000000000000\n", 2),
    ])
    func rejectsMalformedLines(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try ConntrackStatistics.parse(bytes(input)) } == line)
    }

    @Test func parsesTheTableSizeFiles() throws {
        #expect(try ConntrackStatistics.parseTableSize(bytes("262144\n")) == 262_144)
        #expect(try ConntrackStatistics.parseTableSize(bytes("0")) == 0)
        #expect(
            try KernelFile(path: Fixtures.proc.path("sys/net/netfilter/nf_conntrack_count")).parse(
                ConntrackStatistics.parseTableSize) == 33)
        for malformed in ["", "\n", "-1\n", "12 34\n", "x\n"] {
            #expect(
                malformedLine { () throws(ProcFSError) in try ConntrackStatistics.parseTableSize(bytes(malformed)) }
                    == 1,
                "\(malformed.debugDescription)")
        }
    }
}
