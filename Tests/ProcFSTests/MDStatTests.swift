import ProcFS
import Testing

@Suite struct MDStatTests {
    typealias Expected = (
        name: String, state: String, active: Int64, total: Int64, failed: Int64, spare: Int64,
        down: Int64, blocks: Int64, synced: Int64
    )

    static func summary(_ array: MDStat.Array) -> String {
        "\(array.name) \(array.activityState) \(array.activeDisks)/\(array.requiredDisks) F\(array.failedDisks) "
            + "S\(array.spareDisks) D\(array.downDisks) \(array.syncedBlocks)/\(array.blocks)"
    }

    @Test func readsTheFixtureAsNodeExporterDoes() throws {
        let mdstat = try KernelFile(path: Fixtures.proc.path("mdstat")).parse(MDStat.parse)
        #expect(
            mdstat.arrays.map(Self.summary) == [
                "md0 active 2/2 F0 S0 D0 1046528/1046528",
                "md1 recovering 2/3 F1 S1 D1 1309568/20953088",
                "md2 inactive 0/0 F0 S1 D0 1048576/1048576",
                "md3 active 2/2 F0 S0 D0 2095104/2095104",
                "md4 resyncing 2/2 F0 S0 D0 0/1046528",
                "md5 checking 2/2 F0 S0 D0 52326/1046528",
            ])
    }

    @Test(arguments: [
        (
            "md127 : active raid1 sdb[1] sda[0]\n      976630464 blocks super 1.2 [2/2] [UU]\n"
                + "      [>....................]  resync =  0.1% (1234/976630464) finish=100.5min speed=161604K/sec\n"
                + "      bitmap: 8/8 pages [32KB], 65536KB chunk\n\n",
            "md127 resyncing 2/2 F0 S0 D0 1234/976630464"
        ),
        (
            "md9 : active linear sdc1[1] sdb1[0]\n      4000 blocks super 1.2 0k rounding\n\n\n",
            "md9 active 2/2 F0 S0 D0 4000/4000"
        ),
        (
            "md3 : active raid6 sda[0] sdb[1] sdc[2](F) sdd[3]\n      2000 blocks level 6 [4/3] [UU_U]\n"
                + "      \tresync=DELAYED\n\n",
            "md3 resyncing 3/4 F1 S0 D1 0/2000"
        ),
        ("Personalities : [raid1]\nunused devices: <none>\n", ""),
        ("", ""),
    ])
    func parsesArrayLayouts(input: String, expected: String) throws {
        let mdstat = try MDStat.parse(bytes(input))
        #expect(mdstat.arrays.map(Self.summary).joined(separator: "\n") == expected)
    }

    @Test(arguments: [
        ("md0 :\n      100 blocks [1/1] [U]\n\n\n", 1),
        ("md0 : active raid1 sda[0]\n      100 blocks [1/1] [U]\n", 1),
        ("md0 : active raid1 sda[0]\n      x blocks [1/1] [U]\n\n\n", 2),
        ("md0 : active raid1 sda[0]\n      100 blocks [1/1]\n\n\n", 2),
        ("md0 : active raid1 sda[0]\n      100 blocks [1/1] [X]\n\n\n", 2),
        ("md0 : active raid1 sda[0]\n      100 blocks\n\n\n", 2),
        ("md0 : active raid1 sda[0]\n\n\n\n", 2),
        (
            "md0 : active raid1 sda[0] sdb[1]\n      100 blocks [2/2] [UU]\n      recovery = 5% finish=1min speed=1K/sec\n\n",
            3
        ),
        (
            "md0 : active raid1 sda[0] sdb[1]\n      100 blocks [2/2] [UU]\n"
                + "      [=>..]  recovery = x% (5/100) finish=1.0min speed=1K/sec\n\n", 3
        ),
        (
            "md0 : active raid1 sda[0] sdb[1]\n      100 blocks [2/2] [UU]\n"
                + "      [=>..]  recovery = 5% (5/100) finish=1.0min\n\n", 3
        ),
    ])
    func rejectsMalformedArrays(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try MDStat.parse(bytes(input)) } == line)
    }
}
