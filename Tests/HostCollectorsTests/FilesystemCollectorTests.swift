import HostCollectors
import MetricsCore
import Synchronization
import Testing

/// A filesystem source that records the paths it is asked for and answers every one with the same numbers.
final class RecordingFilesystemStats: FilesystemStatsSource {
    private let paths = Mutex<[String]>([])

    func statistics(path: String) throws(FilesystemStatsError) -> FilesystemStatistics {
        paths.withLock { $0.append(path) }
        return Fixtures.statistics(blockSize: 512, blocks: 100, free: 50, available: 40)
    }

    var requestedPaths: [String] { paths.withLock { $0.sorted() } }
}

@Suite struct FilesystemCollectorTests {
    @Test func reportsTheMountsTheDefaultFiltersKeep() throws {
        let snapshot = try makeRegistry(collectors: ["filesystem"], options: Fixtures.options()).collect()
        let ok: (String, String, String) -> [String: String] = { device, fsType, mountPoint in
            ["device": device, "device_error": "", "fstype": fsType, "mountpoint": mountPoint]
        }
        let nfs = [
            "device": "fileserver:/export/data", "device_error": "stale file handle", "fstype": "nfs4",
            "mountpoint": "/mnt/nfs",
        ]
        let healthy = [
            ok("/dev/mapper/vg0-srv", "ext4", "/srv"), ok("/dev/nvme0n1p1", "xfs", "/mnt/my disk"),
            ok("/dev/vda1", "ext4", "/"), ok("/dev/vda2", "ext4", "/boot"), ok("tmpfs", "tmpfs", "/run"),
        ]
        #expect(snapshot.labels("node_filesystem_device_error") == Array(healthy[...3]) + [nfs] + [healthy[4]])
        #expect(snapshot.family(sample: "node_filesystem_device_error")?.values == [0, 0, 0, 0, 1, 0])
        #expect(snapshot.labels("node_filesystem_readonly") == Array(healthy[...3]) + [nfs] + [healthy[4]])
        #expect(snapshot.family(sample: "node_filesystem_readonly")?.values == [1, 0, 0, 0, 0, 0])
        for family in [
            "node_filesystem_size_bytes", "node_filesystem_free_bytes", "node_filesystem_avail_bytes",
            "node_filesystem_files", "node_filesystem_files_free",
        ] {
            #expect(snapshot.labels(family) == healthy, "\(family)")
            #expect(snapshot.family(sample: family)?.descriptor.type == .gauge)
        }
        let root = ok("/dev/vda1", "ext4", "/")
        #expect(snapshot.value("node_filesystem_size_bytes", root) == 20_480_000_000)
        #expect(snapshot.value("node_filesystem_free_bytes", root) == 12_288_000_000)
        #expect(snapshot.value("node_filesystem_avail_bytes", root) == 11_264_000_000)
        #expect(snapshot.value("node_filesystem_files", root) == 312_500)
        #expect(snapshot.value("node_filesystem_files_free", root) == 187_500)
        #expect(snapshot.value("node_filesystem_size_bytes", ok("/dev/vda2", "ext4", "/boot")) == 1_024_000_000)
        #expect(
            snapshot.labels("node_filesystem_mount_info") == [
                ["device": "/dev/mapper/vg0-srv", "major": "253", "minor": "0", "mountpoint": "/srv"],
                ["device": "/dev/nvme0n1p1", "major": "259", "minor": "1", "mountpoint": "/mnt/my disk"],
                ["device": "/dev/vda1", "major": "254", "minor": "1", "mountpoint": "/"],
                ["device": "/dev/vda2", "major": "254", "minor": "2", "mountpoint": "/boot"],
                ["device": "tmpfs", "major": "0", "minor": "23", "mountpoint": "/run"],
            ])
        #expect(snapshot.success("filesystem") == 1)
    }

    @Test func statsMountPointsUnderTheRootfsAndDecodesSpaces() throws {
        let source = RecordingFilesystemStats()
        _ = try makeRegistry(collectors: ["filesystem"], options: Fixtures.options(filesystemStats: source)).collect()
        #expect(
            source.requestedPaths == [
                Fixtures.rootFS, Fixtures.rootFS + "/boot", Fixtures.rootFS + "/mnt/my disk",
                Fixtures.rootFS + "/mnt/nfs", Fixtures.rootFS + "/run", Fixtures.rootFS + "/srv",
            ])
    }

    @Test func removesTheRootfsPrefixFromMountPoints() throws {
        let tree = try FixtureCopy()
        try tree.write(
            "proc/1/mountinfo",
            """
            40 1 254:1 / /host rw - ext4 /dev/vda1 rw
            41 40 254:2 / /host/data rw - ext4 /dev/vda2 rw
            42 1 254:3 / /hostile rw - ext4 /dev/vda3 rw

            """)
        let source = RecordingFilesystemStats()
        var options = Fixtures.options(directory: tree.directory, filesystemStats: source)
        options.rootFS = "/host"
        let snapshot = try makeRegistry(collectors: ["filesystem"], options: options).collect()
        #expect(snapshot.labelValues("node_filesystem_size_bytes", "mountpoint") == ["/", "/data", "/hostile"])
        #expect(source.requestedPaths == ["/host", "/host/data", "/host/hostile"])
    }

    @Test func aRootfsOfSlashLeavesPathsAlone() throws {
        var options = Fixtures.options(filesystemStats: RecordingFilesystemStats())
        options.rootFS = "/"
        let source = RecordingFilesystemStats()
        options.filesystemStats = source
        let snapshot = try makeRegistry(collectors: ["filesystem"], options: options).collect()
        #expect(source.requestedPaths == ["/", "/boot", "/mnt/my disk", "/mnt/nfs", "/run", "/srv"])
        #expect(snapshot.labelValues("node_filesystem_size_bytes", "mountpoint").sorted() == source.requestedPaths)
    }

    @Test func deduplicatesMountsByDeviceMountPointAndType() throws {
        let tree = try FixtureCopy()
        let original = try String(contentsOfFile: tree.directory + "/proc/1/mountinfo", encoding: .utf8)
        try tree.write("proc/1/mountinfo", original + "50 22 254:1 / / rw,noatime shared:1 - ext4 /dev/vda1 rw\n")
        let snapshot = try makeRegistry(
            collectors: ["filesystem"], options: Fixtures.options(directory: tree.directory)
        ).collect()
        #expect(snapshot.labelValues("node_filesystem_size_bytes", "mountpoint").filter { $0 == "/" }.count == 1)
        #expect(snapshot.labels("node_filesystem_size_bytes").count == 5)
    }

    @Test func fallsBackToTheOwnMountsWhenPidOneIsHidden() throws {
        let tree = try FixtureCopy()
        try tree.remove("proc/1/mountinfo")
        try tree.write("proc/self/mountinfo", "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n")
        let snapshot = try makeRegistry(
            collectors: ["filesystem"], options: Fixtures.options(directory: tree.directory)
        ).collect()
        #expect(snapshot.labelValues("node_filesystem_size_bytes", "mountpoint") == ["/"])
    }

    @Test(arguments: [
        ("rw,relatime", "rw", 0.0),
        ("ro,relatime", "rw", 1.0),
        ("rw,relatime", "ro", 1.0),
        ("rw", "rw,emergency_ro", 1.0),
        ("rw", "rw,errors=remount-ro", 0.0),
        ("rw,nosuid", "rw,errors=ro", 0.0),
    ])
    func readOnlyComesFromMountOrSuperOptions(mountOptions: String, superOptions: String, readOnly: Double) throws {
        let tree = try FixtureCopy()
        try tree.write("proc/1/mountinfo", "22 1 254:1 / / \(mountOptions) shared:1 - ext4 /dev/vda1 \(superOptions)\n")
        let snapshot = try makeRegistry(
            collectors: ["filesystem"], options: Fixtures.options(directory: tree.directory)
        ).collect()
        #expect(snapshot.family(sample: "node_filesystem_readonly")?.values == [readOnly])
    }

    @Test(
        arguments: [
            (nil, "^/(boot|srv)$", nil, nil, ["/boot", "/srv"]),
            (nil, nil, "^(tmpfs|nfs4)$", nil, ["/", "/boot", "/mnt/my disk", "/srv"]),
            (nil, nil, nil, "^ext4$", ["/", "/boot", "/srv"]),
            (
                "^/mnt/", nil, nil, nil,
                ["/", "/boot", "/dev/shm", "/run", "/run/credentials/systemd-journald.service", "/srv"]
            ),
        ] as [(String?, String?, String?, String?, [String])])
    func excludeAndIncludePatternsSelectMounts(
        mountPointsExclude: String?, mountPointsInclude: String?, fsTypesExclude: String?, fsTypesInclude: String?,
        mountPoints: [String]
    ) throws {
        var options = Fixtures.options()
        options.filesystemMountPointsExclude = mountPointsExclude
        options.filesystemMountPointsInclude = mountPointsInclude
        options.filesystemFSTypesExclude = fsTypesExclude
        options.filesystemFSTypesInclude = fsTypesInclude
        let snapshot = try makeRegistry(collectors: ["filesystem"], options: options).collect()
        #expect(snapshot.labelValues("node_filesystem_device_error", "mountpoint").sorted() == mountPoints)
    }

    @Test func mountsAppearAndVanishBetweenCollections() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(
            collectors: ["filesystem"], options: Fixtures.options(directory: tree.directory))
        #expect(registry.collect().labels("node_filesystem_readonly").count == 6)
        try tree.write(
            "proc/1/mountinfo",
            "22 1 254:1 / / rw - ext4 /dev/vda1 rw\n60 22 0:70 / /media/usb\\040stick rw - vfat /dev/sdc1 rw\n")
        let changed = registry.collect()
        #expect(changed.labelValues("node_filesystem_readonly", "mountpoint") == ["/media/usb stick", "/"])
        #expect(
            changed.value(
                "node_filesystem_device_error",
                [
                    "device": "/dev/sdc1", "device_error": "no such file or directory", "fstype": "vfat",
                    "mountpoint": "/media/usb stick",
                ]) == 1)
    }

    @Test func aMalformedMountinfoFailsTheCollector() throws {
        let tree = try FixtureCopy()
        try tree.write("proc/1/mountinfo", "22 1 254:1 / / rw shared:1 ext4 /dev/vda1 rw\n")
        let snapshot = try makeRegistry(
            collectors: ["filesystem", "loadavg"], options: Fixtures.options(directory: tree.directory)
        ).collect()
        #expect(snapshot.success("filesystem") == 0)
        #expect(snapshot.success("loadavg") == 1)
        #expect(snapshot.family(sample: "node_filesystem_readonly") == nil)
    }

    @Test func reportsStatfsOfTheRealRootWithTheSystemSource() throws {
        var options = Fixtures.options()
        options.rootFS = "/"
        options.filesystemStats = SystemFilesystemStats()
        let tree = try FixtureCopy()
        try tree.write("proc/1/mountinfo", "22 1 254:1 / / rw - ext4 /dev/root rw\n")
        options.procFS = .init(root: tree.directory + "/proc")
        let snapshot = try makeRegistry(collectors: ["filesystem"], options: options).collect()
        let size = try #require(snapshot.family(sample: "node_filesystem_size_bytes")?.values.first)
        #expect(size > 0)
        #expect(snapshot.family(sample: "node_filesystem_device_error")?.values == [0])
    }
}
