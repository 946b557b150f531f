import HostCollectors
import MetricsCore
import Testing

@Suite struct TimeCollectorTests {
    @Test func exposesTheClockTheZoneAndTheClocksources() throws {
        let snapshot = try makeRegistry(collectors: ["time"], options: Fixtures.options()).collect()
        #expect(snapshot.value("node_time_seconds") == 1_700_000_000.5)
        #expect(snapshot.value("node_time_zone_offset_seconds", ["time_zone": "CET"]) == 3600)
        #expect(
            snapshot.labels("node_time_clocksource_available_info") == [
                ["clocksource": "acpi_pm", "device": "0"], ["clocksource": "kvm-clock", "device": "0"],
                ["clocksource": "tsc", "device": "0"],
            ])
        #expect(snapshot.family(sample: "node_time_clocksource_available_info")?.values == [1, 1, 1])
        #expect(snapshot.value("node_time_clocksource_current_info", ["clocksource": "kvm-clock", "device": "0"]) == 1)
        #expect(snapshot.families.filter { $0.descriptor.name.hasPrefix("node_time_") }.count == 4)
    }

    @Test func devicesAreNumberedByTheirSortedPositionAsNodeExporterDoes() throws {
        let tree = try FixtureCopy()
        let base = "sys/devices/system/clocksource/"
        try tree.write(base + "clocksource10/available_clocksource", "hpet\n")
        try tree.write(base + "clocksource10/current_clocksource", "hpet\n")
        try tree.write(base + "clocksource2/available_clocksource", "acpi_pm\n")
        try tree.write(base + "clocksource2/current_clocksource", "acpi_pm\n")
        try tree.write(base + "power/available_clocksource", "ignored\n")
        let snapshot = try makeRegistry(collectors: ["time"], options: Fixtures.options(directory: tree.directory))
            .collect()
        // clocksource0, clocksource10, clocksource2 in bytewise order.
        #expect(
            snapshot.labels("node_time_clocksource_current_info") == [
                ["clocksource": "acpi_pm", "device": "2"], ["clocksource": "hpet", "device": "1"],
                ["clocksource": "kvm-clock", "device": "0"],
            ])
    }

    @Test func aChangedCurrentClocksourceIsExposed() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(collectors: ["time"], options: Fixtures.options(directory: tree.directory))
        #expect(registry.collect().labelValues("node_time_clocksource_current_info", "clocksource") == ["kvm-clock"])
        try tree.write("sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc\n")
        #expect(registry.collect().labelValues("node_time_clocksource_current_info", "clocksource") == ["tsc"])
    }

    @Test func withoutClocksourcesOnlyTheClockIsExposed() throws {
        let tree = try FixtureCopy()
        try tree.remove("sys/devices")
        let snapshot = try makeRegistry(collectors: ["time"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.value("node_time_seconds") == 1_700_000_000.5)
        #expect(snapshot.family(sample: "node_time_clocksource_current_info") == nil)
        #expect(snapshot.success("time") == 1)
    }

    @Test func theSystemClockReadsTheWallClock() {
        let time = SystemRealTimeClock().now()
        // Later than 2023-11-14 and earlier than 2100.
        #expect(time.nanosecondsSinceEpoch > 1_700_000_000_000_000_000)
        #expect(time.nanosecondsSinceEpoch < 4_102_444_800_000_000_000)
        #expect(!time.timeZone.isEmpty)
    }
}
