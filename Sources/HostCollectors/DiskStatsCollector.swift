import Glibc
import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `diskstats` collector: the counters of /proc/diskstats per block device, and the udev and sysfs
/// facts about each device as info gauges (collector/diskstats_linux.go).
///
/// Sectors are 512 bytes whatever the device (`node_disk_discarded_sectors_total` stays in sectors, as in
/// node_exporter) and times are milliseconds, exposed in seconds. The discard families appear only for devices whose
/// line has the discard columns (kernel 4.18+), the flush families only with the flush columns (5.5+).
///
/// `node_disk_info` carries the udev properties `ID_PATH`, `ID_WWN`, `ID_MODEL`, the serial (`SCSI_IDENT_SERIAL`,
/// else `ID_SERIAL_SHORT`, else `ID_SERIAL`) and `ID_REVISION`, empty when the device has no udev database file, and
/// `rotational` from `/sys/block/<device>/queue/rotational` ("0" when that cannot be read). A udev file is parsed
/// again only when its inode, size or modification time changed.
final class DiskStatsCollector: Sendable {
    /// The counters of each line, in column order: (name, UCUM unit, help).
    private static let columns: [(name: String, unit: String, help: String)] = [
        ("node_disk_reads_completed_total", "", "Reads completed."),
        ("node_disk_reads_merged_total", "", "Adjacent reads merged into one."),
        ("node_disk_read_bytes_total", "By", "Bytes read."),
        ("node_disk_read_time_seconds_total", "s", "Time spent reading, in seconds."),
        ("node_disk_writes_completed_total", "", "Writes completed."),
        ("node_disk_writes_merged_total", "", "Adjacent writes merged into one."),
        ("node_disk_written_bytes_total", "By", "Bytes written."),
        ("node_disk_write_time_seconds_total", "s", "Time spent writing, in seconds."),
        ("node_disk_io_now", "", "I/O requests in flight."),
        ("node_disk_io_time_seconds_total", "s", "Time with I/O in flight, in seconds."),
        (
            "node_disk_io_time_weighted_seconds_total", "s",
            "Time with I/O in flight weighted by the number of requests in flight, in seconds."
        ),
        ("node_disk_discards_completed_total", "", "Discards completed."),
        ("node_disk_discards_merged_total", "", "Adjacent discards merged into one."),
        ("node_disk_discarded_sectors_total", "", "512-byte sectors discarded."),
        ("node_disk_discard_time_seconds_total", "s", "Time spent discarding, in seconds."),
        ("node_disk_flush_requests_total", "", "Flush requests completed."),
        ("node_disk_flush_requests_time_seconds_total", "s", "Time spent flushing, in seconds."),
    ]

    /// The index of the one gauge among ``columns``.
    private static let ioNowColumn = 8

    /// The udev properties that become `node_disk_ata_*` gauges, and their metric names.
    private static let ataProperties = [
        ("ID_ATA_WRITE_CACHE", "node_disk_ata_write_cache", "Whether the ATA disk has a write cache."),
        (
            "ID_ATA_WRITE_CACHE_ENABLED", "node_disk_ata_write_cache_enabled",
            "Whether the ATA disk's write cache is enabled."
        ),
        ("ID_ATA_ROTATION_RATE_RPM", "node_disk_ata_rotation_rate_rpm", "Rotation rate of the ATA disk (0 for SSDs)."),
    ]

    /// Sectors in /proc/diskstats are 512 bytes (Documentation/admin-guide/iostats.rst).
    static let sectorBytes = 512.0
    /// Milliseconds to seconds, as node_exporter multiplies.
    static let secondsPerMillisecond = 1.0 / 1000.0

    /// /proc/diskstats.
    private let file: KernelFile
    private let sysFS: SysFS
    private let udev: UdevDatabase
    private let filter: NameFilter
    private let counters: [ObservableInstrument]
    private let info: ObservableInstrument
    private let filesystemInfo: ObservableInstrument
    private let deviceMapperInfo: ObservableInstrument
    private let ata: [ObservableInstrument]
    private let layout = Mutex(DeviceLayout<Disk>())

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try DiskStatsCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        file = KernelFile(path: options.procFS.path("diskstats"))
        sysFS = options.sysFS
        udev = options.udevDatabase
        filter = try options.diskStatsFilter()
        var specs = Self.columns.enumerated().map { index, column in
            let help = column.help + " Per block device."
            return index == Self.ioNowColumn
                ? InstrumentSpec.gauge(column.name, unit: column.unit, help: help)
                : InstrumentSpec.counter(column.name, unit: column.unit, help: help)
        }
        specs += [
            .gauge("node_disk_info", help: "Identity of a block device from udev and sysfs; the value is always 1."),
            .gauge(
                "node_disk_filesystem_info", help: "The filesystem udev found on a block device; the value is always 1."
            ),
            .gauge(
                "node_disk_device_mapper_info",
                help: "The device-mapper names of a block device; the value is always 1."),
        ]
        specs += Self.ataProperties.map { _, name, help in .gauge(name, help: help) }
        let instruments = try InstrumentFactory(meter: meter).make(specs)
        let infoIndex = Self.columns.count
        counters = Array(instruments[..<infoIndex])
        info = instruments[infoIndex]
        filesystemInfo = instruments[infoIndex + 1]
        deviceMapperInfo = instruments[infoIndex + 2]
        ata = Array(instruments[(infoIndex + 3)...])
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let disks = try file.parse(DiskStats.parse)
        layout.withLock { layout in
            layout.update(
                count: disks.count, name: { disks[$0].device },
                makeEntry: { device in filter.admits(device) ? Disk(device: device, sysFS: sysFS) : nil },
                labels: \.labels.device)
            let slots = layout.slots
            for position in layout.order {
                guard let disk = slots[position] else { continue }
                let stats = disks[position]
                let labels = disk.refreshLabels(major: stats.major, minor: stats.minor, udev: udev)
                observe(stats, labels, into: &recorder)
            }
        }
    }

    private func observe(_ stats: DiskStats, _ disk: DiskLabels, into recorder: inout ObservationRecorder) {
        let labels = disk.device
        recorder.observe(info, 1, labels: disk.info)
        recorder.observe(counters[0], Double(stats.readsCompleted), labels: labels)
        recorder.observe(counters[1], Double(stats.readsMerged), labels: labels)
        recorder.observe(counters[2], Double(stats.sectorsRead) * Self.sectorBytes, labels: labels)
        recorder.observe(counters[3], Double(stats.readMilliseconds) * Self.secondsPerMillisecond, labels: labels)
        recorder.observe(counters[4], Double(stats.writesCompleted), labels: labels)
        recorder.observe(counters[5], Double(stats.writesMerged), labels: labels)
        recorder.observe(counters[6], Double(stats.sectorsWritten) * Self.sectorBytes, labels: labels)
        recorder.observe(counters[7], Double(stats.writeMilliseconds) * Self.secondsPerMillisecond, labels: labels)
        recorder.observe(counters[8], Double(stats.ioInProgress), labels: labels)
        recorder.observe(counters[9], Double(stats.ioMilliseconds) * Self.secondsPerMillisecond, labels: labels)
        recorder.observe(
            counters[10], Double(stats.weightedIOMilliseconds) * Self.secondsPerMillisecond, labels: labels)
        if let discards = stats.discards {
            recorder.observe(counters[11], Double(discards.completed), labels: labels)
            recorder.observe(counters[12], Double(discards.merged), labels: labels)
            recorder.observe(counters[13], Double(discards.sectors), labels: labels)
            recorder.observe(counters[14], Double(discards.milliseconds) * Self.secondsPerMillisecond, labels: labels)
        }
        if let flushes = stats.flushes {
            recorder.observe(counters[15], Double(flushes.completed), labels: labels)
            recorder.observe(counters[16], Double(flushes.milliseconds) * Self.secondsPerMillisecond, labels: labels)
        }
        if let labels = disk.filesystemInfo { recorder.observe(filesystemInfo, 1, labels: labels) }
        if let labels = disk.deviceMapperInfo { recorder.observe(deviceMapperInfo, 1, labels: labels) }
        for (index, value) in disk.ataValues.enumerated() {
            if let value { recorder.observe(ata[index], value, labels: labels) }
        }
    }

    /// The label sets and udev values of one device, as one collection observes them.
    private struct DiskLabels: Sendable {
        /// `{device}`, the labels of the counters.
        let device: LabelSet
        var info = LabelSet.empty
        var filesystemInfo: LabelSet?
        var deviceMapperInfo: LabelSet?
        /// One value per element of ``DiskStatsCollector/ataProperties``, when udev has it.
        var ataValues: [Double?] = []
    }

    /// What the collector remembers about one reported device. Only touched with the layout's lock held.
    private final class Disk {
        let labels: DiskLabels
        private let name: String
        /// `/sys/block/<device>/queue/rotational`.
        private let rotationalFile: KernelFile
        private var major: UInt32 = 0
        private var minor: UInt32 = 0
        private var udevPath = ""
        private var udevIdentity: FileIdentity?
        private var udevProperties: [String: String] = [:]
        private var rotational = false
        private var current: DiskLabels
        private var hasFacts = false

        init(device: String, sysFS: SysFS) {
            name = device
            labels = DiskLabels(device: LabelSet(sortedUniqueLabels: [Label("device", device)]))
            current = labels
            rotationalFile = KernelFile(path: sysFS.rotationalPath(blockDevice: device))
        }

        /// The device's label sets after re-reading the facts that may have changed since the last collection;
        /// the info label sets are rebuilt only when one did.
        func refreshLabels(major: UInt32, minor: UInt32, udev: UdevDatabase) -> DiskLabels {
            var changed = !hasFacts || major != self.major || minor != self.minor
            if changed {
                self.major = major
                self.minor = minor
                udevPath = udev.path(major: major, minor: minor)
            }
            let identity = FileIdentity(path: udevPath)
            if changed || identity != udevIdentity {
                udevIdentity = identity
                udevProperties =
                    identity == nil ? [:] : (try? udev.blockDevice(major: major, minor: minor))?.properties ?? [:]
                changed = true
            }
            // As node_exporter: a device whose attribute cannot be read counts as not rotational; so does one whose
            // attribute holds neither 0 nor 1.
            let rotational = (try? rotationalFile.parse(SysFS.parseRotational)) ?? false
            if rotational != self.rotational {
                self.rotational = rotational
                changed = true
            }
            if changed {
                hasFacts = true
                current = makeLabels()
            }
            return current
        }

        private func makeLabels() -> DiskLabels {
            let properties = udevProperties
            let device = name
            let serial = ["SCSI_IDENT_SERIAL", "ID_SERIAL_SHORT", "ID_SERIAL"].lazy.compactMap { properties[$0] }
                .first { !$0.isEmpty }
            var result = labels
            result.info = LabelSet([
                Label("device", device), Label("major", String(major)), Label("minor", String(minor)),
                Label("path", properties["ID_PATH"] ?? ""), Label("wwn", properties["ID_WWN"] ?? ""),
                Label("model", properties["ID_MODEL"] ?? ""), Label("serial", serial ?? ""),
                Label("revision", properties["ID_REVISION"] ?? ""), Label("rotational", rotational ? "1" : "0"),
            ])
            if let type = properties["ID_FS_TYPE"], !type.isEmpty {
                result.filesystemInfo = LabelSet([
                    Label("device", device), Label("type", type), Label("usage", properties["ID_FS_USAGE"] ?? ""),
                    Label("uuid", properties["ID_FS_UUID"] ?? ""), Label("version", properties["ID_FS_VERSION"] ?? ""),
                ])
            }
            if let dmName = properties["DM_NAME"], !dmName.isEmpty {
                result.deviceMapperInfo = LabelSet([
                    Label("device", device), Label("name", dmName), Label("uuid", properties["DM_UUID"] ?? ""),
                    Label("vg_name", properties["DM_VG_NAME"] ?? ""), Label("lv_name", properties["DM_LV_NAME"] ?? ""),
                    Label("lv_layer", properties["DM_LV_LAYER"] ?? ""),
                ])
            }
            let isATA = !(properties["ID_ATA"] ?? "").isEmpty
            result.ataValues = DiskStatsCollector.ataProperties.map { property, _, _ in
                isATA ? properties[property].flatMap(Double.init) : nil
            }
            return result
        }
    }
}

/// Identifies one version of a file: udev replaces its database files by renaming new ones into place, which
/// changes the inode, and rewriting one in place changes its size or modification time.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modifiedSeconds: Int64
    let modifiedNanoseconds: Int64

    /// The identity of the file at `path`; nil when it cannot be `stat`ed (usually: it does not exist).
    init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
        modifiedSeconds = Int64(status.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(status.st_mtim.tv_nsec)
    }
}
