import MetricsCore

/// Turning a collector on or off on the command line: `--collector.<name>` or `--no-collector.<name>`.
public struct CollectorToggle: Sendable, Equatable {
    public var name: String
    public var isEnabled: Bool

    public init(name: String, isEnabled: Bool) {
        self.name = name
        self.isEnabled = isEnabled
    }
}

/// The host collectors tally offers: each one's name, whether it runs by default, and the factory that creates its
/// meter's instruments and callback (node_exporter's `registerCollector` table, collector/collector.go).
///
/// The CLI makes `--collector.<name>` and `--no-collector.<name>` from ``entries`` and resolves them with
/// ``enabledCollectors(disableDefaults:toggles:)``; the server then calls ``register(enabled:options:registry:)``.
public enum HostCollectorTable {
    /// One collector.
    public struct Entry: Sendable {
        /// The name in flags and in the `collector` label of the scrape status families.
        public let name: String
        /// Whether it runs unless turned off (or unless `--collector.disable-defaults`).
        public let isEnabledByDefault: Bool
        let factory: Factory

        /// How the collector joins a registry.
        enum Factory: Sendable {
            /// Creates the collector's instruments on a meter named like the collector, and adds its callback.
            case meter(@Sendable (Meter, CollectorContext) throws(HostCollectorError) -> Void)
            /// Creates a producer of its own, for a collector whose families are not known in advance (text
            /// files), or nil when the options leave it nothing to do.
            case producer(
                @Sendable (CollectorContext, MetricRegistry) throws(HostCollectorError) -> (any MetricProducer)?)
        }

        init(
            name: String, isEnabledByDefault: Bool,
            factory: @escaping @Sendable (Meter, CollectorContext) throws(HostCollectorError) -> Void
        ) {
            self.name = name
            self.isEnabledByDefault = isEnabledByDefault
            self.factory = .meter(factory)
        }

        init(
            name: String, isEnabledByDefault: Bool,
            producer:
                @escaping @Sendable (CollectorContext, MetricRegistry) throws(HostCollectorError) -> (
                    any MetricProducer
                )?
        ) {
            self.name = name
            self.isEnabledByDefault = isEnabledByDefault
            self.factory = .producer(producer)
        }
    }

    /// Every collector, by name.
    public static let entries: [Entry] = [
        Entry(name: "arp", isEnabledByDefault: true, factory: ARPCollector.register),
        Entry(name: "bonding", isEnabledByDefault: true, factory: BondingCollector.register),
        Entry(name: "conntrack", isEnabledByDefault: true, factory: ConntrackCollector.register),
        Entry(name: "cpu", isEnabledByDefault: true, factory: CPUCollector.register),
        Entry(name: "cpufreq", isEnabledByDefault: true, factory: CPUFreqCollector.register),
        Entry(name: "diskstats", isEnabledByDefault: true, factory: DiskStatsCollector.register),
        Entry(name: "entropy", isEnabledByDefault: true, factory: EntropyCollector.register),
        Entry(name: "filefd", isEnabledByDefault: true, factory: FileFDCollector.register),
        Entry(name: "filesystem", isEnabledByDefault: true, factory: FilesystemCollector.register),
        Entry(name: "hwmon", isEnabledByDefault: true, factory: HwmonCollector.register),
        Entry(name: "loadavg", isEnabledByDefault: true, factory: LoadAvgCollector.register),
        Entry(name: "mdadm", isEnabledByDefault: true, factory: MDAdmCollector.register),
        Entry(name: "meminfo", isEnabledByDefault: true, factory: MeminfoCollector.register),
        Entry(name: "netclass", isEnabledByDefault: true, factory: NetClassCollector.register),
        Entry(name: "netdev", isEnabledByDefault: true, factory: NetDevCollector.register),
        Entry(name: "netstat", isEnabledByDefault: true, factory: NetStatCollector.register),
        Entry(name: "os", isEnabledByDefault: true, factory: OSCollector.register),
        Entry(name: "powersupplyclass", isEnabledByDefault: true, factory: PowerSupplyClassCollector.register),
        Entry(name: "pressure", isEnabledByDefault: true, factory: PressureCollector.register),
        Entry(name: "schedstat", isEnabledByDefault: true, factory: SchedStatCollector.register),
        Entry(name: "selinux", isEnabledByDefault: true, factory: SELinuxCollector.register),
        Entry(name: "sockstat", isEnabledByDefault: true, factory: SockstatCollector.register),
        Entry(name: "softnet", isEnabledByDefault: true, factory: SoftnetCollector.register),
        Entry(name: "stat", isEnabledByDefault: true, factory: StatCollector.register),
        Entry(name: "textfile", isEnabledByDefault: true, producer: TextfileCollector.make),
        Entry(name: "thermal_zone", isEnabledByDefault: true, factory: ThermalZoneCollector.register),
        Entry(name: "time", isEnabledByDefault: true, factory: TimeCollector.register),
        Entry(name: "timex", isEnabledByDefault: true, factory: TimexCollector.register),
        Entry(name: "udp_queues", isEnabledByDefault: true, factory: UDPQueuesCollector.register),
        Entry(name: "uname", isEnabledByDefault: true, factory: UnameCollector.register),
        Entry(name: "vmstat", isEnabledByDefault: true, factory: VMStatCollector.register),
    ]

    /// The collector names with whether each runs by default, for help texts.
    public static var defaults: [(name: String, isEnabledByDefault: Bool)] {
        entries.map { ($0.name, $0.isEnabledByDefault) }
    }

    /// The collectors to run, in table order: the defaults (none with `disableDefaults`), then each toggle in
    /// order, a later toggle of a name overriding an earlier one. A toggle naming no collector is an error.
    public static func enabledCollectors(
        disableDefaults: Bool, toggles: [CollectorToggle]
    ) throws(HostCollectorError) -> [String] {
        var enabled: [String: Bool] = [:]
        for entry in entries { enabled[entry.name] = entry.isEnabledByDefault && !disableDefaults }
        for toggle in toggles {
            guard enabled[toggle.name] != nil else {
                throw .unknownCollector(name: toggle.name, known: entries.map(\.name))
            }
            enabled[toggle.name] = toggle.isEnabled
        }
        return entries.map(\.name).filter { enabled[$0] == true }
    }

    /// Creates one meter per collector in `enabled` (named like the collector, reporting its status), or the
    /// collector's own producer, in table order. The options are validated first, so an invalid option registers
    /// nothing.
    public static func register(
        enabled: [String], options: HostCollectorOptions, registry: MetricRegistry
    ) throws(HostCollectorError) {
        try options.validate()
        for name in enabled where !entries.contains(where: { $0.name == name }) {
            throw .unknownCollector(name: name, known: entries.map(\.name))
        }
        let context = CollectorContext(options: options)
        for entry in entries where enabled.contains(entry.name) {
            switch entry.factory {
            case .meter(let factory):
                try factory(registry.makeMeter(name: entry.name, reportsCollectorStatus: true), context)
            case .producer(let factory):
                if let producer = try factory(context, registry) { registry.register(producer) }
            }
        }
    }
}
