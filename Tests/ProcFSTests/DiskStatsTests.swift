import ProcFS
import Testing

@Suite struct DiskStatsTests {
    /// The eleven classic counters of a parsed line, in file order.
    static func classic(_ disk: DiskStats) -> [UInt64] {
        [
            disk.readsCompleted, disk.readsMerged, disk.sectorsRead, disk.readMilliseconds, disk.writesCompleted,
            disk.writesMerged, disk.sectorsWritten, disk.writeMilliseconds, disk.ioInProgress, disk.ioMilliseconds,
            disk.weightedIOMilliseconds,
        ]
    }

    struct Expected: Sendable, CustomStringConvertible {
        var major: UInt32
        var minor: UInt32
        var device: String
        var classic: [UInt64]
        /// completed, merged, sectors, milliseconds.
        var discards: [UInt64]?
        /// completed, milliseconds.
        var flushes: [UInt64]?
        var description: String { device }
    }

    @Test(arguments: [
        // Rows from node_exporter's fixture (expected.prom: sda read 5.13713216512e11 bytes = sectors × 512; sdb
        // has discards only; sdc has discards and flushes).
        (
            "   8       0 sda 25354637 34367663 1003346126 18492372 28444756 11134226 505697032 63877960 0 9653880 82621804",
            Expected(
                major: 8, minor: 0, device: "sda",
                classic: [
                    25_354_637, 34_367_663, 1_003_346_126, 18_492_372, 28_444_756, 11_134_226, 505_697_032, 63_877_960,
                    0, 9_653_880, 82_621_804,
                ])
        ),
        (
            "   8      16 sdb 326552 841 9657779 84 41822 2895 1972905 5007 0 60730 67070 68851 0 1925173784 11130",
            Expected(
                major: 8, minor: 16, device: "sdb",
                classic: [326552, 841, 9_657_779, 84, 41822, 2895, 1_972_905, 5007, 0, 60730, 67070],
                discards: [68851, 0, 1_925_173_784, 11130])
        ),
        (
            "   8      32 sdc 126552 141 1657779 14 11822 1895 172905 1007 0 10730 17070 18851 0 125173784 11130 1555 1944",
            Expected(
                major: 8, minor: 32, device: "sdc",
                classic: [126552, 141, 1_657_779, 14, 11822, 1895, 172905, 1007, 0, 10730, 17070],
                discards: [18851, 0, 125_173_784, 11130], flushes: [1555, 1944])
        ),
        // A future kernel's 21st column is ignored; tabs and a missing newline are fine.
        (
            "259\t1\tnvme0n1p1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 99",
            Expected(
                major: 259, minor: 1, device: "nvme0n1p1", classic: Array(1...11), discards: [12, 13, 14, 15],
                flushes: [16, 17])
        ),
        (
            " 253 0 dm-0 18446744073709551615 0 0 0 0 0 0 0 0 0 0",
            Expected(major: 253, minor: 0, device: "dm-0", classic: [.max] + Array(repeating: 0, count: 10))
        ),
    ])
    func parsesEachKernelLayout(input: String, expected: Expected) throws {
        let disks = try DiskStats.parse(bytes(input))
        let disk = try #require(disks.first)
        #expect(disks.count == 1)
        #expect(disk.major == expected.major)
        #expect(disk.minor == expected.minor)
        #expect(disk.device == expected.device)
        #expect(Self.classic(disk) == expected.classic)
        #expect(disk.discards.map { [$0.completed, $0.merged, $0.sectors, $0.milliseconds] } == expected.discards)
        #expect(disk.flushes.map { [$0.completed, $0.milliseconds] } == expected.flushes)
    }

    @Test(arguments: ["", "\n", "  \n\n"])
    func emptyFileIsNoDevices(input: String) throws {
        #expect(try DiskStats.parse(bytes(input)).isEmpty)
    }

    @Test(arguments: [
        // 13 columns: one counter short.
        ("   8 0 sda 1 2 3 4 5 6 7 8 9 10\n", 1),
        // Linux < 2.6.25 partitions had 4 counters.
        ("   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n   8 1 sda1 1 2 3 4\n", 2),
        // Discard or flush group cut short (15, 16, 17, 19 columns).
        ("8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12\n", 1),
        ("8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14\n", 1),
        ("8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", 1),
        ("8 0 sda 1 2 3 4 5 6 7 8 9 10 x\n", 1),
        ("8 0 sda 1 2 3 4 5 6 7 8 9 10 18446744073709551616\n", 1),
        ("8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -15\n", 1),
        ("4294967296 0 sda 1 2 3 4 5 6 7 8 9 10 11\n", 1),
        ("8 -1 sda 1 2 3 4 5 6 7 8 9 10 11\n", 1),
        ("sda 8 0 1 2 3 4 5 6 7 8 9 10 11\n", 1),
        ("8\n", 1),
    ])
    func rejectsMalformedLines(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try DiskStats.parse(bytes(input)) } == line)
    }

    @Test func readsTheFixture() throws {
        let disks = try KernelFile(path: Fixtures.proc.path("diskstats")).parse(DiskStats.parse)
        #expect(disks.map(\.device) == ["loop0", "vda", "vda1", "vda2", "dm-0", "nvme0n1", "nvme0n1p1", "sda"])
        let byName = Dictionary(uniqueKeysWithValues: disks.map { ($0.device, $0) })
        #expect(byName["vda"]?.flushes?.completed == 1623)
        #expect(byName["vda"]?.flushes?.milliseconds == 96)
        #expect(byName["vda"]?.sectorsRead == 4_599_034)
        #expect(byName["nvme0n1"]?.discards?.sectors == 1_834_400)
        #expect(byName["nvme0n1"]?.flushes == nil)
        #expect(byName["sda"]?.discards == nil)
        #expect(byName["sda"]?.ioInProgress == 3)
        #expect(byName["dm-0"]?.major == 253)
    }

    @Test(.needsPeerFixtures) func readsNodeExporterFixture() throws {
        let disks = try KernelFile(path: PeerFixtures.proc.path("diskstats")).parse(DiskStats.parse)
        let byName = Dictionary(uniqueKeysWithValues: disks.map { ($0.device, $0) })
        #expect(byName["sda"].map { $0.sectorsRead * 512 } == 513_713_216_512)
        #expect(disks.filter { $0.discards != nil }.map(\.device) == ["sdb", "sdb1", "sdb2", "sdc", "sdc1"])
        #expect(disks.filter { $0.flushes != nil }.map(\.device) == ["sdc", "sdc1"])
    }
}
