import ProcFS
import Testing

@Suite struct NetDevTests {
    static let header = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed

        """

    /// The sixteen counters of a parsed line, in file order.
    static func counters(_ stats: NetDevStats) -> [UInt64] {
        [
            stats.receiveBytes, stats.receivePackets, stats.receiveErrors, stats.receiveDropped,
            stats.receiveFIFOErrors, stats.receiveFrameErrors, stats.receiveCompressed, stats.receiveMulticast,
            stats.transmitBytes, stats.transmitPackets, stats.transmitErrors, stats.transmitDropped,
            stats.transmitFIFOErrors, stats.transmitCollisions, stats.transmitCarrierErrors, stats.transmitCompressed,
        ]
    }

    @Test(
        arguments: [
            (
                "    lo:    3245      30    0    0    0     0          0         0     3245      30    0    0    0     0       0          0",
                "lo", [3245, 30, 0, 0, 0, 0, 0, 0, 3245, 30, 0, 0, 0, 0, 0, 0]
            ),
            (
                "  eth0:60290958   41235    2   17    0     1          0       312  6210212   30691    0    0    0     0       0          0\n",
                "eth0", [60_290_958, 41235, 2, 17, 0, 1, 0, 312, 6_210_212, 30691, 0, 0, 0, 0, 0, 0]
            ),
            (
                "veth1a2b3c4:1234567890 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n", "veth1a2b3c4",
                [1_234_567_890] + Array(1...15)
            ),
            ("wlan0:\t1\t2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17  \n", "wlan0", Array(1...16)),
            (
                "br-1: 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0", "br-1",
                [.max] + Array(repeating: 0, count: 15)
            ),
        ] as [(String, String, [UInt64])])
    func parsesInterfaceLines(line: String, device: String, expected: [UInt64]) throws {
        let interfaces = try NetDevStats.parse(bytes(Self.header + line))
        #expect(interfaces.map(\.device) == [device])
        #expect(interfaces.first.map(Self.counters) == expected)
    }

    @Test func headersAloneAreNoInterfaces() throws {
        #expect(try NetDevStats.parse(bytes(Self.header)).isEmpty)
        #expect(try NetDevStats.parse(bytes(Self.header + "\n")).isEmpty)
    }

    @Test(arguments: [
        ("", 1),
        ("Inter-|   Receive  |  Transmit\n", 2),
        ("lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", 1),
        (NetDevTests.header + "lo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", 3),
        (NetDevTests.header + ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", 3),
        (NetDevTests.header + "lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n", 3),
        (NetDevTests.header + "lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n", 3),
        (NetDevTests.header + "lo: 18446744073709551616 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", 3),
        (NetDevTests.header + "lo: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\neth0:\n", 4),
    ])
    func rejectsMalformedLines(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try NetDevStats.parse(bytes(input)) } == line)
    }

    @Test func readsTheFixture() throws {
        let interfaces = try KernelFile(path: Fixtures.proc.path("net/dev")).parse(NetDevStats.parse)
        #expect(interfaces.map(\.device) == ["lo", "eth0", "docker0", "veth1a2b3c4"])
        #expect(interfaces[1].receiveBytes == 60_290_958)
        #expect(interfaces[1].receiveMulticast == 312)
        #expect(interfaces[2].transmitDropped == 3)
        #expect(interfaces[3].receiveBytes == 1_234_567_890)
        #expect(interfaces[3].transmitCarrierErrors == 1)
    }
}
