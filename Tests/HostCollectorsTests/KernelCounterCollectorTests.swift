import HostCollectors
import MetricsCore
import Testing

/// The collectors of small /proc files: filefd, entropy, pressure and vmstat.
@Suite struct KernelCounterCollectorTests {
    @Test func fileFDExposesAllocatedAndMaximum() throws {
        let snapshot = try makeRegistry(collectors: ["filefd"], options: Fixtures.options()).collect()
        #expect(snapshot.value("node_filefd_allocated") == 2048)
        #expect(snapshot.value("node_filefd_maximum") == 2_500_000)
        #expect(snapshot.family(sample: "node_filefd_maximum")?.descriptor.type == .gauge)
    }

    @Test func entropyExposesAvailableBitsAndPoolSize() throws {
        let snapshot = try makeRegistry(collectors: ["entropy"], options: Fixtures.options()).collect()
        #expect(snapshot.value("node_entropy_available_bits") == 256)
        #expect(snapshot.value("node_entropy_pool_size_bits") == 256)
    }

    @Test func pressureTotalsAreSecondsDividedAsNodeExporterDividesThem() throws {
        let snapshot = try makeRegistry(collectors: ["pressure"], options: Fixtures.options()).collect()
        // 978073163 µs / 1000 / 1000, which is not the double nearest 978.073163.
        #expect(snapshot.value("node_pressure_cpu_waiting_seconds_total") == 978.0731629999999)
        #expect(snapshot.value("node_pressure_io_waiting_seconds_total") == 33)
        #expect(snapshot.value("node_pressure_io_stalled_seconds_total") == 9.5)
        #expect(snapshot.value("node_pressure_memory_waiting_seconds_total") == 1.25)
        #expect(snapshot.value("node_pressure_memory_stalled_seconds_total") == 0.5)
        let pressure = snapshot.families.filter { $0.descriptor.name.hasPrefix("node_pressure_") }
        #expect(pressure.count == 5)
        #expect(pressure.allSatisfy { $0.descriptor.type == .counter && $0.descriptor.unit == "seconds" })
    }

    @Test func pressureWithoutPSIExposesNothingAndDoesNotFail() throws {
        let tree = try FixtureCopy()
        try tree.remove("proc/pressure")
        let snapshot = try makeRegistry(collectors: ["pressure"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.families.filter { $0.descriptor.name.hasPrefix("node_pressure_") }.isEmpty)
        #expect(snapshot.success("pressure") == 1)
    }

    @Test func aMalformedPressureFileFailsOnlyThatCollector() throws {
        let tree = try FixtureCopy()
        try tree.write("proc/pressure/io", "some avg10=oops\n")
        let snapshot = try makeRegistry(
            collectors: ["pressure", "filefd"], options: Fixtures.options(directory: tree.directory)
        ).collect()
        #expect(snapshot.success("pressure") == 0)
        #expect(snapshot.value("node_pressure_cpu_waiting_seconds_total") == nil)
        #expect(snapshot.success("filefd") == 1)
    }

    @Test(arguments: ["proc/sys/fs/file-nr", "proc/sys/kernel/random"])
    func aMissingSourceExposesNothingAndDoesNotFail(path: String) throws {
        let tree = try FixtureCopy()
        try tree.remove(path)
        let snapshot = try makeRegistry(
            collectors: ["filefd", "entropy"], options: Fixtures.options(directory: tree.directory)
        ).collect()
        #expect(snapshot.success("filefd") == 1)
        #expect(snapshot.success("entropy") == 1)
        #expect((snapshot.value("node_filefd_allocated") == nil) == (path == "proc/sys/fs/file-nr"))
        #expect((snapshot.value("node_entropy_available_bits") == nil) == (path == "proc/sys/kernel/random"))
    }

    @Test func vmstatExposesTheDefaultFieldsUntyped() throws {
        let snapshot = try makeRegistry(collectors: ["vmstat"], options: Fixtures.options()).collect()
        let vmstat = snapshot.families.filter { $0.descriptor.name.hasPrefix("node_vmstat_") }
        #expect(
            vmstat.map(\.descriptor.name) == [
                "node_vmstat_oom_kill", "node_vmstat_pgfault", "node_vmstat_pgmajfault", "node_vmstat_pgpgin",
                "node_vmstat_pgpgout", "node_vmstat_pswpin", "node_vmstat_pswpout",
            ])
        #expect(vmstat.allSatisfy { $0.descriptor.type == .untyped })
        #expect(snapshot.value("node_vmstat_pgmajfault") == 8000)
        #expect(snapshot.value("node_vmstat_pgfault") == 34_700_000)
        #expect(snapshot.value("node_vmstat_oom_kill") == 1)
        #expect(snapshot.value("node_vmstat_pswpout") == 480)
        #expect(
            snapshot.family(sample: "node_vmstat_pgmajfault")?.descriptor.help
                == "/proc/vmstat information field pgmajfault.")
    }

    @Test(arguments: [
        ("^nr_", ["node_vmstat_nr_dirty", "node_vmstat_nr_free_pages", "node_vmstat_nr_mlock"]),
        ("fault", ["node_vmstat_numa_hint_faults", "node_vmstat_pgfault", "node_vmstat_pgmajfault"]),
        ("^pgmajfault$", ["node_vmstat_pgmajfault"]),
    ])
    func theFieldPatternChoosesTheFields(pattern: String, expected: [String]) throws {
        var options = Fixtures.options()
        options.vmstatFields = pattern
        let snapshot = try makeRegistry(collectors: ["vmstat"], options: options).collect()
        let names = snapshot.families.map(\.descriptor.name).filter { $0.hasPrefix("node_vmstat_") }
        #expect(names.filter { expected.contains($0) } == expected)
        #expect(
            names.allSatisfy { name in
                let field = String(name.dropFirst("node_vmstat_".count))
                return pattern == "^nr_" ? field.hasPrefix("nr_") : expected.contains(name) || field.contains("fault")
            })
    }

    @Test func anInvalidFieldPatternIsRefusedNamingTheFlag() throws {
        var options = Fixtures.options()
        options.vmstatFields = "pg(fault"
        #expect {
            try makeRegistry(collectors: ["vmstat"], options: options)
        } throws: { error in
            guard case .invalidPattern(let flag, _, _) = error as? HostCollectorError else { return false }
            return flag == "--collector.vmstat.fields"
        }
    }

    @Test func aVMStatFieldThatAppearsLaterIsExposedFromTheNextCollection() throws {
        let tree = try FixtureCopy()
        try tree.write("proc/vmstat", "nr_free_pages 1\npgfault 10\n")
        let registry = try makeRegistry(collectors: ["vmstat"], options: Fixtures.options(directory: tree.directory))
        #expect(registry.collect().value("node_vmstat_pgfault") == 10)

        try tree.write("proc/vmstat", "nr_free_pages 1\npgfault 11\npgmajfault 2\n")
        let first = registry.collect()
        #expect(first.value("node_vmstat_pgfault") == 11)
        #expect(first.value("node_vmstat_pgmajfault") == nil)
        let second = registry.collect()
        #expect(second.value("node_vmstat_pgmajfault") == 2)
        #expect(second.value("node_vmstat_nr_free_pages") == nil)

        try tree.write("proc/vmstat", "pgfault 12\n")
        let third = registry.collect()
        #expect(third.value("node_vmstat_pgfault") == 12)
        #expect(third.value("node_vmstat_pgmajfault") == nil)
    }

    @Test func aMalformedVMStatFailsTheCollector() throws {
        let tree = try FixtureCopy()
        try tree.write("proc/vmstat", "pgfault 10\nnr_free_pages\n")
        let snapshot = try makeRegistry(collectors: ["vmstat"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.success("vmstat") == 0)
        #expect(snapshot.value("node_vmstat_pgfault") == nil)
    }
}

/// The schedstat collector over the fixture's two CPUs.
@Suite struct SchedStatCollectorTests {
    @Test func exposesSecondsAndTimeslicesPerCPU() throws {
        let snapshot = try makeRegistry(collectors: ["schedstat"], options: Fixtures.options()).collect()
        #expect(snapshot.value("node_schedstat_running_seconds_total", ["cpu": "0"]) == 2500)
        #expect(snapshot.value("node_schedstat_running_seconds_total", ["cpu": "1"]) == 2250.5)
        #expect(snapshot.value("node_schedstat_waiting_seconds_total", ["cpu": "0"]) == 120)
        #expect(snapshot.value("node_schedstat_waiting_seconds_total", ["cpu": "1"]) == 135.25)
        #expect(snapshot.value("node_schedstat_timeslices_total", ["cpu": "0"]) == 5_000_000)
        #expect(snapshot.value("node_schedstat_timeslices_total", ["cpu": "1"]) == 4_500_000)
        let families = snapshot.families.filter { $0.descriptor.name.hasPrefix("node_schedstat_") }
        #expect(families.count == 3 && families.allSatisfy { $0.descriptor.type == .counter })
    }

    @Test func withoutSchedstatsExposesNothingAndDoesNotFail() throws {
        let tree = try FixtureCopy()
        try tree.remove("proc/schedstat")
        let snapshot = try makeRegistry(collectors: ["schedstat"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.families.filter { $0.descriptor.name.hasPrefix("node_schedstat_") }.isEmpty)
        #expect(snapshot.success("schedstat") == 1)
    }

    @Test func aCPUThatComesOnlineIsExposed() throws {
        let tree = try FixtureCopy()
        try tree.write("proc/schedstat", "cpu0 0 0 0 0 0 0 1000000000 0 1\n")
        let registry = try makeRegistry(
            collectors: ["schedstat"], options: Fixtures.options(directory: tree.directory))
        #expect(registry.collect().labelValues("node_schedstat_timeslices_total", "cpu") == ["0"])
        try tree.write("proc/schedstat", "cpu0 0 0 0 0 0 0 2000000000 0 2\ncpu2 0 0 0 0 0 0 1 0 3\n")
        let snapshot = registry.collect()
        #expect(snapshot.labelValues("node_schedstat_timeslices_total", "cpu") == ["0", "2"])
        #expect(snapshot.value("node_schedstat_running_seconds_total", ["cpu": "0"]) == 2)
    }
}
