import HostCollectors
import MetricsCore
import Testing

@Suite struct DiskStatsCollectorTests {
    static let counters = [
        "node_disk_reads_completed_total", "node_disk_reads_merged_total", "node_disk_read_bytes_total",
        "node_disk_read_time_seconds_total", "node_disk_writes_completed_total", "node_disk_writes_merged_total",
        "node_disk_written_bytes_total", "node_disk_write_time_seconds_total", "node_disk_io_time_seconds_total",
        "node_disk_io_time_weighted_seconds_total",
    ]

    @Test func theDefaultExclusionKeepsWholeDisks() throws {
        let snapshot = try makeRegistry(collectors: ["diskstats"], options: Fixtures.options()).collect()
        for family in Self.counters + ["node_disk_io_now", "node_disk_info"] {
            #expect(snapshot.labelValues(family, "device") == ["dm-0", "nvme0n1", "sda", "vda"], "\(family)")
        }
        #expect(snapshot.family(sample: "node_disk_io_now")?.descriptor.type == .gauge)
        #expect(snapshot.family(sample: "node_disk_reads_completed_total")?.descriptor.type == .counter)
    }

    @Test func convertsSectorsToBytesAndMillisecondsToSeconds() throws {
        let snapshot = try makeRegistry(collectors: ["diskstats"], options: Fixtures.options()).collect()
        let vda = ["device": "vda"]
        #expect(snapshot.value("node_disk_reads_completed_total", vda) == 32422)
        #expect(snapshot.value("node_disk_reads_merged_total", vda) == 8873)
        #expect(snapshot.value("node_disk_read_bytes_total", vda) == 2_354_705_408)
        #expect(snapshot.value("node_disk_read_time_seconds_total", vda) == 35354 * 0.001)
        #expect(snapshot.value("node_disk_writes_completed_total", vda) == 12820)
        #expect(snapshot.value("node_disk_writes_merged_total", vda) == 13866)
        #expect(snapshot.value("node_disk_written_bytes_total", vda) == 985_370_624)
        #expect(snapshot.value("node_disk_write_time_seconds_total", vda) == 8847 * 0.001)
        #expect(snapshot.value("node_disk_io_now", vda) == 0)
        #expect(snapshot.value("node_disk_io_time_seconds_total", vda) == 18324 * 0.001)
        #expect(snapshot.value("node_disk_io_time_weighted_seconds_total", vda) == 44877 * 0.001)
        #expect(snapshot.value("node_disk_discards_completed_total", vda) == 4900)
        #expect(snapshot.value("node_disk_discards_merged_total", vda) == 0)
        #expect(snapshot.value("node_disk_discarded_sectors_total", vda) == 667_640)
        #expect(snapshot.value("node_disk_discard_time_seconds_total", vda) == 577 * 0.001)
        #expect(snapshot.value("node_disk_flush_requests_total", vda) == 1623)
        #expect(snapshot.value("node_disk_flush_requests_time_seconds_total", vda) == 96 * 0.001)
        #expect(snapshot.value("node_disk_io_now", ["device": "sda"]) == 3)
    }

    @Test func discardAndFlushFamiliesFollowTheColumnsOfEachLine() throws {
        let snapshot = try makeRegistry(collectors: ["diskstats"], options: Fixtures.options()).collect()
        for family in [
            "node_disk_discards_completed_total", "node_disk_discards_merged_total",
            "node_disk_discarded_sectors_total", "node_disk_discard_time_seconds_total",
        ] {
            #expect(snapshot.labelValues(family, "device") == ["dm-0", "nvme0n1", "vda"], "\(family)")
        }
        for family in ["node_disk_flush_requests_total", "node_disk_flush_requests_time_seconds_total"] {
            #expect(snapshot.labelValues(family, "device") == ["dm-0", "vda"], "\(family)")
        }
    }

    @Test func infoCarriesUdevAndSysfsFacts() throws {
        let snapshot = try makeRegistry(collectors: ["diskstats"], options: Fixtures.options()).collect()
        #expect(
            snapshot.labels("node_disk_info") == [
                [
                    "device": "dm-0", "major": "253", "minor": "0", "path": "", "wwn": "", "model": "", "serial": "",
                    "revision": "", "rotational": "0",
                ],
                [
                    "device": "nvme0n1", "major": "259", "minor": "0", "path": "", "wwn": "", "model": "", "serial": "",
                    "revision": "", "rotational": "0",
                ],
                [
                    "device": "sda", "major": "8", "minor": "0", "path": "pci-0000:00:1f.2-ata-1.0",
                    "wwn": "0x5000c500a1b2c3d4", "model": "QEMU_HARDDISK", "serial": "QM00001", "revision": "2.5+",
                    "rotational": "1",
                ],
                [
                    "device": "vda", "major": "254", "minor": "0", "path": "", "wwn": "", "model": "", "serial": "",
                    "revision": "", "rotational": "0",
                ],
            ])
        #expect(snapshot.family(sample: "node_disk_info")?.values == [1, 1, 1, 1])
        // sda's udev file says ID_ATA=1 but has none of the write-cache or rotation properties.
        #expect(snapshot.family(sample: "node_disk_ata_write_cache") == nil)
        #expect(snapshot.family(sample: "node_disk_filesystem_info") == nil)
        #expect(snapshot.family(sample: "node_disk_device_mapper_info") == nil)
    }

    @Test func aChangedUdevFileIsReadAgain() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(
            collectors: ["diskstats"], options: Fixtures.options(directory: tree.directory))
        #expect(registry.collect().labels("node_disk_info")[2]["model"] == "QEMU_HARDDISK")

        try tree.write(
            "udev/data/b8:0",
            """
            E:ID_ATA=1
            E:ID_MODEL=Spinner_2000
            E:ID_SERIAL=Spinner_2000_XYZ
            E:ID_ATA_WRITE_CACHE=1
            E:ID_ATA_WRITE_CACHE_ENABLED=0
            E:ID_ATA_ROTATION_RATE_RPM=7200
            E:ID_FS_TYPE=LVM2_member
            E:ID_FS_USAGE=raid
            E:ID_FS_UUID=abc
            E:ID_FS_VERSION=LVM2 001

            """)
        try tree.write(
            "udev/data/b253:0",
            "E:DM_NAME=vg0-srv\nE:DM_UUID=LVM-xyz\nE:DM_VG_NAME=vg0\nE:DM_LV_NAME=srv\n")
        try tree.write("sys/block/sda/queue/rotational", "0\n")
        let snapshot = registry.collect()
        let sda = snapshot.labels("node_disk_info")[2]
        #expect(sda["model"] == "Spinner_2000")
        #expect(sda["serial"] == "Spinner_2000_XYZ")
        #expect(sda["path"] == "")
        #expect(sda["rotational"] == "0")
        #expect(snapshot.value("node_disk_ata_write_cache", ["device": "sda"]) == 1)
        #expect(snapshot.value("node_disk_ata_write_cache_enabled", ["device": "sda"]) == 0)
        #expect(snapshot.value("node_disk_ata_rotation_rate_rpm", ["device": "sda"]) == 7200)
        #expect(
            snapshot.labels("node_disk_filesystem_info") == [
                ["device": "sda", "type": "LVM2_member", "usage": "raid", "uuid": "abc", "version": "LVM2 001"]
            ])
        #expect(
            snapshot.labels("node_disk_device_mapper_info") == [
                [
                    "device": "dm-0", "name": "vg0-srv", "uuid": "LVM-xyz", "vg_name": "vg0", "lv_name": "srv",
                    "lv_layer": "",
                ]
            ])
    }

    @Test func devicesAppearAndVanishBetweenCollections() throws {
        let tree = try FixtureCopy()
        let registry = try makeRegistry(
            collectors: ["diskstats"], options: Fixtures.options(directory: tree.directory))
        _ = registry.collect()
        try tree.apply(scenario: "devices-changed", "proc/diskstats")
        let changed = registry.collect()
        #expect(changed.labelValues("node_disk_reads_completed_total", "device") == ["dm-0", "nvme0n1", "sdb", "vda"])
        #expect(changed.value("node_disk_read_bytes_total", ["device": "sdb"]) == 49_152_000)
        #expect(changed.labelValues("node_disk_info", "device") == ["dm-0", "nvme0n1", "sdb", "vda"])

        try tree.write("proc/diskstats", "")
        let empty = registry.collect()
        #expect(empty.success("diskstats") == 1)
        #expect(!empty.families.contains { $0.descriptor.name.hasPrefix("node_disk_") })
    }

    @Test(
        arguments: [
            (nil, "^sd", ["sda"]),
            ("^(vda|dm-0)$", nil, ["loop0", "nvme0n1", "nvme0n1p1", "sda", "vda1", "vda2"]),
            ("", nil, ["dm-0", "loop0", "nvme0n1", "nvme0n1p1", "sda", "vda", "vda1", "vda2"]),
            ("nvme", nil, ["dm-0", "loop0", "sda", "vda", "vda1", "vda2"]),
        ] as [(String?, String?, [String])])
    func excludeAndIncludePatternsSelectDevices(exclude: String?, include: String?, devices: [String]) throws {
        var options = Fixtures.options()
        options.diskStatsDeviceExclude = exclude
        options.diskStatsDeviceInclude = include
        let snapshot = try makeRegistry(collectors: ["diskstats"], options: options).collect()
        #expect(snapshot.labelValues("node_disk_reads_completed_total", "device") == devices)
    }
}
