import HostCollectors
import MetricsCore
import Testing

@Suite struct NetDevCollectorTests {
    static let fields = [
        "receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo", "receive_frame",
        "receive_compressed", "receive_multicast", "transmit_bytes", "transmit_packets", "transmit_errs",
        "transmit_drop", "transmit_fifo", "transmit_colls", "transmit_carrier", "transmit_compressed",
    ]

    @Test func exposesTheSixteenCountersOfEveryInterface() throws {
        let snapshot = try makeRegistry(collectors: ["netdev"], options: Fixtures.options()).collect()
        // node_network_receive_nohandler_total comes from sysfs, for fewer devices (NetClassCollectorTests).
        let network = snapshot.families.filter {
            $0.descriptor.name.hasPrefix("node_network_") && $0.descriptor.name != "node_network_receive_nohandler"
        }
        #expect(
            Set(network.map { $0.descriptor.name + "_total" }) == Set(Self.fields.map { "node_network_\($0)_total" }))
        for family in network {
            #expect(family.descriptor.type == .counter)
            #expect(
                family.labelSets.map(\.dictionary) == ["docker0", "eth0", "lo", "veth1a2b3c4"].map { ["device": $0] })
        }
        let eth0 = ["device": "eth0"]
        let expected: [Double] = [60_290_958, 41235, 2, 17, 0, 1, 0, 312, 6_210_212, 30691, 0, 0, 0, 0, 0, 0]
        for (field, value) in zip(Self.fields, expected) {
            #expect(snapshot.value("node_network_\(field)_total", eth0) == value, "\(field)")
        }
        let veth = ["device": "veth1a2b3c4"]
        #expect(snapshot.value("node_network_receive_bytes_total", veth) == 1_234_567_890)
        #expect(snapshot.value("node_network_transmit_colls_total", veth) == 4)
        #expect(snapshot.value("node_network_transmit_carrier_total", veth) == 1)
        #expect(snapshot.value("node_network_transmit_drop_total", ["device": "docker0"]) == 3)
    }

    @Test func interfacesAppearAndVanishBetweenCollections() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(collectors: ["netdev"], options: Fixtures.options(directory: tree.directory))
        #expect(registry.collect().labelValues("node_network_receive_bytes_total", "device").contains("docker0"))
        try tree.apply(scenario: "devices-changed", "proc/net/dev")
        let changed = registry.collect()
        #expect(
            changed.labelValues("node_network_receive_bytes_total", "device") == [
                "eth0", "lo", "veth1a2b3c4", "wlan0",
            ])
        #expect(changed.value("node_network_transmit_bytes_total", ["device": "wlan0"]) == 250_000)
    }

    @Test(
        arguments: [
            (nil, nil, ["docker0", "eth0", "lo", "veth1a2b3c4"]),
            ("^(lo|veth.*)$", nil, ["docker0", "eth0"]),
            (nil, "^eth", ["eth0"]),
            ("o", nil, ["eth0", "veth1a2b3c4"]),
        ] as [(String?, String?, [String])])
    func excludeAndIncludePatternsSelectInterfaces(exclude: String?, include: String?, devices: [String]) throws {
        var options = Fixtures.options()
        options.netDevDeviceExclude = exclude
        options.netDevDeviceInclude = include
        let snapshot = try makeRegistry(collectors: ["netdev"], options: options).collect()
        #expect(snapshot.labelValues("node_network_receive_packets_total", "device") == devices)
    }

    @Test func aMalformedLineFailsTheCollector() throws {
        let tree = try FixtureCopy()
        try tree.write("proc/net/dev", "Inter-| Receive | Transmit\n face |bytes|bytes\n  eth0: 1 2 3\n")
        let snapshot = try makeRegistry(collectors: ["netdev"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.success("netdev") == 0)
    }
}
