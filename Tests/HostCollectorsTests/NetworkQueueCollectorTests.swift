import HostCollectors
import MetricsCore
import Testing

/// The collectors of one gauge or counter family each: softnet, udp_queues, arp and conntrack.
@Suite struct NetworkQueueCollectorTests {
    @Test func softnetReportsEachCPUsCounters() throws {
        let snapshot = try makeRegistry(collectors: ["softnet"], options: Fixtures.options()).collect()
        for (name, values) in [
            ("node_softnet_processed_total", [100_000.0, 200_000]), ("node_softnet_dropped_total", [12, 0]),
            ("node_softnet_times_squeezed_total", [34, 7]),
        ] {
            let family = try #require(snapshot.family(sample: name))
            #expect(family.descriptor.type == .counter)
            #expect(family.labelSets.map(\.dictionary) == [["cpu": "0"], ["cpu": "1"]])
            #expect(family.values == values, "\(name)")
        }
    }

    @Test func softnetLabelsCPUsByTheKernelsNumber() throws {
        let tree = try FixtureCopy()
        let zeros = Array(repeating: "00000000", count: 9)
        let lines = [2, 10, 3].map { cpu in
            (["00000001", "00000000", "00000000"] + zeros + [String(cpu, radix: 16), "0", "0"]).joined(separator: " ")
        }
        try tree.write("proc/net/softnet_stat", lines.joined(separator: "\n") + "\n")
        let snapshot = try makeRegistry(collectors: ["softnet"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.labelValues("node_softnet_processed_total", "cpu") == ["10", "2", "3"])
    }

    @Test func udpQueuesSumEachAddressFamily() throws {
        let snapshot = try makeRegistry(collectors: ["udp_queues"], options: Fixtures.options()).collect()
        let family = try #require(snapshot.family(sample: "node_udp_queues"))
        #expect(family.descriptor.type == .gauge)
        #expect(
            family.labelSets.map(\.dictionary) == [
                ["ip": "v4", "queue": "rx"], ["ip": "v4", "queue": "tx"], ["ip": "v6", "queue": "rx"],
                ["ip": "v6", "queue": "tx"],
            ])
        #expect(family.values == [5376, 512, 2048, 256])
    }

    @Test func udpQueuesLeaveOutAMissingFile() throws {
        let tree = try FixtureCopy()
        try tree.remove("proc/net/udp6")
        let registry = try makeRegistry(
            collectors: ["udp_queues"], options: Fixtures.options(directory: tree.directory))
        let snapshot = registry.collect()
        #expect(snapshot.success("udp_queues") == 1)
        #expect(snapshot.labelValues("node_udp_queues", "ip") == ["v4", "v4"])
        try tree.write("proc/net/udp", "header\n  0: 00000000:0016\n")
        #expect(registry.collect().success("udp_queues") == 0)
    }

    @Test(
        arguments: [
            (nil, nil, ["docker0", "eth0"], [1.0, 3]),
            ("^docker", nil, ["eth0"], [3]),
            (nil, "^docker", ["docker0"], [1]),
        ] as [(String?, String?, [String], [Double])])
    func arpCountsTheEntriesOfEachInterface(
        exclude: String?, include: String?, devices: [String], values: [Double]
    )
        throws
    {
        var options = Fixtures.options()
        options.arpDeviceExclude = exclude
        options.arpDeviceInclude = include
        let snapshot = try makeRegistry(collectors: ["arp"], options: options).collect()
        let family = try #require(snapshot.family(sample: "node_arp_entries"))
        #expect(family.descriptor.type == .gauge)
        #expect(snapshot.labelValues("node_arp_entries", "device") == devices)
        #expect(family.values == values)
    }

    @Test func conntrackReportsTheTableAndItsStatistics() throws {
        let snapshot = try makeRegistry(collectors: ["conntrack"], options: Fixtures.options()).collect()
        let expected: [String: Double] = [
            "node_nf_conntrack_entries": 33, "node_nf_conntrack_entries_limit": 262_144,
            "node_nf_conntrack_stat_found": 15, "node_nf_conntrack_stat_invalid": 5,
            "node_nf_conntrack_stat_ignore": 44846, "node_nf_conntrack_stat_insert": 150,
            "node_nf_conntrack_stat_insert_failed": 1, "node_nf_conntrack_stat_drop": 1,
            "node_nf_conntrack_stat_early_drop": 0, "node_nf_conntrack_stat_search_restart": 3,
        ]
        let families = snapshot.families.filter { $0.descriptor.name.hasPrefix("node_nf_conntrack") }
        #expect(families.allSatisfy { $0.descriptor.type == .gauge && $0.labelSets == [.empty] })
        #expect(
            Dictionary(uniqueKeysWithValues: families.map { ($0.descriptor.name, $0.values.first ?? .nan) })
                == expected)
    }

    @Test func conntrackWithoutTheModuleReportsNothingAndSucceeds() throws {
        let tree = try FixtureCopy()
        try tree.remove("proc/net/stat/nf_conntrack")
        let registry = try makeRegistry(collectors: ["conntrack"], options: Fixtures.options(directory: tree.directory))
        let withoutStatistics = registry.collect()
        #expect(withoutStatistics.success("conntrack") == 1)
        #expect(
            withoutStatistics.families.map(\.descriptor.name).filter { $0.hasPrefix("node_nf_") } == [
                "node_nf_conntrack_entries", "node_nf_conntrack_entries_limit",
            ])
        try tree.remove("proc/sys/net/netfilter/nf_conntrack_count")
        try tree.remove("proc/sys/net/netfilter/nf_conntrack_max")
        let withoutModule = registry.collect()
        #expect(withoutModule.success("conntrack") == 1)
        #expect(!withoutModule.families.contains { $0.descriptor.name.hasPrefix("node_nf_") })
        try tree.write("proc/sys/net/netfilter/nf_conntrack_count", "lots\n")
        #expect(registry.collect().success("conntrack") == 0)
    }
}
