import HostCollectors
import MetricsCore
import Testing

@Suite struct NetStatCollectorTests {
    /// What node_exporter 1.5 reports from the fixture with its default fields (run against the same tree).
    static let expected: [String: Double] = [
        "Icmp6_InErrors": 1, "Icmp6_InMsgs": 70, "Icmp6_OutMsgs": 90, "Icmp_InErrors": 2, "Icmp_InMsgs": 104,
        "Icmp_OutMsgs": 120, "Ip6_InOctets": 3_448_000, "Ip6_OutOctets": 4_200_000, "IpExt_InOctets": 2_681_459_287,
        "IpExt_OutOctets": 2_625_902_417, "Ip_Forwarding": 1, "TcpExt_ListenDrops": 5, "TcpExt_ListenOverflows": 4,
        "TcpExt_SyncookiesFailed": 3, "TcpExt_SyncookiesRecv": 2, "TcpExt_SyncookiesSent": 1,
        "TcpExt_TCPSynRetrans": 41, "TcpExt_TCPTimeouts": 115, "Tcp_ActiveOpens": 3556, "Tcp_CurrEstab": 12,
        "Tcp_InErrs": 5, "Tcp_InSegs": 400_000, "Tcp_OutRsts": 1003, "Tcp_OutSegs": 380_000, "Tcp_PassiveOpens": 230,
        "Tcp_RetransSegs": 227, "Udp6_InDatagrams": 500, "Udp6_InErrors": 0, "Udp6_NoPorts": 2,
        "Udp6_OutDatagrams": 600, "Udp6_RcvbufErrors": 1, "Udp6_SndbufErrors": 0, "UdpLite6_InErrors": 0,
        "UdpLite_InErrors": 0, "Udp_InDatagrams": 88542, "Udp_InErrors": 3, "Udp_NoPorts": 120,
        "Udp_OutDatagrams": 53028, "Udp_RcvbufErrors": 9, "Udp_SndbufErrors": 8,
    ]

    static func netstat(_ snapshot: MetricsSnapshot) -> [String: Double] {
        var found: [String: Double] = [:]
        for family in snapshot.families where family.descriptor.name.hasPrefix("node_netstat_") {
            found[String(family.descriptor.name.dropFirst("node_netstat_".count))] = family.values.first
        }
        return found
    }

    @Test func reportsTheDefaultFieldsAsUntyped() throws {
        let snapshot = try makeRegistry(collectors: ["netstat"], options: Fixtures.options()).collect()
        #expect(Self.netstat(snapshot) == Self.expected)
        let family = try #require(snapshot.family(sample: "node_netstat_TcpExt_ListenDrops"))
        #expect(family.descriptor.type == .untyped)
        #expect(family.descriptor.help == "Statistic TcpExtListenDrops.")
        #expect(family.labelSets == [.empty])
        #expect(snapshot.family(sample: "node_netstat_Ip6_InOctets")?.descriptor.help == "Statistic Ip6InOctets.")
    }

    @Test(
        arguments: [
            ("^Tcp_MaxConn$", ["Tcp_MaxConn": -1]),
            (
                "^(IcmpMsg|Icmp6)_(In|Out)Type[0-9]+$",
                [
                    "IcmpMsg_InType3": 104, "IcmpMsg_OutType3": 120, "Icmp6_InType1": 70, "Icmp6_OutType1": 0,
                    "Icmp6_OutType135": 60,
                    "Icmp6_OutType143": 30,
                ]
            ),
            ("MPCurrEstab", ["MPTcpExt_MPCurrEstab": 0]),
        ] as [(String, [String: Double])])
    func theFieldsPatternChoosesTheCounters(fields: String, expected: [String: Double]) throws {
        var options = Fixtures.options()
        options.netStatFields = fields
        let snapshot = try makeRegistry(collectors: ["netstat"], options: options).collect()
        #expect(Self.netstat(snapshot) == expected)
    }

    @Test func anEmptyPatternReportsEveryCounter() throws {
        var options = Fixtures.options()
        options.netStatFields = ""
        let found = Self.netstat(try makeRegistry(collectors: ["netstat"], options: options).collect())
        // 135 TcpExt, 18 IpExt and 76 MPTcpExt counters; 20 Ip, 29 Icmp, 2 IcmpMsg, 15 Tcp, 9 Udp, 9 UdpLite; 90
        // from snmp6.
        #expect(found.count == 135 + 18 + 76 + 20 + 29 + 2 + 15 + 9 + 9 + 90)
    }

    @Test func countersThatAppearLaterAreReportedFromTheNextCollection() throws {
        let tree = try FixtureCopy()
        var options = Fixtures.options(directory: tree.directory)
        options.netStatFields = "^(IcmpMsg_.*|Tcp_ActiveOpens)$"
        let registry = try makeRegistry(collectors: ["netstat"], options: options)
        #expect(
            Self.netstat(registry.collect()) == [
                "IcmpMsg_InType3": 104, "IcmpMsg_OutType3": 120, "Tcp_ActiveOpens": 3556,
            ])

        let snmp = try String(contentsOfFile: tree.directory + "/proc/net/snmp", encoding: .utf8)
        try tree.write(
            "proc/net/snmp",
            snmp.replacing(
                "IcmpMsg: InType3 OutType3\nIcmpMsg: 104 120",
                with: "IcmpMsg: InType0 InType3 OutType3\nIcmpMsg: 9 105 121"
            )
            .replacing("3556 230", with: "3557 230"))
        let first = registry.collect()
        #expect(first.success("netstat") == 1)
        #expect(Self.netstat(first) == ["IcmpMsg_InType3": 105, "IcmpMsg_OutType3": 121, "Tcp_ActiveOpens": 3557])
        #expect(
            Self.netstat(registry.collect()) == [
                "IcmpMsg_InType0": 9, "IcmpMsg_InType3": 105, "IcmpMsg_OutType3": 121, "Tcp_ActiveOpens": 3557,
            ])
    }

    @Test func withoutIPv6TheOtherFilesAreStillReported() throws {
        let tree = try FixtureCopy()
        try tree.remove("proc/net/snmp6")
        let snapshot = try makeRegistry(collectors: ["netstat"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.success("netstat") == 1)
        #expect(Self.netstat(snapshot) == Self.expected.filter { !$0.key.contains("6_") })
    }

    @Test(arguments: ["proc/net/netstat", "proc/net/snmp"])
    func aMissingOrMalformedRequiredFileFailsTheCollector(file: String) throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(collectors: ["netstat"], options: Fixtures.options(directory: tree.directory))
        try tree.write(file, "Tcp: ActiveOpens\nTcp: x\n")
        #expect(registry.collect().success("netstat") == 0)
        try tree.remove(file)
        #expect(registry.collect().success("netstat") == 0)
    }
}
