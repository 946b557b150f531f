import HostCollectors
import MetricsCore
import Testing

@Suite struct SockstatCollectorTests {
    /// What node_exporter 1.5 reports from the fixture (with a 4096-byte page).
    static let expected: [String: Double] = [
        "FRAG6_inuse": 0, "FRAG6_memory": 0, "FRAG_inuse": 0, "FRAG_memory": 0, "RAW6_inuse": 1, "RAW_inuse": 1,
        "TCP6_inuse": 6, "TCP_alloc": 17, "TCP_inuse": 14, "TCP_mem": 61, "TCP_mem_bytes": 249_856, "TCP_orphan": 1,
        "TCP_tw": 449, "UDP6_inuse": 4, "UDPLITE6_inuse": 0, "UDPLITE_inuse": 0, "UDP_inuse": 5, "UDP_mem": 3,
        "UDP_mem_bytes": 12288, "sockets_used": 229,
    ]

    static func sockstat(_ snapshot: MetricsSnapshot) -> [String: Double] {
        var found: [String: Double] = [:]
        for family in snapshot.families where family.descriptor.name.hasPrefix("node_sockstat_") {
            #expect(family.descriptor.type == .gauge && family.labelSets == [.empty])
            found[String(family.descriptor.name.dropFirst("node_sockstat_".count))] = family.values.first
        }
        return found
    }

    @Test func reportsEveryCountOfEveryProtocol() throws {
        let snapshot = try makeRegistry(collectors: ["sockstat"], options: Fixtures.options()).collect()
        #expect(Self.sockstat(snapshot) == Self.expected)
        #expect(snapshot.family(sample: "node_sockstat_TCP_mem_bytes")?.descriptor.unit == "bytes")
    }

    @Test func memoryInBytesFollowsThePageSize() throws {
        var options = Fixtures.options()
        options.pageSize = 65536
        let found = Self.sockstat(try makeRegistry(collectors: ["sockstat"], options: options).collect())
        #expect(found["TCP_mem_bytes"] == 3_997_696)
        #expect(found["UDP_mem_bytes"] == 196_608)
    }

    @Test func aMissingFileIsLeftOut() throws {
        let tree = try FixtureCopy()
        try tree.remove("proc/net/sockstat6")
        let registry = try makeRegistry(collectors: ["sockstat"], options: Fixtures.options(directory: tree.directory))
        let snapshot = registry.collect()
        #expect(snapshot.success("sockstat") == 1)
        #expect(Self.sockstat(snapshot) == Self.expected.filter { !$0.key.contains("6_") })
        try tree.remove("proc/net/sockstat")
        let neither = registry.collect()
        #expect(neither.success("sockstat") == 1)
        #expect(Self.sockstat(neither).isEmpty)
    }

    @Test func aProtocolOrCountThatAppearsLaterIsReportedFromTheNextCollection() throws {
        let tree = try FixtureCopy()
        try tree.write("proc/net/sockstat", "sockets: used 3\nTCP: inuse 2\n")
        let registry = try makeRegistry(collectors: ["sockstat"], options: Fixtures.options(directory: tree.directory))
        #expect(Self.sockstat(registry.collect())["TCP_inuse"] == 2)
        try tree.write("proc/net/sockstat", "sockets: used 3\nTCP: inuse 2 orphan 1\nMPTCP: inuse 1\n")
        let first = Self.sockstat(registry.collect())
        #expect(first["TCP_inuse"] == 2 && first["TCP_orphan"] == nil && first["MPTCP_inuse"] == nil)
        let second = Self.sockstat(registry.collect())
        #expect(second["TCP_orphan"] == 1 && second["MPTCP_inuse"] == 1)
    }

    @Test func aMalformedFileFailsTheCollector() throws {
        let tree = try FixtureCopy()
        try tree.write("proc/net/sockstat", "TCP: inuse\n")
        let snapshot = try makeRegistry(collectors: ["sockstat"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.success("sockstat") == 0)
    }
}
