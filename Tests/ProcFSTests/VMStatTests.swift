import ProcFS
import Testing

@Suite struct VMStatTests {
    @Test func parsesEveryLineInOrder() throws {
        let vmstat = try VMStat.parse(bytes("nr_free_pages 955000\npgmajfault 8000\n\noom_kill 1\nnr_weird -3"))
        #expect(
            vmstat.fields == [
                VMStat.Field(name: "nr_free_pages", value: 955_000), VMStat.Field(name: "pgmajfault", value: 8000),
                VMStat.Field(name: "oom_kill", value: 1), VMStat.Field(name: "nr_weird", value: -3),
            ])
    }

    @Test func reusesKnownNames() throws {
        let known = ["pgfault", "pgmajfault"]
        let vmstat = try VMStat.parse(bytes("pgfault 1\npgmajfault 2\npgnew 3\n"), knownNames: known)
        #expect(vmstat.fields.map(\.name) == ["pgfault", "pgmajfault", "pgnew"])
        #expect(vmstat.fields.map(\.value) == [1, 2, 3])
    }

    @Test(arguments: [
        ("pgfault\n", 1),
        ("pgfault 1\npgmajfault\n", 2),
        ("pgfault 1 2\n", 1),
        ("pgfault 1.5\n", 1),
        ("pgfault x\n", 1),
        ("pgfault 1\n\npgmajfault 99999999999999999999999\n", 3),
        ("", 1),
        ("\n\n", 1),
    ])
    func rejectsMalformedInput(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try VMStat.parse(bytes(input)) } == line)
    }

    @Test func readsTheFixture() throws {
        let vmstat = try KernelFile(path: Fixtures.proc.path("vmstat")).parse { (bytes) throws(ProcFSError) in
            try VMStat.parse(bytes)
        }
        #expect(vmstat.fields.count == 27)
        #expect(vmstat.fields.first == VMStat.Field(name: "nr_free_pages", value: 955_000))
        #expect(vmstat.fields.first { $0.name == "pgmajfault" }?.value == 8000)
    }
}
