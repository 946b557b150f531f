import HostCollectors
import MetricsCore
import Testing

/// The powersupplyclass collector over `Tests/Fixtures/sys/class/power_supply`. The expected samples are what
/// node_exporter 1.5 (`--collector.powersupplyclass`) reports for the same tree.
@Suite struct PowerSupplyClassCollectorTests {
    @Test func exposesTheNumericAttributesInBaseUnits() throws {
        let snapshot = try makeRegistry(collectors: ["powersupplyclass"], options: Fixtures.options()).collect()
        #expect(snapshot.success("powersupplyclass") == 1)
        let battery = ["power_supply": "BAT0"]
        let expected: [(String, Double)] = [
            ("node_power_supply_capacity", 98), ("node_power_supply_cyclecount", 120),
            ("node_power_supply_energy_full", 50), ("node_power_supply_energy_full_design", 48),
            ("node_power_supply_energy_watthour", 49), ("node_power_supply_power_watt", 4.8),
            ("node_power_supply_present", 1), ("node_power_supply_temp_celsius", 30.5),
            ("node_power_supply_voltage_min_design", 10.8), ("node_power_supply_voltage_volt", 12.2),
        ]
        for (name, value) in expected {
            #expect(snapshot.value(name, battery) == value, "\(name)")
        }
        #expect(snapshot.value("node_power_supply_online", ["power_supply": "AC"]) == 1)
        #expect(snapshot.labelValues("node_power_supply_capacity", "power_supply") == ["BAT0"])
        // `alarm` is not one of node_exporter's attributes.
        #expect(!snapshot.families.contains { $0.descriptor.name == "node_power_supply_alarm" })
    }

    @Test func infoCarriesOnlyTheNonEmptyTextAttributes() throws {
        let snapshot = try makeRegistry(collectors: ["powersupplyclass"], options: Fixtures.options()).collect()
        #expect(snapshot.value("node_power_supply_info", ["power_supply": "AC", "type": "Mains"]) == 1)
        // BAT0's charge_type is empty, so it is not a label.
        #expect(
            snapshot.value(
                "node_power_supply_info",
                [
                    "power_supply": "BAT0", "capacity_level": "Normal", "manufacturer": "ACME",
                    "model_name": "BAT-45N1", "serial_number": "00001", "status": "Discharging",
                    "technology": "Li-ion", "type": "Battery",
                ]) == 1)
    }

    @Test func aChangedStatusAndARemovedAttributeShowInTheNextCollection() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(
            collectors: ["powersupplyclass"], options: Fixtures.options(directory: tree.directory))
        _ = registry.collect()
        let battery = "sys/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0C0A:00/power_supply/BAT0"
        try tree.write(battery + "/status", "Charging\n")
        try tree.remove(battery + "/power_now")
        let snapshot = registry.collect()
        #expect(snapshot.labels("node_power_supply_info").contains { $0["status"] == "Charging" })
        #expect(snapshot.family(sample: "node_power_supply_power_watt") == nil)
    }

    @Test func ignoredSuppliesAreLeftOut() throws {
        var options = Fixtures.options()
        options.powerSupplyIgnoredSupplies = "^AC$"
        let snapshot = try makeRegistry(collectors: ["powersupplyclass"], options: options).collect()
        #expect(snapshot.labelValues("node_power_supply_info", "power_supply") == ["BAT0"])
    }

    @Test func aMalformedNumberFailsTheCollector() throws {
        let tree = try FixtureCopy()
        try tree.write("sys/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0C0A:00/power_supply/BAT0/voltage_now", "12.2\n")
        let snapshot = try makeRegistry(
            collectors: ["powersupplyclass"], options: Fixtures.options(directory: tree.directory)
        ).collect()
        #expect(snapshot.success("powersupplyclass") == 0)
    }

    @Test func aHostWithoutPowerSuppliesExposesNothing() throws {
        let tree = try FixtureCopy()
        try tree.remove("sys/class/power_supply")
        let snapshot = try makeRegistry(
            collectors: ["powersupplyclass"], options: Fixtures.options(directory: tree.directory)
        ).collect()
        #expect(snapshot.success("powersupplyclass") == 1)
        #expect(snapshot.family(sample: "node_power_supply_info") == nil)
    }
}
