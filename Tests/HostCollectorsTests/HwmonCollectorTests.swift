import HostCollectors
import MetricsCore
import Testing

/// The hwmon collector over `Tests/Fixtures/sys/class/hwmon`. The expected samples, family names, types and help
/// texts are what node_exporter 1.5 (`--collector.hwmon`) reports for the same tree.
@Suite struct HwmonCollectorTests {
    static let coretemp = "platform_coretemp_0"
    static let superIO = "platform_nct6775_656"
    static let powerMeter = "device:00_acpi000d:00"

    @Test func namesChipsAfterTheirDeviceAndAnnotatesTheirNames() throws {
        let snapshot = try makeRegistry(collectors: ["hwmon"], options: Fixtures.options()).collect()
        #expect(snapshot.success("hwmon") == 1)
        #expect(
            Set(snapshot.labels("node_hwmon_chip_names")) == [
                ["chip": Self.coretemp, "chip_name": "coretemp"], ["chip": Self.superIO, "chip_name": "nct6779"],
                ["chip": Self.powerMeter, "chip_name": "power_meter"],
                // No device symlink: the chip is named after its `name` file.
                ["chip": "nvme", "chip_name": "nvme"],
            ])
    }

    @Test func convertsEachSensorTypeToItsUnit() throws {
        let snapshot = try makeRegistry(collectors: ["hwmon"], options: Fixtures.options()).collect()
        func sensor(_ chip: String, _ sensor: String) -> [String: String] { ["chip": chip, "sensor": sensor] }
        let expected: [(String, [String: String], Double)] = [
            ("node_hwmon_temp_celsius", sensor(Self.coretemp, "temp1"), 45),
            ("node_hwmon_temp_crit_celsius", sensor(Self.coretemp, "temp2"), 100),
            ("node_hwmon_temp_max_celsius", sensor(Self.coretemp, "temp3"), 84),
            // node_exporter gives `crit_alarm` the temperature unit; only a plain `alarm` has none.
            ("node_hwmon_temp_crit_alarm_celsius", sensor(Self.coretemp, "temp1"), 0),
            ("node_hwmon_temp_min_celsius", sensor("nvme", "temp1"), -273.15000000000003),
            ("node_hwmon_temp_alarm", sensor("nvme", "temp1"), 0),
            // temp2 has both `temp2` and `temp2_input`: the first is the plain family, the second `_input`.
            ("node_hwmon_temp_celsius", sensor("nvme", "temp2"), 30),
            ("node_hwmon_temp_input_celsius", sensor("nvme", "temp2"), 31),
            ("node_hwmon_temp_type", sensor(Self.superIO, "temp7"), 4),
            ("node_hwmon_in_volts", sensor(Self.superIO, "in0"), 1.032),
            ("node_hwmon_in_max_volts", sensor(Self.superIO, "in0"), 1.744),
            ("node_hwmon_in_alarm", sensor(Self.superIO, "in0"), 0),
            ("node_hwmon_in_beep_enabled", sensor(Self.superIO, "in0"), 0),
            ("node_hwmon_cpu_vid_volts", sensor(Self.superIO, "cpu0"), 1.1),
            ("node_hwmon_fan_rpm", sensor(Self.superIO, "fan1"), 1200),
            ("node_hwmon_fan_min_rpm", sensor(Self.superIO, "fan1"), 300),
            ("node_hwmon_fan_pulses", sensor(Self.superIO, "fan1"), 2),
            ("node_hwmon_pwm", sensor(Self.superIO, "pwm1"), 128),
            ("node_hwmon_pwm_enable", sensor(Self.superIO, "pwm1"), 5),
            ("node_hwmon_beep_enabled", sensor(Self.superIO, "beep_enable0"), 0),
            ("node_hwmon_intrusion_alarm", sensor(Self.superIO, "intrusion0"), 1),
            ("node_hwmon_power_average_watt", sensor(Self.powerMeter, "power1"), 120.5),
            ("node_hwmon_power_average_interval_seconds", sensor(Self.powerMeter, "power1"), 1),
            ("node_hwmon_power_accuracy", sensor(Self.powerMeter, "power1"), 0.095),
            ("node_hwmon_energy_joule_total", sensor(Self.powerMeter, "energy1"), 3600),
            ("node_hwmon_curr_amps", sensor(Self.powerMeter, "curr1"), 1.5),
            ("node_hwmon_humidity", sensor(Self.powerMeter, "humidity1"), 0.045),
            ("node_hwmon_update_interval_seconds", sensor(Self.powerMeter, "update_interval0"), 2),
        ]
        for (name, labels, value) in expected {
            #expect(snapshot.value(name, labels) == value, "\(name)\(labels)")
        }
        #expect(snapshot.family(sample: "node_hwmon_energy_joule_total")?.descriptor.type == .counter)
        #expect(snapshot.family(sample: "node_hwmon_temp_celsius")?.descriptor.type == .gauge)
        #expect(
            snapshot.family(sample: "node_hwmon_temp_celsius")?.descriptor.help
                == "Hardware monitor for temperature (input)")
        #expect(snapshot.labels("node_hwmon_temp_celsius").count == 6)
    }

    @Test func labelsSensors() throws {
        let snapshot = try makeRegistry(collectors: ["hwmon"], options: Fixtures.options()).collect()
        #expect(
            snapshot.value(
                "node_hwmon_sensor_label", ["chip": Self.coretemp, "sensor": "temp1", "label": "Package id 0"])
                == 1)
        #expect(
            snapshot.value("node_hwmon_sensor_label", ["chip": Self.superIO, "sensor": "in0", "label": "Vcore"]) == 1)
        #expect(snapshot.labels("node_hwmon_sensor_label").count == 5)
    }

    @Test func aChipThatAppearsLaterIsExposedFromTheFollowingCollection() throws {
        let tree = try FixtureCopy()
        try tree.remove("sys/class/hwmon/hwmon2")
        let registry = try makeRegistry(collectors: ["hwmon"], options: Fixtures.options(directory: tree.directory))
        #expect(registry.collect().family(sample: "node_hwmon_power_average_watt") == nil)
        try tree.link("sys/class/hwmon/hwmon2", to: "../../devices/LNXSYSTM:00/device:00/ACPI000D:00/hwmon/hwmon2")
        // The collection that discovers the chip creates its new families; the next one exposes them.
        let discovering = registry.collect()
        #expect(discovering.success("hwmon") == 1)
        #expect(discovering.labelValues("node_hwmon_chip_names", "chip").contains(Self.powerMeter))
        #expect(discovering.family(sample: "node_hwmon_power_average_watt") == nil)
        let next = registry.collect()
        #expect(next.value("node_hwmon_power_average_watt", ["chip": Self.powerMeter, "sensor": "power1"]) == 120.5)
    }

    @Test func unreadableOrNonNumericSensorFilesAreLeftOut() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(collectors: ["hwmon"], options: Fixtures.options(directory: tree.directory))
        try tree.write("sys/devices/platform/coretemp.0/hwmon/hwmon0/temp1_input", "N/A\n")
        try tree.remove("sys/devices/platform/coretemp.0/hwmon/hwmon0/temp2_input")
        let snapshot = registry.collect()
        #expect(snapshot.success("hwmon") == 1)
        #expect(snapshot.labelValues("node_hwmon_temp_celsius", "chip").filter { $0 == Self.coretemp }.count == 1)
    }

    @Test func aHostWithoutHwmonExposesNothing() throws {
        let tree = try FixtureCopy()
        try tree.remove("sys/class/hwmon")
        let snapshot = try makeRegistry(collectors: ["hwmon"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.success("hwmon") == 1)
        #expect(!snapshot.families.contains { $0.descriptor.name.hasPrefix("node_hwmon_") })
    }
}
