import ProcFS
import Testing

@Suite struct SockstatTests {
    @Test func parsesTheSocketsLineAndEveryProtocol() throws {
        let sockstat = try Sockstat.parse(
            bytes(
                """
                sockets: used 229
                TCP: inuse 14 orphan 1 tw 449 alloc 17 mem 61
                UDP: inuse 5 mem 3
                RAW: inuse 1
                FRAG: inuse 0 memory 0
                NEWPROTO: inuse 2 pressure 1

                """))
        #expect(sockstat.socketsUsed == 229)
        #expect(sockstat.protocols.map(\.name) == ["TCP", "UDP", "RAW", "FRAG", "NEWPROTO"])
        let tcp = sockstat.protocols[0]
        #expect(
            [tcp.inUse, tcp.orphan, tcp.timeWait, tcp.allocated, tcp.memoryPages, tcp.memoryBytes] == [
                14, 1, 449, 17, 61, nil,
            ])
        #expect(sockstat.protocols[1].memoryPages == 3 && sockstat.protocols[1].orphan == nil)
        #expect(sockstat.protocols[3].memoryBytes == 0 && sockstat.protocols[3].memoryPages == nil)
        #expect(sockstat.protocols[4].inUse == 2)
    }

    @Test func sockstat6HasNoSocketsLine() throws {
        let sockstat = try Sockstat.parse(bytes("TCP6: inuse 6\nUDP6: inuse 4\nFRAG6: inuse 0 memory 0\n"))
        #expect(sockstat.socketsUsed == nil)
        #expect(sockstat.protocols.map(\.name) == ["TCP6", "UDP6", "FRAG6"])
        #expect(try Sockstat.parse(bytes("")) == Sockstat.parse(bytes("\n")))
    }

    @Test(arguments: [
        ("TCP inuse 1\n", 1),
        ("TCP:\n", 1),
        (": inuse 1\n", 1),
        ("TCP: inuse\n", 1),
        ("TCP: inuse 1 tw\n", 1),
        ("sockets: used 1\nTCP: inuse x\n", 2),
        ("TCP: inuse 99999999999999999999\n", 1),
    ])
    func rejectsMalformedLines(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try Sockstat.parse(bytes(input)) } == line)
    }

    @Test func readsTheFixtures() throws {
        let sockstat = try KernelFile(path: Fixtures.proc.path("net/sockstat")).parse(Sockstat.parse)
        #expect(sockstat.socketsUsed == 229)
        #expect(sockstat.protocols.first?.memoryPages == 61)
        let sockstat6 = try KernelFile(path: Fixtures.proc.path("net/sockstat6")).parse(Sockstat.parse)
        #expect(sockstat6.protocols.map(\.name) == ["TCP6", "UDP6", "UDPLITE6", "RAW6", "FRAG6"])
    }
}
