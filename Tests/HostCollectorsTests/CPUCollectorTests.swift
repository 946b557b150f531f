import HostCollectors
import MetricsCore
import Testing

@Suite struct CPUCollectorTests {
    @Test func exposesEveryModeOfEveryCPUFromTheFixture() throws {
        let snapshot = try makeRegistry(collectors: ["cpu"], options: Fixtures.options()).collect()
        let modes = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"]
        #expect(
            snapshot.labels("node_cpu_seconds_total")
                == ["0", "1"].flatMap { cpu in
                    modes.map { ["cpu": cpu, "mode": $0] }
                })
        let cpu0: [String: Double] = [
            "user": 1609.27, "nice": 3.06, "system": 609.61, "idle": 44805.02, "iowait": 20, "irq": 0.01,
            "softirq": 20, "steal": 0.9,
        ]
        for (mode, seconds) in cpu0 {
            #expect(snapshot.value("node_cpu_seconds_total", ["cpu": "0", "mode": mode]) == seconds, "mode \(mode)")
        }
        #expect(snapshot.value("node_cpu_seconds_total", ["cpu": "1", "mode": "user"]) == 1409.27)
        #expect(snapshot.value("node_cpu_seconds_total", ["cpu": "1", "mode": "idle"]) == 44985.02)
        #expect(snapshot.family(sample: "node_cpu_seconds_total")?.descriptor.type == .counter)

        #expect(
            snapshot.labels("node_cpu_guest_seconds_total") == [
                ["cpu": "0", "mode": "nice"], ["cpu": "0", "mode": "user"], ["cpu": "1", "mode": "nice"],
                ["cpu": "1", "mode": "user"],
            ])
        #expect(snapshot.value("node_cpu_guest_seconds_total", ["cpu": "0", "mode": "user"]) == 0.3)
        #expect(snapshot.value("node_cpu_guest_seconds_total", ["cpu": "0", "mode": "nice"]) == 0.2)
        #expect(snapshot.value("node_cpu_guest_seconds_total", ["cpu": "1", "mode": "user"]) == 0.14)
        #expect(snapshot.value("node_cpu_guest_seconds_total", ["cpu": "1", "mode": "nice"]) == 0.16)
        #expect(snapshot.success("cpu") == 1)
    }

    @Test func guestTimeCanBeTurnedOff() throws {
        var options = Fixtures.options()
        options.cpuGuest = false
        let snapshot = try makeRegistry(collectors: ["cpu"], options: options).collect()
        #expect(snapshot.family(sample: "node_cpu_guest_seconds_total") == nil)
        #expect(snapshot.labels("node_cpu_seconds_total").count == 16)
    }

    @Test func ordersCPUsAsTheExpositionDoes() throws {
        let tree = try FixtureCopy()
        let line = "cpu%d 100 0 100 100000 0 0 0 0 0 0\n"
        var stat = "cpu  1200 0 1200 1200000 0 0 0 0 0 0\n"
        for number in 0..<12 { stat += line.replacingOccurrences(of: "%d", with: String(number)) }
        try tree.write("proc/stat", stat)
        let snapshot = try makeRegistry(collectors: ["cpu"], options: Fixtures.options(directory: tree.directory))
            .collect()
        let cpus = snapshot.labels("node_cpu_guest_seconds_total").compactMap { $0["mode"] == "user" ? $0["cpu"] : nil }
        #expect(cpus == ["0", "1", "10", "11", "2", "3", "4", "5", "6", "7", "8", "9"])
    }

    @Test func aCounterThatGoesBackwardsKeepsItsLastValue() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(collectors: ["cpu"], options: Fixtures.options(directory: tree.directory))
        _ = registry.collect()
        try tree.apply(scenario: "cpu-backwards", "proc/stat")
        let snapshot = registry.collect()
        #expect(snapshot.value("node_cpu_seconds_total", ["cpu": "0", "mode": "user"]) == 1609.27)
        #expect(snapshot.value("node_cpu_seconds_total", ["cpu": "0", "mode": "iowait"]) == 20)
        #expect(snapshot.value("node_cpu_seconds_total", ["cpu": "0", "mode": "idle"]) == 44806.02)
    }

    @Test func anIdleDropOfThreeSecondsOrMoreIsAHotplug() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(collectors: ["cpu"], options: Fixtures.options(directory: tree.directory))
        _ = registry.collect()
        try tree.apply(scenario: "cpu-hotplug", "proc/stat")
        let snapshot = registry.collect()
        #expect(snapshot.value("node_cpu_seconds_total", ["cpu": "1", "mode": "idle"]) == 44981)
        #expect(snapshot.value("node_cpu_seconds_total", ["cpu": "1", "mode": "user"]) == 1400)
        #expect(snapshot.value("node_cpu_seconds_total", ["cpu": "1", "mode": "system"]) == 500)
        #expect(snapshot.value("node_cpu_seconds_total", ["cpu": "0", "mode": "user"]) == 1609.27)
    }

    /// Idle drops below 3 s are jitter (the old values stay), from 3 s on a hot-plug (the new values are taken).
    @Test(arguments: [(299, false), (300, true), (301, true), (1, false)])
    func theHotplugThresholdIsThreeSeconds(idleDropTicks: Int, resets: Bool) throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(collectors: ["cpu"], options: Fixtures.options(directory: tree.directory))
        try tree.write("proc/stat", "cpu  1000 0 0 100000 0 0 0 0 0 0\ncpu0 1000 0 0 100000 0 0 0 0 0 0\n")
        _ = registry.collect()
        let idle = 100000 - idleDropTicks
        try tree.write("proc/stat", "cpu  900 0 0 \(idle) 0 0 0 0 0 0\ncpu0 900 0 0 \(idle) 0 0 0 0 0 0\n")
        let snapshot = registry.collect()
        #expect(snapshot.value("node_cpu_seconds_total", ["cpu": "0", "mode": "user"]) == (resets ? 9 : 10))
        #expect(
            snapshot.value("node_cpu_seconds_total", ["cpu": "0", "mode": "idle"])
                == (resets ? Double(idle) / 100 : 1000))
    }

    @Test func anOfflineCPUVanishesAndStartsOverWhenItReturns() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(collectors: ["cpu"], options: Fixtures.options(directory: tree.directory))
        #expect(registry.collect().value("node_cpu_seconds_total", ["cpu": "1", "mode": "user"]) == 1409.27)

        try tree.apply(scenario: "cpu-offline", "proc/stat")
        let offline = registry.collect()
        #expect(offline.labelValues("node_cpu_seconds_total", "cpu") == Array(repeating: "0", count: 8))
        #expect(offline.labelValues("node_cpu_guest_seconds_total", "cpu") == ["0", "0"])

        try tree.apply(scenario: "cpu-returns", "proc/stat")
        let returned = registry.collect()
        #expect(returned.value("node_cpu_seconds_total", ["cpu": "1", "mode": "user"]) == 1400)
        #expect(returned.value("node_cpu_seconds_total", ["cpu": "1", "mode": "idle"]) == 44983)
        #expect(returned.labels("node_cpu_seconds_total").count == 16)
    }

    @Test func aMissingOrBrokenStatFileFailsTheCollector() throws {
        let tree = try FixtureCopy()
        try tree.write("proc/stat", "intr 1\n")
        let snapshot = try makeRegistry(
            collectors: ["cpu", "loadavg"], options: Fixtures.options(directory: tree.directory)
        )
        .collect()
        #expect(snapshot.success("cpu") == 0)
        #expect(snapshot.success("loadavg") == 1)
        #expect(snapshot.family(sample: "node_cpu_seconds_total") == nil)
    }
}
