import ProcFS
import Testing

@Suite struct SoftnetStatTests {
    static func row(_ columns: [String]) -> String {
        columns.joined(separator: " ") + "\n"
    }

    static let zeros = Array(repeating: "00000000", count: 12)

    @Test func numbersTheLinesOfOlderKernels() throws {
        // node_exporter's fixture: 11 columns, no CPU number.
        let cpus = try SoftnetStat.parse(
            bytes(
                """
                00049279 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
                000dfb82 00000029 0000000a 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000

                """))
        #expect(cpus.map(\.cpu) == [0, 1])
        #expect(cpus.map(\.processed) == [299_641, 916_354])
        #expect(cpus.map(\.dropped) == [0, 41])
        #expect(cpus.map(\.timeSqueezed) == [1, 10])
    }

    @Test func takesTheKernelsCPUNumberWhereItIsPrinted() throws {
        // Linux 6.x: 15 columns, the CPU number 13th; CPU 1 is offline.
        let cpu0 = ["000186a0", "0000000c", "00000022"] + Self.zeros
        var cpu2 = ["00030d40", "00000000", "00000007"] + Self.zeros
        cpu2[12] = "00000002"
        let cpus = try SoftnetStat.parse(bytes(Self.row(cpu0) + Self.row(cpu2)))
        #expect(cpus.map(\.cpu) == [0, 2])
        #expect(cpus.map(\.processed) == [100_000, 200_000])
    }

    @Test(arguments: [
        ("00000001 00000002 00000003 0 0 0 0 0\n", 1),
        ("0 0 0 0 0 0 0 0 0\n0 0 0 0 0 0 0 0 x\n", 2),
        ("0 0 0 0 0 0 0 0 0 0 0 0 ffffffffff\n", 1),
    ])
    func rejectsMalformedLines(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try SoftnetStat.parse(bytes(input)) } == line)
    }

    @Test func readsTheFixture() throws {
        let cpus = try KernelFile(path: Fixtures.proc.path("net/softnet_stat")).parse(SoftnetStat.parse)
        #expect(cpus.map(\.cpu) == [0, 1])
        #expect(cpus.map(\.dropped) == [12, 0])
    }
}
