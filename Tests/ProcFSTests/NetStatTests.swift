import ProcFS
import Testing

@Suite struct NetStatTests {
    static let snmp = """
        Ip: Forwarding DefaultTTL InReceives
        Ip: 1 64 18446744073709551615
        Tcp: RtoAlgorithm MaxConn ActiveOpens
        Tcp: 1 -1 3556
        IcmpMsg: InType3 OutType3
        IcmpMsg: 104 120

        """

    static func pairs(_ statistics: NetStatistics) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: zip(statistics.layout.keys, statistics.values))
    }

    @Test func namesEveryCounterAfterItsProtocol() throws {
        let statistics = try NetStatistics.parse(bytes(Self.snmp))
        #expect(
            statistics.layout.keys == [
                "Ip_Forwarding", "Ip_DefaultTTL", "Ip_InReceives", "Tcp_RtoAlgorithm", "Tcp_MaxConn",
                "Tcp_ActiveOpens", "IcmpMsg_InType3", "IcmpMsg_OutType3",
            ])
        #expect(statistics.values == [1, 64, Double(UInt64.max), 1, -1, 3556, 104, 120])
    }

    @Test func anUnchangedHeaderKeepsTheLayoutInstance() throws {
        let first = try NetStatistics.parse(bytes(Self.snmp))
        let changedValues = Self.snmp.replacing("Tcp: 1 -1 3556", with: "Tcp: 1 -1 3600")
        let second = try NetStatistics.parse(bytes(changedValues), reusing: first.layout)
        #expect(second.layout === first.layout)
        #expect(Self.pairs(second)["Tcp_ActiveOpens"] == 3600)
        // A new ICMP message type adds a counter: a new layout.
        let grown = Self.snmp.replacing(
            "IcmpMsg: InType3 OutType3\nIcmpMsg: 104 120", with: "IcmpMsg: InType0 InType3 OutType3\nIcmpMsg: 7 104 120"
        )
        let third = try NetStatistics.parse(bytes(grown), reusing: first.layout)
        #expect(third.layout !== first.layout)
        #expect(Self.pairs(third)["IcmpMsg_InType0"] == 7)
        // A file that lost its last pair is no longer the same layout either.
        let shrunk = try NetStatistics.parse(
            bytes("Ip: Forwarding DefaultTTL InReceives\nIp: 1 64 0\n"), reusing: first.layout)
        #expect(shrunk.layout !== first.layout)
        #expect(shrunk.layout.keys == ["Ip_Forwarding", "Ip_DefaultTTL", "Ip_InReceives"])
    }

    @Test func pairsOfOneProtocolAreAllKept() throws {
        let statistics = try NetStatistics.parse(
            bytes("IcmpMsg: InType0 InType3\nIcmpMsg: 1 2\nIcmpMsg: OutType3\nIcmpMsg: 3\n"))
        #expect(Self.pairs(statistics) == ["IcmpMsg_InType0": 1, "IcmpMsg_InType3": 2, "IcmpMsg_OutType3": 3])
    }

    @Test func anEmptyFileHasNoCounters() throws {
        let statistics = try NetStatistics.parse(bytes(""))
        #expect(statistics.layout.keys.isEmpty && statistics.values.isEmpty)
        #expect(try NetStatistics.parse(bytes("\n"), reusing: statistics.layout).layout === statistics.layout)
    }

    @Test(arguments: [
        ("Ip: Forwarding\n", 2),
        ("Ip Forwarding\nIp 1\n", 1),
        (": Forwarding\n: 1\n", 1),
        ("Ip: Forwarding\nTcp: 1\n", 2),
        ("Ip: Forwarding DefaultTTL\nIp: 1\n", 2),
        ("Ip: Forwarding\nIp: 1 64\n", 2),
        ("Ip: Forwarding\nIp: x\n", 2),
        ("Ip: Forwarding\nIp: 1.5\n", 2),
        ("Ip: Forwarding\nIp: 1\nTcp: MaxConn\nTcp: --1\n", 4),
    ])
    func rejectsMalformedPairs(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try NetStatistics.parse(bytes(input)) } == line)
    }

    static let snmp6 = """
        Ip6InReceives                   \t7000
        Ip6InOctets                     \t3448000
        Icmp6InMsgs                     \t70
        Icmp6OutType135                 \t60
        UdpLite6InErrors                \t0
        NoSixHere                       \t5
        Udp6OnlyAName

        """

    @Test func splitsSNMP6NamesAfterTheirFirstSix() throws {
        let statistics = try NetStatistics.parseSNMP6(bytes(Self.snmp6))
        #expect(
            statistics.layout.keys == [
                "Ip6_InReceives", "Ip6_InOctets", "Icmp6_InMsgs", "Icmp6_OutType135", "UdpLite6_InErrors",
            ])
        #expect(statistics.values == [7000, 3_448_000, 70, 60, 0])
        let again = try NetStatistics.parseSNMP6(bytes(Self.snmp6), reusing: statistics.layout)
        #expect(again.layout === statistics.layout)
        let grown = try NetStatistics.parseSNMP6(
            bytes(Self.snmp6 + "Icmp6InType1 3\n"), reusing: statistics.layout)
        #expect(grown.layout !== statistics.layout)
        #expect(grown.layout.keys.last == "Icmp6_InType1")
    }

    @Test func rejectsSNMP6ValuesThatAreNotIntegers() {
        #expect(
            malformedLine { () throws(ProcFSError) in
                try NetStatistics.parseSNMP6(bytes("Ip6InReceives 7\nIp6InOctets x\n"))
            }
                == 2)
    }

    @Test func readsTheFixtures() throws {
        let netstat = Self.pairs(
            try KernelFile(path: Fixtures.proc.path("net/netstat")).parse { (bytes) throws(ProcFSError) in
                try NetStatistics.parse(bytes)
            })
        #expect(netstat["TcpExt_ListenDrops"] == 5)
        #expect(netstat["IpExt_InOctets"] == 2_681_459_287)
        #expect(netstat["MPTcpExt_MPCurrEstab"] == 0)
        let snmp = Self.pairs(
            try KernelFile(path: Fixtures.proc.path("net/snmp")).parse { (bytes) throws(ProcFSError) in
                try NetStatistics.parse(bytes)
            })
        #expect(snmp["Tcp_MaxConn"] == -1)
        #expect(snmp["Udp_InDatagrams"] == 88542)
        let snmp6 = Self.pairs(
            try KernelFile(path: Fixtures.proc.path("net/snmp6")).parse { (bytes) throws(ProcFSError) in
                try NetStatistics.parseSNMP6(bytes)
            })
        #expect(snmp6.count == 90)
        #expect(snmp6["Ip6_OutOctets"] == 4_200_000)
    }
}
