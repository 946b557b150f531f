import HostCollectors
import MetricsCore
import Testing

@Suite struct HostCollectorTableTests {
    static let all = [
        "arp", "bonding", "conntrack", "cpu", "cpufreq", "diskstats", "entropy", "filefd", "filesystem", "hwmon",
        "loadavg", "mdadm", "meminfo", "netclass", "netdev", "netstat", "os", "powersupplyclass", "pressure",
        "schedstat", "selinux", "sockstat", "softnet", "stat", "textfile", "thermal_zone", "time", "timex",
        "udp_queues", "uname", "vmstat",
    ]

    @Test func listsEveryCollectorAsEnabledByDefault() {
        #expect(HostCollectorTable.entries.map(\.name) == Self.all)
        #expect(HostCollectorTable.defaults.allSatisfy { $0.isEnabledByDefault })
    }

    @Test(
        arguments: [
            (false, [], all),
            (false, [("meminfo", false)], all.filter { $0 != "meminfo" }),
            (true, [], []),
            (true, [("stat", true), ("cpu", true)], ["cpu", "stat"]),
            (true, [("cpu", true), ("cpu", false)], []),
            (false, [("cpu", false), ("cpu", true)], all),
        ] as [(Bool, [(String, Bool)], [String])])
    func resolvesDefaultsAndToggles(disableDefaults: Bool, toggles: [(String, Bool)], enabled: [String]) throws {
        let resolved = try HostCollectorTable.enabledCollectors(
            disableDefaults: disableDefaults, toggles: toggles.map { CollectorToggle(name: $0.0, isEnabled: $0.1) })
        #expect(resolved == enabled)
    }

    @Test func anUnknownCollectorIsAnError() {
        #expect(throws: HostCollectorError.unknownCollector(name: "cpus", known: Self.all)) {
            try HostCollectorTable.enabledCollectors(
                disableDefaults: false, toggles: [CollectorToggle(name: "cpus", isEnabled: true)])
        }
        let error = HostCollectorError.unknownCollector(name: "cpus", known: Self.all)
        #expect(error.description.contains("\"cpus\""))
        #expect(error.description.contains("filesystem"))
        #expect(throws: HostCollectorError.self) {
            try makeRegistry(collectors: ["nosuch"], options: Fixtures.options())
        }
    }

    @Test func registersOneStatusSeriesPerCollector() throws {
        let registry = try makeRegistry(collectors: Self.all, options: Fixtures.options())
        let snapshot = registry.collect()
        #expect(snapshot.labelValues("node_scrape_collector_success", "collector") == Self.all)
        #expect(
            snapshot.family(sample: "node_scrape_collector_success")?.values
                == Array(repeating: 1, count: Self.all.count))
        #expect(snapshot.labelValues("node_scrape_collector_duration_seconds", "collector") == Self.all)
    }

    @Test func registeringTwiceOnOneRegistryFailsNamingTheCollector() throws {
        let registry = try makeRegistry(collectors: ["loadavg"], options: Fixtures.options())
        #expect(throws: HostCollectorError.self) {
            try HostCollectorTable.register(enabled: ["loadavg"], options: Fixtures.options(), registry: registry)
        }
        do {
            try HostCollectorTable.register(enabled: ["loadavg"], options: Fixtures.options(), registry: registry)
        } catch {
            guard case .registrationFailed(let collector, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(collector == "loadavg")
            #expect(reason.contains("node_load1"))
        }
    }

    @Test func twoCollectionsAtOnceAgree() async throws {
        let registry = try makeRegistry(collectors: Self.all, options: Fixtures.options(), process: true)
        async let first = Task.detached { registry.collect() }.value
        async let second = Task.detached { registry.collect() }.value
        let (a, b) = await (first, second)
        #expect(a.seriesCount == b.seriesCount)
        #expect(a.seriesCount > 200)
        #expect(a.producerResults.allSatisfy { $0.succeeded } && b.producerResults.allSatisfy { $0.succeeded })
    }
}

@Suite struct HostCollectorOptionsTests {
    @Test func theDefaultsAreValid() throws {
        let options = HostCollectorOptions()
        try options.validate()
        #expect(options.procFS.root == "/proc")
        #expect(options.sysFS.root == "/sys")
        #expect(options.rootFS == "/")
        #expect(options.udevDatabase.root == "/run/udev/data")
        #expect(options.filesystemMountTimeout == .seconds(5))
        #expect(options.filesystemStatWorkers == 4)
        #expect(options.cpuGuest)
        #expect(options.netStatFields == HostCollectorOptions.defaultNetStatFields)
        #expect(options.arpDeviceExclude == nil && options.arpDeviceInclude == nil)
        #expect(options.pageSize > 0)
    }

    /// Each case changes one or two options and expects the error that names the flag.
    @Test(arguments: [
        (
            "diskstats both",
            HostCollectorError.mutuallyExclusive(
                flag: "--collector.diskstats.device-exclude", otherFlag: "--collector.diskstats.device-include")
        ),
        (
            "mount points both",
            .mutuallyExclusive(
                flag: "--collector.filesystem.mount-points-exclude",
                otherFlag: "--collector.filesystem.mount-points-include")
        ),
        (
            "fs types both",
            .mutuallyExclusive(
                flag: "--collector.filesystem.fs-types-exclude", otherFlag: "--collector.filesystem.fs-types-include")
        ),
        (
            "netdev both",
            .mutuallyExclusive(
                flag: "--collector.netdev.device-exclude", otherFlag: "--collector.netdev.device-include")
        ),
        (
            "bad diskstats regex",
            .invalidPattern(flag: "--collector.diskstats.device-include", pattern: "(sd", reason: "")
        ),
        ("bad netdev regex", .invalidPattern(flag: "--collector.netdev.device-exclude", pattern: "[z-a]", reason: "")),
        (
            "arp both",
            .mutuallyExclusive(flag: "--collector.arp.device-exclude", otherFlag: "--collector.arp.device-include")
        ),
        ("bad netstat regex", .invalidPattern(flag: "--collector.netstat.fields", pattern: "^(Tcp_", reason: "")),
        (
            "bad fs types regex",
            .invalidPattern(
                flag: "--collector.filesystem.fs-types-exclude", pattern: "a{2,1}", reason: "")
        ),
        (
            "zero timeout",
            .invalidOption(flag: "--collector.filesystem.mount-timeout", reason: "must be greater than 0")
        ),
        ("no workers", .invalidOption(flag: "--collector.filesystem.stat-workers", reason: "must be at least 1")),
        ("empty rootfs", .invalidOption(flag: "--path.rootfs", reason: "must not be empty")),
    ])
    func invalidOptionsNameTheirFlag(change: String, expected: HostCollectorError) {
        var options = HostCollectorOptions()
        switch change {
        case "diskstats both":
            options.diskStatsDeviceExclude = "^loop"
            options.diskStatsDeviceInclude = "^sd"
        case "mount points both":
            options.filesystemMountPointsExclude = "^/dev"
            options.filesystemMountPointsInclude = "^/srv"
        case "fs types both":
            options.filesystemFSTypesExclude = "^tmpfs$"
            options.filesystemFSTypesInclude = "^ext4$"
        case "netdev both":
            options.netDevDeviceExclude = "^lo$"
            options.netDevDeviceInclude = "^eth"
        case "bad diskstats regex": options.diskStatsDeviceInclude = "(sd"
        case "bad netdev regex": options.netDevDeviceExclude = "[z-a]"
        case "arp both":
            options.arpDeviceExclude = "^docker"
            options.arpDeviceInclude = "^eth"
        case "bad netstat regex": options.netStatFields = "^(Tcp_"
        case "bad fs types regex": options.filesystemFSTypesExclude = "a{2,1}"
        case "zero timeout": options.filesystemMountTimeout = .zero
        case "no workers": options.filesystemStatWorkers = 0
        default: options.rootFS = ""
        }
        do {
            try options.validate()
            Issue.record("\(change): no error")
        } catch {
            switch (error, expected) {
            case (
                .invalidPattern(let flag, let pattern, let reason),
                .invalidPattern(let expectedFlag, let expectedPattern, _)
            ):
                #expect(flag == expectedFlag)
                #expect(pattern == expectedPattern)
                #expect(!reason.isEmpty)
                #expect(error.description.hasPrefix(expectedFlag + ": invalid regular expression"))
            default:
                #expect(error == expected)
                #expect(error.description.contains("--"))
            }
        }
    }

    @Test func anExplicitEmptyExcludeWithAnIncludeIsAllowed() throws {
        var options = HostCollectorOptions()
        options.diskStatsDeviceExclude = ""
        options.diskStatsDeviceInclude = "^sd"
        try options.validate()
    }

    @Test func anInvalidOptionRegistersNothing() throws {
        var options = Fixtures.options()
        options.netDevDeviceInclude = "("
        let registry = try MetricRegistry(collectorStatusPrefix: "node_scrape_collector")
        #expect(throws: HostCollectorError.self) {
            try HostCollectorTable.register(enabled: ["cpu", "netdev"], options: options, registry: registry)
        }
        #expect(registry.collect().producerResults.isEmpty)
    }
}
