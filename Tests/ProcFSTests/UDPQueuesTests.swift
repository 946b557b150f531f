import Testing

@testable import ProcFS

@Suite struct UDPQueuesTests {
    static let header =
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"

    @Test func sumsTheQueuesOfEverySocket() throws {
        let queues = try UDPQueues.parse(
            bytes(
                Self.header
                    + "  286: 00000000:0044 00000000:0000 07 00000000:00000300 00:00000000 00000000     0        0 19876 2 0000000000000000 0\n"
                    + "  812: 0A0200C0:1FBD 00000000:0000 07 00000200:00001200 00:00000000 00000000   998        0 23455 2 0000000000000000 0\n"
            ))
        #expect(queues == UDPQueues(transmitBytes: 0x200, receiveBytes: 0x1500, sockets: 2))
    }

    @Test func aHeaderAloneIsNoSockets() throws {
        #expect(try UDPQueues.parse(bytes(Self.header)) == UDPQueues(transmitBytes: 0, receiveBytes: 0, sockets: 0))
    }

    @Test(arguments: [
        ("", 1),
        (UDPQueuesTests.header + "  0: 00000000:0016 00000000:0000 0A 00000015:00000000 00:00000000 00000000 0 0\n", 2),
        (UDPQueuesTests.header + "  0: 00000000:0016 00000000:0000 0A 00000015 00:00000000 00000000 0 0 2740 1\n", 2),
        (
            UDPQueuesTests.header
                + "  0: 00000000:0016 00000000:0000 0A 0000001x:00000000 00:00000000 00000000 0 0 2740\n", 2
        ),
        (UDPQueuesTests.header + "  0: 00000000:0016\n", 2),
    ])
    func rejectsMalformedLines(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try UDPQueues.parse(bytes(input)) } == line)
    }

    @Test func readsTheFixtures() throws {
        #expect(
            try KernelFile(path: Fixtures.proc.path("net/udp")).parse(UDPQueues.parse)
                == UDPQueues(transmitBytes: 512, receiveBytes: 5376, sockets: 3))
        #expect(
            try KernelFile(path: Fixtures.proc.path("net/udp6")).parse(UDPQueues.parse)
                == UDPQueues(transmitBytes: 256, receiveBytes: 2048, sockets: 2))
    }
}
