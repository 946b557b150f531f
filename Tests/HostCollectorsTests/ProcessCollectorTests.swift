import HostCollectors
import MetricsCore
import Testing

@Suite struct ProcessCollectorTests {
    @Test func exposesTheProcessMetricsOfTheFixture() throws {
        let snapshot = try makeRegistry(collectors: [], options: Fixtures.options(), process: true).collect()
        #expect(snapshot.value("process_cpu_seconds_total") == 2.25)
        #expect(snapshot.value("process_resident_memory_bytes") == 18_706_432)
        #expect(snapshot.value("process_virtual_memory_bytes") == 268_435_456)
        #expect(snapshot.value("process_virtual_memory_max_bytes") == Double(UInt64.max))
        #expect(snapshot.value("process_open_fds") == 4)
        #expect(snapshot.value("process_max_fds") == 1024)
        #expect(snapshot.value("process_start_time_seconds") == 1_700_123_456.78)
        #expect(snapshot.family(sample: "process_cpu_seconds_total")?.descriptor.type == .counter)
        // Not a node collector: no status series.
        #expect(snapshot.family(sample: "node_scrape_collector_success") == nil)
        #expect(snapshot.producerResults.map(\.name) == ["process"])
    }

    @Test func theStartTimeIsReadOnce() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(
            collectors: [], options: Fixtures.options(directory: tree.directory), process: true)
        #expect(registry.collect().value("process_start_time_seconds") == 1_700_123_456.78)
        try tree.write("proc/stat", "cpu  1 0 0 1 0 0 0 0 0 0\nbtime 1\n")
        #expect(registry.collect().value("process_start_time_seconds") == 1_700_123_456.78)
    }

    @Test func theDescriptorCountFollowsTheDirectory() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(
            collectors: [], options: Fixtures.options(directory: tree.directory), process: true)
        #expect(registry.collect().value("process_open_fds") == 4)
        try tree.write("proc/self/fd/4", "")
        try tree.write("proc/self/fd/5", "")
        #expect(registry.collect().value("process_open_fds") == 6)
        try tree.remove("proc/self/fd/0")
        #expect(registry.collect().value("process_open_fds") == 5)
    }

    @Test func aFiniteAddressSpaceLimitIsReported() throws {
        let tree = try FixtureCopy()
        try tree.write(
            "proc/self/limits",
            """
            Limit                     Soft Limit           Hard Limit           Units
            Max open files            4096                 8192                 files
            Max address space         1073741824           unlimited            bytes

            """)
        let snapshot = try makeRegistry(
            collectors: [], options: Fixtures.options(directory: tree.directory), process: true
        ).collect()
        #expect(snapshot.value("process_virtual_memory_max_bytes") == 1_073_741_824)
        #expect(snapshot.value("process_max_fds") == 4096)
    }

    @Test func anUnreadableFileDropsTheProcessMetrics() throws {
        let tree = try FixtureCopy()
        try tree.remove("proc/self/limits")
        let snapshot = try makeRegistry(
            collectors: ["loadavg"], options: Fixtures.options(directory: tree.directory), process: true
        ).collect()
        #expect(snapshot.value("process_cpu_seconds_total") == nil)
        #expect(snapshot.producerResults.first { $0.name == "process" }?.succeeded == false)
        #expect(snapshot.value("node_load1") == 0.52)
    }
}
