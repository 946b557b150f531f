import Testing

@testable import ProcFS

@Suite struct ARPTableTests {
    static let header = "IP address       HW type     Flags       HW address            Mask     Device\n"

    @Test func countsTheEntriesOfEachDeviceInOrderOfAppearance() throws {
        let devices = try ARPEntryCount.parse(
            bytes(
                Self.header + """
                    192.0.2.1        0x1         0x2         02:00:00:00:00:01     *        eth0
                    172.17.0.2       0x1         0x2         02:42:ac:11:00:02     *        docker0
                    192.0.2.30       0x1         0x0         00:00:00:00:00:00     *        eth0

                    """))
        #expect(devices == [ARPEntryCount(device: "eth0", entries: 2), ARPEntryCount(device: "docker0", entries: 1)])
    }

    @Test func aHeaderAloneIsNoEntries() throws {
        #expect(try ARPEntryCount.parse(bytes(Self.header)).isEmpty)
        #expect(try ARPEntryCount.parse(bytes("")).isEmpty)
    }

    @Test(arguments: [
        ("IP address HW type\n", 1),
        (ARPTableTests.header + "192.0.2.1 0x1 0x2 02:00:00:00:00:01 eth0\n", 2),
    ])
    func rejectsLinesOfFewerThanSixColumns(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try ARPEntryCount.parse(bytes(input)) } == line)
    }

    @Test func readsTheFixture() throws {
        let devices = try KernelFile(path: Fixtures.proc.path("net/arp")).parse(ARPEntryCount.parse)
        #expect(devices.map(\.device) == ["eth0", "docker0"])
        #expect(devices.map(\.entries) == [3, 1])
    }
}
