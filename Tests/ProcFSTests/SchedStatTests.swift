import ProcFS
import Testing

@Suite struct SchedStatTests {
    @Test func parsesTheCPULinesAndSkipsTheRest() throws {
        let stat = try SchedStat.parse(
            bytes(
                """
                version 15
                timestamp 4297299139
                cpu0 0 0 0 0 0 0 8126436212760 1402329412345 95637484
                domain0 00000003 1 2 3
                cpu12 1 2 3 4 5 6 7 8 9 10 11

                """))
        #expect(
            stat.cpus == [
                SchedStat.CPU(
                    number: 0, runningNanoseconds: 8_126_436_212_760, waitingNanoseconds: 1_402_329_412_345,
                    timeslices: 95_637_484),
                SchedStat.CPU(number: 12, runningNanoseconds: 7, waitingNanoseconds: 8, timeslices: 9),
            ])
    }

    @Test(arguments: ["", "version 15\ntimestamp 1\n", "cpu 1 2 3 4 5 6 7 8 9\n"])
    func aFileWithoutCPULinesHasNoCPUs(input: String) throws {
        #expect(try SchedStat.parse(bytes(input)).cpus.isEmpty)
    }

    @Test(arguments: [
        ("cpu0 0 0 0 0 0 0 1 2\n", 1),
        ("version 15\ncpu0 0 0 0 0 0 0 1 2 x\n", 2),
        ("cpu0 0 0 0 0 0 0 1 2 -3\n", 1),
        ("cpux 0 0 0 0 0 0 1 2 3\n", 1),
        ("cpu0 0 0 0 0 0 0 1 18446744073709551616 3\n", 1),
        ("cpu4294967296 0 0 0 0 0 0 1 2 3\n", 1),
    ])
    func rejectsMalformedCPULines(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try SchedStat.parse(bytes(input)) } == line)
    }

    @Test func readsTheFixture() throws {
        let stat = try KernelFile(path: Fixtures.proc.path("schedstat")).parse(SchedStat.parse)
        #expect(stat.cpus.map(\.number) == [0, 1])
        #expect(stat.cpus.map(\.runningNanoseconds) == [2_500_000_000_000, 2_250_500_000_000])
        #expect(stat.cpus.map(\.waitingNanoseconds) == [120_000_000_000, 135_250_000_000])
        #expect(stat.cpus.map(\.timeslices) == [5_000_000, 4_500_000])
    }
}
