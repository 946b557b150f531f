import HostCollectors
import MetricsCore
import Testing

/// The netclass and bonding collectors over `Tests/Fixtures/sys/class/net`. The expected samples are what
/// node_exporter 1.5 (`--collector.netclass --collector.bonding`) reports for the same tree.
@Suite struct NetClassCollectorTests {
    static let devices = ["bond0", "docker0", "eth0", "eth1", "eth2", "lo", "veth1a2b3c4"]

    @Test func exposesTheAttributesOfEveryInterface() throws {
        let snapshot = try makeRegistry(collectors: ["netclass"], options: Fixtures.options()).collect()
        #expect(snapshot.success("netclass") == 1)
        let eth0 = ["device": "eth0"]
        let expected: [(String, Double)] = [
            ("node_network_address_assign_type", 0), ("node_network_carrier", 1),
            ("node_network_carrier_changes_total", 2), ("node_network_carrier_up_changes_total", 1),
            ("node_network_carrier_down_changes_total", 1), ("node_network_device_id", 0), ("node_network_dormant", 0),
            ("node_network_flags", 4099), ("node_network_iface_id", 2), ("node_network_iface_link", 2),
            ("node_network_iface_link_mode", 0), ("node_network_mtu_bytes", 1500),
            ("node_network_name_assign_type", 4), ("node_network_net_dev_group", 0),
            ("node_network_speed_bytes", -125000), ("node_network_transmit_queue_length", 1000),
            ("node_network_protocol_type", 1), ("node_network_up", 1),
        ]
        for (name, value) in expected {
            #expect(snapshot.value(name, eth0) == value, "\(name)")
        }
        #expect(snapshot.family(sample: "node_network_carrier_changes_total")?.descriptor.type == .counter)
        #expect(snapshot.family(sample: "node_network_flags")?.descriptor.type == .gauge)
        #expect(snapshot.labelValues("node_network_up", "device") == Self.devices)
        #expect(snapshot.value("node_network_up", ["device": "lo"]) == 0)
        #expect(snapshot.value("node_network_protocol_type", ["device": "lo"]) == 772)
        #expect(snapshot.value("node_network_flags", ["device": "bond0"]) == 5123)
        #expect(snapshot.value("node_network_speed_bytes", ["device": "veth1a2b3c4"]) == 1_250_000_000)
        #expect(snapshot.value("node_network_iface_link", ["device": "veth1a2b3c4"]) == 8)
    }

    @Test func leavesOutAttributesAnInterfaceDoesNotHave() throws {
        let snapshot = try makeRegistry(collectors: ["netclass"], options: Fixtures.options()).collect()
        // lo has no name_assign_type (the kernel answers EINVAL), docker0 (down) no carrier, dormant or speed, eth2
        // (down) no speed.
        #expect(!snapshot.labelValues("node_network_name_assign_type", "device").contains("lo"))
        #expect(
            snapshot.labelValues("node_network_carrier", "device") == [
                "bond0", "eth0", "eth1", "eth2", "lo", "veth1a2b3c4",
            ])
        #expect(snapshot.labelValues("node_network_speed_bytes", "device") == ["bond0", "eth0", "eth1", "veth1a2b3c4"])
    }

    @Test func infoCarriesTheTextAttributes() throws {
        let snapshot = try makeRegistry(collectors: ["netclass"], options: Fixtures.options()).collect()
        #expect(
            snapshot.value(
                "node_network_info",
                [
                    "device": "eth0", "address": "52:54:00:12:34:56", "broadcast": "ff:ff:ff:ff:ff:ff",
                    "duplex": "unknown", "ifalias": "WAN uplink", "operstate": "up",
                ]) == 1)
        #expect(
            snapshot.value(
                "node_network_info",
                [
                    "device": "lo", "address": "00:00:00:00:00:00", "broadcast": "00:00:00:00:00:00", "duplex": "",
                    "ifalias": "", "operstate": "unknown",
                ]) == 1)
        #expect(snapshot.labels("node_network_info").count == Self.devices.count)
    }

    @Test func ignoredDevicesAndInvalidSpeedOptions() throws {
        var options = Fixtures.options()
        options.netClassIgnoredDevices = "^(lo|veth.*)$"
        options.netClassIgnoreInvalidSpeed = true
        let snapshot = try makeRegistry(collectors: ["netclass"], options: options).collect()
        #expect(snapshot.labelValues("node_network_up", "device") == ["bond0", "docker0", "eth0", "eth1", "eth2"])
        #expect(snapshot.labelValues("node_network_speed_bytes", "device") == ["bond0", "eth1"])
    }

    @Test func changedAttributesAndVanishedInterfacesShowInTheNextCollection() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(collectors: ["netclass"], options: Fixtures.options(directory: tree.directory))
        #expect(registry.collect().value("node_network_up", ["device": "eth2"]) == 0)
        try tree.write("sys/devices/pci0000:00/0000:00:05.0/net/eth2/operstate", "up\n")
        try tree.remove("sys/class/net/veth1a2b3c4")
        let changed = registry.collect()
        #expect(changed.value("node_network_up", ["device": "eth2"]) == 1)
        #expect(changed.labels("node_network_info").contains { $0["device"] == "eth2" && $0["operstate"] == "up" })
        #expect(!changed.labelValues("node_network_up", "device").contains("veth1a2b3c4"))
    }

    @Test func aHostWithoutTheClassExposesNothing() throws {
        let tree = try FixtureCopy()
        try tree.remove("sys/class")
        let snapshot = try makeRegistry(
            collectors: ["netclass", "bonding"], options: Fixtures.options(directory: tree.directory)
        ).collect()
        #expect(snapshot.success("netclass") == 1)
        #expect(snapshot.success("bonding") == 1)
        #expect(snapshot.family(sample: "node_network_up") == nil)
        #expect(snapshot.family(sample: "node_bonding_slaves") == nil)
    }

    @Test func countsBondingSlavesAndActiveOnes() throws {
        let snapshot = try makeRegistry(collectors: ["bonding"], options: Fixtures.options()).collect()
        #expect(snapshot.success("bonding") == 1)
        #expect(snapshot.value("node_bonding_slaves", ["master": "bond0"]) == 2)
        #expect(snapshot.value("node_bonding_active", ["master": "bond0"]) == 1)
    }

    @Test func anUnreadableSlaveFailsTheBondingCollector() throws {
        let tree = try FixtureCopy()
        try tree.write("sys/devices/virtual/net/bond0/bonding/slaves", "eth1 eth2 eth9\n")
        let snapshot = try makeRegistry(collectors: ["bonding"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.success("bonding") == 0)
    }

    @Test func receiveNoHandlerComesFromSysfsForDevicesThatHaveIt() throws {
        let snapshot = try makeRegistry(collectors: ["netdev"], options: Fixtures.options()).collect()
        // veth1a2b3c4 has no statistics/rx_nohandler in the fixture.
        #expect(snapshot.labelValues("node_network_receive_nohandler_total", "device") == ["docker0", "eth0", "lo"])
        #expect(snapshot.value("node_network_receive_nohandler_total", ["device": "eth0"]) == 7)
        #expect(snapshot.family(sample: "node_network_receive_nohandler_total")?.descriptor.type == .counter)
    }
}
