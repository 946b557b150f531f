import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `filesystem` collector: size, free space and inodes of every mounted filesystem, from the mounts
/// of /proc/1/mountinfo (or /proc/self/mountinfo when pid 1 is hidden) and `statfs(2)` on each mount point under
/// `--path.rootfs` (collector/filesystem_linux.go, filesystem_common.go).
///
/// Series carry `device`, `mountpoint` (with the rootfs prefix removed), `fstype` and `device_error`, which is
/// empty normally and holds the error when `statfs` failed, or "mountpoint timeout" when the call did not return
/// within `--collector.filesystem.mount-timeout`. A mount with an error reports only `node_filesystem_device_error`
/// (1) and `node_filesystem_readonly`. The calls run on worker threads (see ``MountStatsDispatcher``), so a hung
/// mount delays one scrape by at most the timeout and later scrapes not at all. Mounts are de-duplicated by
/// (device, mount point, type), keeping the first.
final class FilesystemCollector: Sendable {
    /// The `device_error` label of a mount whose `statfs` timed out, as node_exporter writes it.
    static let timeoutError = "mountpoint timeout"

    /// /proc/1/mountinfo, and /proc/self/mountinfo for when /proc hides pid 1 (`hidepid`).
    private let mountInfoFiles: (pidOne: KernelFile, own: KernelFile)
    private let rootFS: String
    private let mountPointFilter: NameFilter
    private let fsTypeFilter: NameFilter
    private let dispatcher: MountStatsDispatcher
    private let size: ObservableInstrument
    private let free: ObservableInstrument
    private let available: ObservableInstrument
    private let files: ObservableInstrument
    private let freeFiles: ObservableInstrument
    private let readOnly: ObservableInstrument
    private let deviceError: ObservableInstrument
    private let mountInfo: ObservableInstrument
    private let plan = Mutex(Plan())

    /// The mounts to report, rebuilt only when mountinfo changes.
    private struct Plan {
        /// The mountinfo the plan was made from.
        var mountInfo: [UInt8] = []
        var targets: [Target] = []
        /// The `statfs` path of each target.
        var paths: [String] = []
        /// Indices of `targets` in exposure order.
        var order: [Int] = []
    }

    /// One reported mount.
    private struct Target {
        let device: String
        let mountPoint: String
        let fsType: String
        /// The labels with an empty `device_error`.
        let labels: LabelSet
        let mountInfoLabels: LabelSet
        let readOnly: Double
    }

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try FilesystemCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        mountInfoFiles = (
            KernelFile(path: options.procFS.path("1/mountinfo")),
            KernelFile(path: options.procFS.path("self/mountinfo"))
        )
        rootFS = options.rootFS
        mountPointFilter = try options.mountPointFilter()
        fsTypeFilter = try options.fsTypeFilter()
        dispatcher = MountStatsDispatcher(
            source: options.filesystemStats, workerLimit: options.filesystemStatWorkers,
            timeout: options.filesystemMountTimeout, clock: options.clock)
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge("node_filesystem_size_bytes", unit: "By", help: "Size of the filesystem in bytes."),
            .gauge("node_filesystem_free_bytes", unit: "By", help: "Free space in bytes."),
            .gauge("node_filesystem_avail_bytes", unit: "By", help: "Free space unprivileged users may use, in bytes."),
            .gauge("node_filesystem_files", help: "Inodes of the filesystem."),
            .gauge("node_filesystem_files_free", help: "Free inodes of the filesystem."),
            .gauge("node_filesystem_readonly", help: "Whether the filesystem is mounted read-only (1) or not (0)."),
            .gauge(
                "node_filesystem_device_error",
                help: "Whether the filesystem's statistics could not be read (1), with the reason in device_error."),
            .gauge(
                "node_filesystem_mount_info", help: "The device numbers of a mounted filesystem; the value is always 1."
            ),
        ])
        size = instruments[0]
        free = instruments[1]
        available = instruments[2]
        files = instruments[3]
        freeFiles = instruments[4]
        readOnly = instruments[5]
        deviceError = instruments[6]
        mountInfo = instruments[7]
    }

    /// The plan for the mounts of /proc/1/mountinfo, or of /proc/self/mountinfo when /proc hides pid 1; nil when
    /// the kernel reports the mounts unchanged since `plan` was made
    /// (see ``ProcFS/KernelFile/parseMountTableIfChanged(_:)``).
    private func updatedPlan(from plan: Plan) throws(ProcFSError) -> Plan? {
        let update = { (bytes: [UInt8]) throws(ProcFSError) -> Plan in
            bytes == plan.mountInfo ? plan : self.makePlan(try MountInfo.parse(bytes), mountInfo: bytes)
        }
        do {
            return try mountInfoFiles.pidOne.parseMountTableIfChanged(update)
        } catch .readFailed {
            return try mountInfoFiles.own.parseMountTableIfChanged(update)
        }
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        // The mounts rarely change, so the calls for the last collection's mounts start before mountinfo is read:
        // they run on the workers while this thread reads, and are usually done when it needs their results.
        let previous = plan.withLock { $0 }
        let early = previous.paths.isEmpty ? nil : dispatcher.request(previous.paths)
        let current: Plan
        do {
            // Read under the lock: a concurrent collection that finds the mounts unchanged then sees the plan made
            // from the read that took the kernel's change flag.
            current = try plan.withLock { (plan) throws(ProcFSError) -> Plan in
                if let updated = try updatedPlan(from: plan) { plan = updated }
                return plan
            }
        } catch {
            if let early { dispatcher.abandon(early) }
            throw error
        }
        let outcomes: [MountStatsOutcome]
        if let early, current.paths == previous.paths {
            outcomes = dispatcher.outcomes(of: early)
        } else {
            if let early { dispatcher.abandon(early) }
            outcomes = dispatcher.statistics(of: current.paths)
        }
        for index in current.order {
            let target = current.targets[index]
            switch outcomes[index] {
            case .statistics(let statistics):
                let labels = target.labels
                let blockSize = Double(statistics.blockSize)
                recorder.observe(deviceError, 0, labels: labels)
                recorder.observe(readOnly, target.readOnly, labels: labels)
                recorder.observe(size, Double(statistics.blocks) * blockSize, labels: labels)
                recorder.observe(free, Double(statistics.freeBlocks) * blockSize, labels: labels)
                recorder.observe(available, Double(statistics.availableBlocks) * blockSize, labels: labels)
                recorder.observe(files, Double(statistics.files), labels: labels)
                recorder.observe(freeFiles, Double(statistics.freeFiles), labels: labels)
                recorder.observe(mountInfo, 1, labels: target.mountInfoLabels)
            case .failed(let error):
                observeError(error.reason, of: target, into: &recorder)
            case .timedOut:
                observeError(Self.timeoutError, of: target, into: &recorder)
            }
        }
    }

    private func observeError(_ reason: String, of target: Target, into recorder: inout ObservationRecorder) {
        let labels = Self.labels(device: target.device, deviceError: reason, fsType: target.fsType, target.mountPoint)
        recorder.observe(deviceError, 1, labels: labels)
        recorder.observe(readOnly, target.readOnly, labels: labels)
    }

    private func makePlan(_ mounts: [MountInfo], mountInfo: [UInt8]) -> Plan {
        var plan = Plan()
        plan.mountInfo = mountInfo
        var seen = Set<[String]>()
        for mount in mounts {
            let mountPoint = exposedMountPoint(mount.mountPoint)
            guard mountPointFilter.admits(mountPoint), fsTypeFilter.admits(mount.filesystemType),
                seen.insert([mount.source, mountPoint, mount.filesystemType]).inserted
            else { continue }
            plan.targets.append(
                Target(
                    device: mount.source, mountPoint: mountPoint, fsType: mount.filesystemType,
                    labels: Self.labels(
                        device: mount.source, deviceError: "", fsType: mount.filesystemType, mountPoint),
                    mountInfoLabels: LabelSet(sortedUniqueLabels: [
                        Label("device", mount.source), Label("major", String(mount.major)),
                        Label("minor", String(mount.minor)), Label("mountpoint", mountPoint),
                    ]),
                    readOnly: Self.isReadOnly(mount) ? 1 : 0))
            plan.paths.append(statfsPath(mountPoint))
        }
        plan.order = exposureOrder(of: plan.targets.map(\.labels))
        return plan
    }

    private static func labels(device: String, deviceError: String, fsType: String, _ mountPoint: String) -> LabelSet {
        LabelSet(sortedUniqueLabels: [
            Label("device", device), Label("device_error", deviceError), Label("fstype", fsType),
            Label("mountpoint", mountPoint),
        ])
    }

    /// Whether the mount or its superblock is read-only: `ro` among the mount or super options, or `emergency_ro`
    /// among the super options (set by a filesystem that hit errors).
    static func isReadOnly(_ mount: MountInfo) -> Bool {
        mount.mountOptions.split(separator: ",").contains("ro")
            || mount.superOptions.split(separator: ",").contains { $0 == "ro" || $0 == "emergency_ro" }
    }

    /// The mount point as exposed: without the rootfs prefix, so that a container that mounts the host's root at
    /// `/host` reports `/home` rather than `/host/home`.
    func exposedMountPoint(_ mountPoint: String) -> String {
        let root = trimmedRoot
        guard !root.isEmpty else { return mountPoint }
        if mountPoint == root { return "/" }
        guard mountPoint.utf8.starts(with: root.utf8),
            mountPoint.utf8.dropFirst(root.utf8.count).first == UInt8(ascii: "/")
        else { return mountPoint }
        return String(Substring(mountPoint.utf8.dropFirst(root.utf8.count)))
    }

    /// The path to `statfs` for an exposed mount point: the mount point under the rootfs.
    func statfsPath(_ mountPoint: String) -> String {
        let root = trimmedRoot
        guard !root.isEmpty else { return mountPoint }
        return mountPoint == "/" ? root : root + mountPoint
    }

    /// The rootfs without trailing slashes; empty for `/`.
    private var trimmedRoot: String {
        var root = Substring(rootFS)
        while root.utf8.last == UInt8(ascii: "/") { root = root.dropLast() }
        return String(root)
    }
}
