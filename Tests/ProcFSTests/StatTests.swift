import ProcFS
import Testing

@Suite struct StatTests {
    /// The ten mode columns of a cpu line, in file order.
    static func columns(_ times: KernelStat.CPUTimes) -> [UInt64] {
        [
            times.user, times.nice, times.system, times.idle, times.iowait, times.irq, times.softirq, times.steal,
            times.guest, times.guestNice,
        ]
    }

    @Test(
        arguments: [
            ("cpu  1 2 3 4 5 6 7 8 9 10\n", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
            // 2.6.33+ with a future eleventh column: ignored.
            ("cpu 1 2 3 4 5 6 7 8 9 10 11\n", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
            // 2.6.24-2.6.32: no guest_nice.
            ("cpu 1 2 3 4 5 6 7 8 9\n", [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]),
            // 2.6.11-2.6.23: no guest.
            ("cpu 1 2 3 4 5 6 7 8\n", [1, 2, 3, 4, 5, 6, 7, 8, 0, 0]),
            // 2.6.0-2.6.10: no steal.
            ("cpu 1 2 3 4 5 6 7\n", [1, 2, 3, 4, 5, 6, 7, 0, 0, 0]),
            // 2.4: user nice system idle only.
            ("cpu 1 2 3 4\n", [1, 2, 3, 4, 0, 0, 0, 0, 0, 0]),
            ("cpu\t1 \t2  3 4   \n", [1, 2, 3, 4, 0, 0, 0, 0, 0, 0]),
            ("cpu 18446744073709551615 0 0 0", [.max, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        ] as [(String, [UInt64])])
    func parsesKernelColumnCounts(input: String, expected: [UInt64]) throws {
        let stat = try KernelStat.parse(bytes(input))
        #expect(Self.columns(stat.total) == expected)
    }

    @Test func parsesCountersAndSparseCPUs() throws {
        let stat = try KernelStat.parse(
            bytes(
                """
                cpu  30 0 20 100 0 0 0 0 0 0
                cpu0 10 0 10 50 0 0 0 0 0 0
                cpu2 20 0 10 50 0 0 0 0 0 0
                intr 8885917 17 0 0 0 1
                ctxt 38014093
                btime 1418183276
                processes 26442
                procs_running 2
                procs_blocked 1
                page 5741 1808
                softirq 5057579 250191 1481983
                """))
        #expect(stat.cpus.map(\.index) == [0, 2])
        #expect(stat.cpus.map(\.times.idle) == [50, 50])
        #expect(stat.total.user == 30)
        #expect(stat.interrupts == 8_885_917)
        #expect(stat.contextSwitches == 38_014_093)
        #expect(stat.bootTime == 1_418_183_276)
        #expect(stat.processesCreated == 26442)
        #expect(stat.processesRunning == 2)
        #expect(stat.processesBlocked == 1)
        #expect(stat.softInterrupts == 5_057_579)
    }

    @Test func missingCounterLinesAreNil() throws {
        let stat = try KernelStat.parse(bytes("cpu 1 2 3 4\n"))
        #expect(stat.cpus.isEmpty)
        #expect(stat.interrupts == nil)
        #expect(stat.contextSwitches == nil)
        #expect(stat.bootTime == nil)
        #expect(stat.processesCreated == nil)
        #expect(stat.processesRunning == nil)
        #expect(stat.processesBlocked == nil)
        #expect(stat.softInterrupts == nil)
    }

    @Test(arguments: [
        ("", 1),
        ("ctxt 5\n", 1),
        ("cpu 1 2 3\n", 1),
        ("cpu 1 2 3 4\ncpu0 1 2\n", 2),
        ("cpu 1 2 3 x\n", 1),
        ("cpu 1 2 3 4 5 6 7 8 9 x\n", 1),
        ("cpu 18446744073709551616 0 0 0\n", 1),
        ("cpu 1 2 3 4\ncpuX 1 2 3 4\n", 2),
        ("cpu 1 2 3 4\ncpu99999999999 1 2 3 4\n", 2),
        ("cpu 1 2 3 4\nctxt\n", 2),
        ("cpu 1 2 3 4\nbtime -1\n", 2),
        ("cpu 1 2 3 4\nprocesses 99999999999999999999\n", 2),
        ("cpu 1 2 3 4\nintr x 1 2\n", 2),
    ])
    func rejectsMalformedLines(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try KernelStat.parse(bytes(input)) } == line)
    }

    @Test func readsTheFixture() throws {
        let stat = try Fixtures.proc.stat()
        #expect(stat.cpus.map(\.index) == [0, 1])
        #expect(Self.columns(stat.total) == [301854, 612, 111922, 8_979_004, 3552, 2, 3944, 177, 44, 36])
        #expect(Self.columns(stat.cpus[1].times) == [140927, 306, 50961, 4_498_502, 1552, 1, 1944, 87, 14, 16])
        #expect(stat.bootTime == 1_700_000_000)
        #expect(stat.processesBlocked == 1)
    }

    /// node_exporter's cpu0 line and counters (expected.prom: cpu 0 idle 10870.69 s, boot time 1.418183276e9,
    /// 3.8014093e7 context switches).
    @Test func matchesNodeExporterFixture() throws {
        let stat = try KernelStat.parse(
            bytes(
                """
                cpu  301854 612 111922 8979004 3552 2 3944 0 44 36
                cpu0 44490 19 21045 1087069 220 1 3410 0 2 1
                intr 8885917 17 0 0 0 0 0 0 0 1 79281 0 0 0 0 0 0 0 231237 0 0 0 0 250586 103 0 0 0
                ctxt 38014093
                btime 1418183276
                processes 26442
                procs_running 2
                procs_blocked 0
                softirq 5057579 250191 1481983 1647 211099 186066 0 1783454 622196 12499 508444

                """))
        #expect(stat.cpus.first?.times.idle == 1_087_069)
        #expect(stat.cpus.first?.times.guest == 2)
        #expect(stat.cpus.first?.times.guestNice == 1)
        #expect(stat.bootTime == 1_418_183_276)
        #expect(stat.contextSwitches == 38_014_093)
        #expect(stat.interrupts == 8_885_917)
    }

    @Test(.needsPeerFixtures) func readsNodeExporterFixture() throws {
        let stat = try PeerFixtures.proc.stat()
        #expect(stat.cpus.map(\.index) == Array(0...7))
        #expect(stat.cpus.first?.times.idle == 1_087_069)
        #expect(stat.processesCreated == 26442)
    }
}
