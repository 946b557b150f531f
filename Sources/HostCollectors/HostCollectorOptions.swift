import Glibc
import MonotonicTime
import ProcFS

/// Where the host collectors read from and how they filter, with node_exporter's flag names and defaults.
///
/// A pattern option that is `nil` was not given on the command line. node_exporter's default exclusions then apply,
/// unless the matching include pattern is given: `--collector.diskstats.device-include` alone replaces the default
/// `device-exclude`, while giving both explicitly is an error (see ``validate()``). An empty pattern filters nothing.
/// Patterns are regular expressions searched anywhere in the name, as Go's `regexp.MatchString` does; anchor them
/// with `^…$` to match whole names.
public struct HostCollectorOptions: Sendable {
    /// `--path.procfs`: the proc filesystem (default `/proc`).
    public var procFS: ProcFS
    /// `--path.sysfs`: the sys filesystem (default `/sys`).
    public var sysFS: SysFS
    /// `--path.rootfs`: the host's root filesystem (default `/`). Mount points are statted under it, and it is
    /// removed from the front of the exposed `mountpoint` label.
    public var rootFS: String
    /// `--path.udev.data`: the udev database (default `/run/udev/data`), for the `node_disk_info` labels.
    public var udevDatabase: UdevDatabase

    /// `--collector.cpu.guest`: expose `node_cpu_guest_seconds_total` (default true).
    public var cpuGuest: Bool

    /// `--collector.diskstats.device-exclude`: devices to leave out; when nil and no include pattern is given,
    /// ``defaultDiskStatsDeviceExclude``.
    public var diskStatsDeviceExclude: String?
    /// `--collector.diskstats.device-include`: the only devices to report (mutually exclusive with the exclude
    /// pattern).
    public var diskStatsDeviceInclude: String?

    /// `--collector.filesystem.mount-points-exclude`: mount points to leave out; when nil and no include pattern
    /// is given, ``defaultMountPointsExclude``.
    public var filesystemMountPointsExclude: String?
    /// `--collector.filesystem.mount-points-include`: the only mount points to report.
    public var filesystemMountPointsInclude: String?
    /// `--collector.filesystem.fs-types-exclude`: filesystem types to leave out; when nil and no include pattern
    /// is given, ``defaultFSTypesExclude``.
    public var filesystemFSTypesExclude: String?
    /// `--collector.filesystem.fs-types-include`: the only filesystem types to report.
    public var filesystemFSTypesInclude: String?
    /// `--collector.filesystem.mount-timeout`: how long a scrape waits for `statfs` on a mount before reporting it
    /// with `device_error` 1 and skipping it until the call returns (default 5 s).
    public var filesystemMountTimeout: Duration
    /// `--collector.filesystem.stat-workers`: how many `statfs` calls run at once (default 4).
    public var filesystemStatWorkers: Int
    /// Where filesystem statistics come from: ``SystemFilesystemStats`` (`statvfs(3)`) unless a test substitutes a
    /// fake.
    public var filesystemStats: any FilesystemStatsSource
    /// The clock the mount timeout is measured with; tests move a manual one by hand.
    public var clock: MonotonicClock

    /// `--collector.netdev.device-exclude`: interfaces to leave out (no default).
    public var netDevDeviceExclude: String?
    /// `--collector.netdev.device-include`: the only interfaces to report.
    public var netDevDeviceInclude: String?

    /// `--collector.textfile.directory` (repeatable): directories whose `*.prom` files are read at every collection.
    /// The textfile collector does nothing while this is empty (node_exporter's default).
    public var textfileDirectories: [String]
    /// `--collector.textfile.max-age`: a file whose mtime is older than this is left out and counted as `stale`;
    /// nil (the default) serves files of any age.
    public var textfileMaxAge: Duration?
    /// `--collector.textfile.max-size`: the largest file read, in bytes (default ``defaultTextfileMaxSize``); a
    /// larger one is left out and counted as `too_large`.
    public var textfileMaxSize: Int
    /// The current time in seconds since the Unix epoch, against which `textfileMaxAge` is measured; tests fix it.
    public var wallClock: @Sendable () -> Double
    /// `--collector.netclass.ignored-devices`: interfaces the netclass collector leaves out (default `^$`).
    public var netClassIgnoredDevices = "^$"
    /// `--collector.netclass.ignore-invalid-speed`: leave out `node_network_speed_bytes` of interfaces whose speed is
    /// negative (unknown) instead of exposing -125000 (default false).
    public var netClassIgnoreInvalidSpeed = false
    /// `--collector.powersupply.ignored-supplies`: power supplies the powersupplyclass collector leaves out (default
    /// `^$`).
    public var powerSupplyIgnoredSupplies = "^$"
    /// `--collector.vmstat.fields`: the /proc/vmstat fields to expose, a pattern searched in each name (default
    /// ``defaultVMStatFields``).
    public var vmstatFields: String
    /// Where the uname collector gets the system's names: ``SystemUname`` unless a test substitutes fixed names.
    public var systemNames: any SystemNameSource
    /// Where the timex collector reads the clock's discipline state: ``SystemClockAdjustment`` (`adjtimex(2)`,
    /// reading only) unless a test substitutes a fixed state.
    public var clockAdjustment: any ClockAdjustmentSource
    /// The wall clock of `node_time_seconds`: ``SystemRealTimeClock`` unless a test substitutes a fixed instant.
    public var realTimeClock: any RealTimeClock
    /// `--collector.netstat.fields`: the counters of /proc/net/netstat, snmp and snmp6 to report, matched against
    /// `<Protocol>_<Counter>` (default ``defaultNetStatFields``; empty reports every counter).
    public var netStatFields: String

    /// `--collector.arp.device-exclude`: interfaces whose ARP entries are left out (no default).
    public var arpDeviceExclude: String?
    /// `--collector.arp.device-include`: the only interfaces whose ARP entries are reported.
    public var arpDeviceInclude: String?

    /// The size of a memory page in bytes, which turns the resident pages of /proc/self/stat into
    /// `process_resident_memory_bytes` and the socket memory pages of /proc/net/sockstat into
    /// `node_sockstat_<PROTOCOL>_mem_bytes`; fixed in tests so that the output does not depend on the machine.
    public var pageSize: Int

    /// node_exporter's `--collector.diskstats.device-exclude` default: partitions, RAM disks, loop and floppy
    /// devices.
    public static let defaultDiskStatsDeviceExclude = #"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$"#
    /// The default `--collector.textfile.max-size`: 4 MiB, some 40,000 series.
    public static let defaultTextfileMaxSize = 4 << 20
    /// The largest `--collector.textfile.max-size` accepted: 1 GiB.
    public static let maximumTextfileMaxSize = 1 << 30

    /// node_exporter's `--collector.vmstat.fields` default: OOM kills, paging, swapping and page faults.
    public static let defaultVMStatFields = "^(oom_kill|pgpg|pswp|pg.*fault).*"
    /// node_exporter's `--collector.filesystem.mount-points-exclude` default.
    public static let defaultMountPointsExclude =
        "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
    /// node_exporter's `--collector.filesystem.fs-types-exclude` default (tmpfs and network filesystems are kept).
    public static let defaultFSTypesExclude =
        "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|"
        + "overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$"

    /// node_exporter 1.5's `--collector.netstat.fields` default: errors, IP forwarding and octets, ICMP messages,
    /// listen queue and SYN cookie counters, TCP segments, opens, resets and retransmissions, UDP datagrams.
    public static let defaultNetStatFields =
        "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|"
        + "TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|"
        + "Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|"
        + "Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$"

    /// Options with every default of node_exporter 1.x.
    public init(
        procFS: ProcFS = ProcFS(), sysFS: SysFS = SysFS(), rootFS: String = "/",
        udevDatabase: UdevDatabase = UdevDatabase()
    ) {
        self.procFS = procFS
        self.sysFS = sysFS
        self.rootFS = rootFS
        self.udevDatabase = udevDatabase
        cpuGuest = true
        netStatFields = Self.defaultNetStatFields
        filesystemMountTimeout = .seconds(5)
        filesystemStatWorkers = 4
        filesystemStats = SystemFilesystemStats()
        clock = .system
        textfileDirectories = []
        textfileMaxAge = nil
        textfileMaxSize = Self.defaultTextfileMaxSize
        wallClock = {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        }
        pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        vmstatFields = Self.defaultVMStatFields
        systemNames = SystemUname()
        clockAdjustment = SystemClockAdjustment()
        realTimeClock = SystemRealTimeClock()
    }

    /// Checks every option: include and exclude patterns of one collector given together, a pattern that is not a
    /// valid regular expression, a non-positive timeout, worker count or text file age, a text file size out of
    /// range, or an empty root path or text file directory. The error names the
    /// flag.
    public func validate() throws(HostCollectorError) {
        _ = try diskStatsFilter()
        _ = try mountPointFilter()
        _ = try fsTypeFilter()
        _ = try netDevFilter()
        _ = try netClassFilter()
        _ = try powerSupplyFilter()
        _ = try netStatFieldPattern()
        _ = try arpFilter()
        guard filesystemMountTimeout > .zero else {
            throw .invalidOption(flag: "--collector.filesystem.mount-timeout", reason: "must be greater than 0")
        }
        guard filesystemStatWorkers >= 1 else {
            throw .invalidOption(flag: "--collector.filesystem.stat-workers", reason: "must be at least 1")
        }
        guard !rootFS.isEmpty else { throw .invalidOption(flag: "--path.rootfs", reason: "must not be empty") }
        guard textfileDirectories.allSatisfy({ !$0.isEmpty }) else {
            throw .invalidOption(flag: "--collector.textfile.directory", reason: "must not be empty")
        }
        if let maxAge = textfileMaxAge, maxAge <= .zero {
            throw .invalidOption(flag: "--collector.textfile.max-age", reason: "must be greater than 0")
        }
        guard textfileMaxSize >= 1, textfileMaxSize <= Self.maximumTextfileMaxSize else {
            throw .invalidOption(
                flag: "--collector.textfile.max-size",
                reason: "must be between 1 and \(Self.maximumTextfileMaxSize) bytes")
        }
        guard pageSize > 0 else { throw .invalidOption(flag: "page size", reason: "must be greater than 0") }
        _ = try vmstatFieldPattern()
    }

    func vmstatFieldPattern() throws(HostCollectorError) -> Pattern {
        do {
            return try Pattern(vmstatFields)
        } catch {
            throw .invalidPattern(flag: "--collector.vmstat.fields", pattern: vmstatFields, reason: error.reason)
        }
    }

    func diskStatsFilter() throws(HostCollectorError) -> NameFilter {
        try NameFilter(
            exclude: diskStatsDeviceExclude, include: diskStatsDeviceInclude,
            defaultExclude: Self.defaultDiskStatsDeviceExclude, excludeFlag: "--collector.diskstats.device-exclude",
            includeFlag: "--collector.diskstats.device-include")
    }

    func mountPointFilter() throws(HostCollectorError) -> NameFilter {
        try NameFilter(
            exclude: filesystemMountPointsExclude, include: filesystemMountPointsInclude,
            defaultExclude: Self.defaultMountPointsExclude,
            excludeFlag: "--collector.filesystem.mount-points-exclude",
            includeFlag: "--collector.filesystem.mount-points-include")
    }

    func fsTypeFilter() throws(HostCollectorError) -> NameFilter {
        try NameFilter(
            exclude: filesystemFSTypesExclude, include: filesystemFSTypesInclude,
            defaultExclude: Self.defaultFSTypesExclude, excludeFlag: "--collector.filesystem.fs-types-exclude",
            includeFlag: "--collector.filesystem.fs-types-include")
    }

    func netDevFilter() throws(HostCollectorError) -> NameFilter {
        try NameFilter(
            exclude: netDevDeviceExclude, include: netDevDeviceInclude, defaultExclude: "",
            excludeFlag: "--collector.netdev.device-exclude", includeFlag: "--collector.netdev.device-include")
    }

    func netClassFilter() throws(HostCollectorError) -> NameFilter {
        try NameFilter(
            exclude: netClassIgnoredDevices, include: nil, defaultExclude: "",
            excludeFlag: "--collector.netclass.ignored-devices", includeFlag: "")
    }

    func powerSupplyFilter() throws(HostCollectorError) -> NameFilter {
        try NameFilter(
            exclude: powerSupplyIgnoredSupplies, include: nil, defaultExclude: "",
            excludeFlag: "--collector.powersupply.ignored-supplies", includeFlag: "")
    }

    /// The compiled ``netStatFields``; nil when it is empty and every counter is reported.
    func netStatFieldPattern() throws(HostCollectorError) -> Pattern? {
        guard !netStatFields.isEmpty else { return nil }
        do {
            return try Pattern(netStatFields)
        } catch {
            throw .invalidPattern(flag: "--collector.netstat.fields", pattern: netStatFields, reason: error.reason)
        }
    }

    func arpFilter() throws(HostCollectorError) -> NameFilter {
        try NameFilter(
            exclude: arpDeviceExclude, include: arpDeviceInclude, defaultExclude: "",
            excludeFlag: "--collector.arp.device-exclude", includeFlag: "--collector.arp.device-include")
    }
}

/// Why the host collectors could not be configured or registered.
public enum HostCollectorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two flags that exclude each other were both given.
    case mutuallyExclusive(flag: String, otherFlag: String)
    /// A flag's value is not a valid regular expression.
    case invalidPattern(flag: String, pattern: String, reason: String)
    /// A flag's value is out of range.
    case invalidOption(flag: String, reason: String)
    /// A `--collector.<name>` toggle names no collector; `known` lists the valid names.
    case unknownCollector(name: String, known: [String])
    /// Creating a collector's instruments failed, e.g. because another family already uses one of its names.
    case registrationFailed(collector: String, reason: String)

    public var description: String {
        switch self {
        case .mutuallyExclusive(let flag, let otherFlag):
            "\(flag) and \(otherFlag) are mutually exclusive"
        case .invalidPattern(let flag, let pattern, let reason):
            "\(flag): invalid regular expression \"\(pattern)\": \(reason)"
        case .invalidOption(let flag, let reason):
            "\(flag): \(reason)"
        case .unknownCollector(let name, let known):
            "unknown collector \"\(name)\" (known collectors: \(known.joined(separator: ", ")))"
        case .registrationFailed(let collector, let reason):
            "cannot register the \(collector) collector: \(reason)"
        }
    }
}
