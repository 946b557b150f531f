import Foundation
import HostCollectors
import MetricsCore
import MonotonicTime
import ProcFS
import Synchronization
import Testing

/// The shared fixture trees under `Tests/Fixtures`.
enum Fixtures {
    /// `Tests/Fixtures`, two levels up from this file once symlinks are resolved (the tests may be built from a
    /// package whose `Tests/HostCollectorsTests` is a symlink to this directory).
    static let directory: String = {
        let path = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        return path.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }()

    /// The `--path.rootfs` the fixture tests use, `Tests/Fixtures/root`: the os collector reads its os-release, mount
    /// points are statted under it, and the fake statistics are keyed by those paths.
    static let rootFS = directory + "/root"

    /// Statistics for the mounts of `proc/1/mountinfo` that the default filters keep; `/mnt/nfs` fails with ESTALE,
    /// as a dead NFS server makes it.
    static let filesystemStats = FixedFilesystemStats([
        Fixtures.rootFS: .success(
            statistics(blockSize: 4096, blocks: 5_000_000, free: 3_000_000, available: 2_750_000)),
        Fixtures.rootFS + "/run": .success(
            statistics(blockSize: 4096, blocks: 100_710, free: 100_500, available: 100_500)),
        Fixtures.rootFS + "/boot": .success(
            statistics(blockSize: 1024, blocks: 1_000_000, free: 750_000, available: 700_000)),
        Fixtures.rootFS + "/mnt/my disk": .success(
            statistics(blockSize: 4096, blocks: 250_000_000, free: 125_000_000, available: 125_000_000)),
        Fixtures.rootFS + "/srv": .success(
            statistics(blockSize: 4096, blocks: 2_500_000, free: 500_000, available: 375_000)),
        Fixtures.rootFS + "/mnt/nfs": .failure(FilesystemStatsError(path: Fixtures.rootFS + "/mnt/nfs", errno: ESTALE)),
    ])

    static func statistics(blockSize: UInt64, blocks: UInt64, free: UInt64, available: UInt64) -> FilesystemStatistics {
        FilesystemStatistics(
            blockSize: blockSize, blocks: blocks, freeBlocks: free, availableBlocks: available, files: blocks / 16,
            freeFiles: free / 16)
    }

    /// Options over the fixture tree rooted at `directory` (or a copy of it), with fixed filesystem statistics and
    /// page size.
    static func options(
        directory: String = Fixtures.directory, filesystemStats: any FilesystemStatsSource = Fixtures.filesystemStats
    ) -> HostCollectorOptions {
        var options = HostCollectorOptions(
            procFS: ProcFS(root: directory + "/proc"), sysFS: SysFS(root: directory + "/sys"), rootFS: rootFS,
            udevDatabase: UdevDatabase(root: directory + "/udev/data"))
        options.filesystemStats = filesystemStats
        options.pageSize = 4096
        options.systemNames = FixedSystemNames(names: systemNames)
        options.clockAdjustment = FixedClockAdjustment(result: .success(clockAdjustment))
        options.realTimeClock = FixedRealTimeClock(time: realTime)
        return options
    }

    /// What uname(2) says on the fixture machine.
    static let systemNames = SystemName(
        systemName: "Linux", nodeName: "fixture-host", release: "6.1.0-18-amd64",
        version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)", machine: "x86_64", domainName: "(none)")

    /// The fixture machine's clock as adjtimex(2) reports it under an NTP daemon: synchronized (TIME_OK), PLL mode
    /// in nanoseconds (STA_PLL | STA_NANO), 250 µs ahead, 20 ppm fast, 16 ms maximum error, 37 s TAI offset.
    static let clockAdjustment = ClockAdjustmentState(
        clockState: 0, offset: 250_000, frequency: 20 * 65536, maximumError: 16_000, estimatedError: 500,
        status: 0x2001, constant: 7, tick: 10_000, taiOffset: 37)

    /// The fixture machine's wall clock: 2023-11-14 22:13:20.5 UTC, in Central European Time.
    static let realTime = RealTime(
        nanosecondsSinceEpoch: 1_700_000_000_500_000_000, timeZone: "CET", timeZoneOffset: 3600)
}

/// uname(2) answering fixed names.
struct FixedSystemNames: SystemNameSource {
    let names: SystemName

    func systemName() throws(SystemCallError) -> SystemName { names }
}

/// adjtimex(2) answering a fixed state or failing with a fixed error.
struct FixedClockAdjustment: ClockAdjustmentSource {
    let result: Result<ClockAdjustmentState, SystemCallError>

    func clockAdjustmentState() throws(SystemCallError) -> ClockAdjustmentState { try result.get() }
}

/// A wall clock that always reads the same instant.
struct FixedRealTimeClock: RealTimeClock {
    let time: RealTime

    func now() -> RealTime { time }
}

/// Whether the tests run on CI (`CI` is set, as CI services set it), where a missing reference directory or tool is a
/// failure rather than a reason to skip.
let isCI = ProcessInfo.processInfo.environment["CI"] != nil

/// `promtool` as found on `PATH` (`make test-deps` installs it), or nil.
let promtoolPath: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").lazy
    .map { "\($0)/promtool" }.first { FileManager.default.isExecutableFile(atPath: $0) }

extension Trait where Self == ConditionTrait {
    /// Runs a test that reads node_exporter's fixtures from ``PeerReference`` where they exist, and skips it with the
    /// reason elsewhere, except on CI: there it runs, and fails on the missing files.
    static var needsPeerReference: Self {
        .enabled(
            if: PeerReference.isAvailable || isCI,
            "node_exporter's fixtures are not at \(PeerReference.nodeExporter) (set TALLY_REFERENCE_DIR)")
    }

    /// Runs a test that runs `promtool` where it is installed, and skips it with the reason elsewhere, except on CI:
    /// there it runs, and fails when promtool is missing.
    static var needsPromtool: Self {
        .enabled(if: promtoolPath != nil || isCI, "promtool is not installed (make test-deps)")
    }
}

/// Filesystem statistics from a table keyed by path; an unknown path fails with ENOENT.
struct FixedFilesystemStats: FilesystemStatsSource {
    let table: [String: Result<FilesystemStatistics, FilesystemStatsError>]

    init(_ table: [String: Result<FilesystemStatistics, FilesystemStatsError>]) {
        self.table = table
    }

    func statistics(path: String) throws(FilesystemStatsError) -> FilesystemStatistics {
        guard let result = table[path] else { throw FilesystemStatsError(path: path, errno: ENOENT) }
        return try result.get()
    }
}

/// A registry with the status families of the host collectors and the given collectors registered.
func makeRegistry(
    collectors: [String], options: HostCollectorOptions, clock: MonotonicClock = .system, process: Bool = false
) throws -> MetricRegistry {
    let registry = try MetricRegistry(clock: clock, collectorStatusPrefix: "node_scrape_collector")
    try HostCollectorTable.register(enabled: collectors, options: options, registry: registry)
    if process { try ProcessCollector.register(options: options, registry: registry) }
    return registry
}

extension MetricsSnapshot {
    /// The family whose samples are called `sampleName` (a counter family `x` has samples `x_total`).
    func family(sample sampleName: String) -> MetricFamilySnapshot? {
        families.first { family in
            family.descriptor.name == sampleName
                || (family.descriptor.type == .counter && family.descriptor.name + "_total" == sampleName)
        }
    }

    /// The value of the series of `sampleName` with exactly `labels`.
    func value(_ sampleName: String, _ labels: [String: String] = [:]) -> Double? {
        guard let family = family(sample: sampleName) else { return nil }
        for (labelSet, value) in zip(family.labelSets, family.values) where labelSet.dictionary == labels {
            return value
        }
        return nil
    }

    /// The label sets of every series of `sampleName`.
    func labels(_ sampleName: String) -> [[String: String]] {
        family(sample: sampleName)?.labelSets.map(\.dictionary) ?? []
    }

    /// The values of a label over every series of `sampleName`, in exposure order.
    func labelValues(_ sampleName: String, _ label: String) -> [String] {
        labels(sampleName).compactMap { $0[label] }
    }

    /// `node_scrape_collector_success{collector=…}`.
    func success(_ collector: String) -> Double? {
        value("node_scrape_collector_success", ["collector": collector])
    }
}

extension LabelSet {
    var dictionary: [String: String] {
        Dictionary(uniqueKeysWithValues: labels.map { ($0.name, $0.value) })
    }
}

/// A copy of the fixture tree in a temporary directory, for tests that change files between collections.
final class FixtureCopy {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "tally-collectors-" + UUID().uuidString
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for tree in ["proc", "sys", "udev"] {
            try manager.copyItem(atPath: Fixtures.directory + "/" + tree, toPath: directory + "/" + tree)
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Replaces `relative` (e.g. `proc/stat`) with `content`.
    func write(_ relative: String, _ content: String) throws {
        let path = directory + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Replaces `relative` with the file of the same name in the scenario `scenario` (`Tests/Fixtures/scenarios`).
    func apply(scenario: String, _ relative: String) throws {
        let content = try String(
            contentsOfFile: Fixtures.directory + "/scenarios/" + scenario + "/" + relative, encoding: .utf8)
        try write(relative, content)
    }

    func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: directory + "/" + relative)
    }

    /// Creates `relative` as a symbolic link to `target` (relative to the link's directory, as sysfs links are).
    func link(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: directory + "/" + relative, withDestinationPath: target)
    }
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// A filesystem source whose calls for `hangingPaths` block until ``release()`` (or, so that a broken test cannot
/// hang, for at most 60 s), like `statfs` on a dead NFS mount; other paths answer from `base` at once. It counts the
/// calls per path.
final class HangingFilesystemStats: FilesystemStatsSource {
    let base: any FilesystemStatsSource
    let hangingPaths: Set<String>
    private let state = Mutex(State())

    private struct State {
        var isReleased = false
        var calls: [String: Int] = [:]
        var blocked = 0
    }

    init(base: any FilesystemStatsSource, hanging: Set<String>) {
        self.base = base
        hangingPaths = hanging
    }

    func statistics(path: String) throws(FilesystemStatsError) -> FilesystemStatistics {
        state.withLock { $0.calls[path, default: 0] += 1 }
        if hangingPaths.contains(path) {
            state.withLock { $0.blocked += 1 }
            let giveUp = monotonicSeconds() + 60
            while !state.withLock({ $0.isReleased }) && monotonicSeconds() < giveUp {
                usleep(1000)
            }
            state.withLock { $0.blocked -= 1 }
        }
        return try base.statistics(path: path)
    }

    func release() {
        state.withLock { $0.isReleased = true }
    }

    func calls(_ path: String) -> Int {
        state.withLock { $0.calls[path, default: 0] }
    }

    /// The number of calls blocked right now.
    var blocked: Int {
        state.withLock { $0.blocked }
    }
}

/// Polls `condition` every 10 ms for up to `seconds`; whether it became true.
func eventually(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let giveUp = monotonicSeconds() + seconds
    while monotonicSeconds() < giveUp {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}
