import HostCollectors
import MetricsCore
import Testing

@Suite struct MeminfoCollectorTests {
    @Test func exposesEveryFieldOfTheFixture() throws {
        let snapshot = try makeRegistry(collectors: ["meminfo"], options: Fixtures.options()).collect()
        let memory = snapshot.families.filter { $0.descriptor.name.hasPrefix("node_memory_") }
        #expect(memory.count == 54)
        #expect(memory.allSatisfy { $0.descriptor.type == .gauge && $0.labelSets == [.empty] })
        #expect(snapshot.value("node_memory_MemTotal_bytes") == 4_125_057_024)
        #expect(snapshot.value("node_memory_MemAvailable_bytes") == 2_860_253_184)
        #expect(snapshot.value("node_memory_Active_anon_bytes") == 831_840_256)
        #expect(snapshot.value("node_memory_Inactive_file_bytes") == 1_200_553_984)
        #expect(snapshot.value("node_memory_VmallocTotal_bytes") == 35_184_372_087_808)
        #expect(snapshot.value("node_memory_HugePages_Total") == 16)
        #expect(snapshot.value("node_memory_HugePages_Free") == 12)
        #expect(snapshot.value("node_memory_HugePages_Rsvd") == 2)
        #expect(snapshot.value("node_memory_HugePages_Surp") == 0)
        #expect(snapshot.value("node_memory_Hugepagesize_bytes") == 2_097_152)
        #expect(snapshot.value("node_memory_DirectMap1G_bytes") == 2_147_483_648)
        #expect(snapshot.family(sample: "node_memory_MemTotal_bytes")?.descriptor.unit == "bytes")
        #expect(snapshot.family(sample: "node_memory_HugePages_Total")?.descriptor.unit == "")
        #expect(snapshot.family(sample: "node_memory_Active(anon)_bytes") == nil)
    }

    @Test(arguments: [
        ("MemTotal", true, "node_memory_MemTotal_bytes"),
        ("Active(anon)", true, "node_memory_Active_anon_bytes"),
        ("Inactive(file)", true, "node_memory_Inactive_file_bytes"),
        ("HugePages_Total", false, "node_memory_HugePages_Total"),
        ("Committed_AS", true, "node_memory_Committed_AS_bytes"),
    ])
    func namesFollowNodeExporter(field: String, hasUnit: Bool, expected: String) throws {
        let tree = try FixtureCopy()
        try tree.write("proc/meminfo", "\(field): 7\(hasUnit ? " kB" : "")\n")
        let snapshot = try makeRegistry(collectors: ["meminfo"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.value(expected) == (hasUnit ? 7168 : 7))
    }

    @Test func aFieldThatAppearsLaterIsExposedFromTheNextCollection() throws {
        let tree = try FixtureCopy()
        try tree.write("proc/meminfo", "MemTotal: 100 kB\n")
        let registry = try makeRegistry(
            collectors: ["meminfo"], options: Fixtures.options(directory: tree.directory))
        #expect(registry.collect().value("node_memory_MemTotal_bytes") == 102_400)

        try tree.write("proc/meminfo", "MemTotal: 100 kB\nGPUActive: 3 kB\n")
        let first = registry.collect()
        #expect(first.value("node_memory_MemTotal_bytes") == 102_400)
        #expect(first.success("meminfo") == 1)
        let second = registry.collect()
        #expect(second.value("node_memory_GPUActive_bytes") == 3072)
        #expect(second.value("node_memory_MemTotal_bytes") == 102_400)

        try tree.write("proc/meminfo", "MemTotal: 200 kB\n")
        let third = registry.collect()
        #expect(third.value("node_memory_GPUActive_bytes") == nil)
        #expect(third.value("node_memory_MemTotal_bytes") == 204_800)
    }

    @Test func aBrokenFileFailsOnlyTheMeminfoCollector() throws {
        let tree = try FixtureCopy()
        try tree.apply(scenario: "broken", "proc/meminfo")
        let registry = try makeRegistry(
            collectors: HostCollectorTable.entries.map(\.name), options: Fixtures.options(directory: tree.directory))
        let snapshot = registry.collect()
        #expect(snapshot.success("meminfo") == 0)
        for collector in ["cpu", "diskstats", "filesystem", "loadavg", "netdev", "stat"] {
            #expect(snapshot.success(collector) == 1, "collector \(collector)")
        }
        #expect(!snapshot.families.contains { $0.descriptor.name.hasPrefix("node_memory_") })
        #expect(snapshot.value("node_load1") == 0.52)
        let failure = snapshot.producerResults.first { $0.name == "meminfo" }
        #expect(failure?.error?.contains("proc/meminfo:1:") == true)
    }
}

@Suite struct LoadAvgCollectorTests {
    @Test func exposesTheThreeLoadAverages() throws {
        let snapshot = try makeRegistry(collectors: ["loadavg"], options: Fixtures.options()).collect()
        #expect(snapshot.value("node_load1") == 0.52)
        #expect(snapshot.value("node_load5") == 0.38)
        #expect(snapshot.value("node_load15") == 0.27)
        #expect(
            snapshot.families.map(\.descriptor.name).filter { $0.hasPrefix("node_") } == [
                "node_load1", "node_load15", "node_load5", "node_scrape_collector_duration_seconds",
                "node_scrape_collector_success",
            ])
        #expect(snapshot.family(sample: "node_load1")?.descriptor.type == .gauge)
    }

    @Test func aMissingFileFailsTheCollector() throws {
        let tree = try FixtureCopy()
        try tree.remove("proc/loadavg")
        let snapshot = try makeRegistry(collectors: ["loadavg"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.success("loadavg") == 0)
        #expect(snapshot.value("node_load1") == nil)
    }
}

@Suite struct StatCollectorTests {
    @Test func exposesTheKernelCounters() throws {
        let snapshot = try makeRegistry(collectors: ["stat"], options: Fixtures.options()).collect()
        #expect(snapshot.value("node_boot_time_seconds") == 1_700_000_000)
        #expect(snapshot.value("node_context_switches_total") == 38_014_093)
        #expect(snapshot.value("node_forks_total") == 26442)
        #expect(snapshot.value("node_intr_total") == 8_885_917)
        #expect(snapshot.value("node_procs_running") == 2)
        #expect(snapshot.value("node_procs_blocked") == 1)
        let types = Dictionary(
            uniqueKeysWithValues: snapshot.families.map { ($0.descriptor.name, $0.descriptor.type) })
        #expect(types["node_context_switches"] == .counter)
        #expect(types["node_forks"] == .counter)
        #expect(types["node_intr"] == .counter)
        #expect(types["node_boot_time_seconds"] == .gauge)
        #expect(types["node_procs_running"] == .gauge)
        #expect(types["node_procs_blocked"] == .gauge)
    }

    @Test func aLineTheKernelDoesNotPrintIsNotReported() throws {
        let tree = try FixtureCopy()
        try tree.write("proc/stat", "cpu  1 0 0 1 0 0 0 0 0 0\nctxt 5\n")
        let snapshot = try makeRegistry(collectors: ["stat"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.value("node_context_switches_total") == 5)
        #expect(snapshot.value("node_boot_time_seconds") == nil)
        #expect(snapshot.success("stat") == 1)
    }
}
