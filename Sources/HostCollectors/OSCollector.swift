import Glibc
import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `os` collector: `node_os_info` with the identification of /etc/os-release (else
/// /usr/lib/os-release) under `--path.rootfs`, and `node_os_version{id,id_like,name}` with the major.minor number
/// of `VERSION_ID` when it has one (collector/os_release.go).
///
/// As node_exporter does, the file is parsed again only when its path or modification time changes; a scrape
/// costs a `stat`. Without either file nothing is exposed.
final class OSCollector: Sendable {
    /// The two files, in the order they are tried.
    private let paths: [String]
    private let info: ObservableInstrument
    private let version: ObservableInstrument
    private let cache = Mutex<Cached?>(nil)

    /// What the last parse produced, and of which file.
    private struct Cached {
        let path: String
        let modified: timespec
        let infoLabels: LabelSet
        let versionLabels: LabelSet
        let version: Double
    }

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try OSCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        paths = [joinedPath(options.rootFS, "etc/os-release"), joinedPath(options.rootFS, "usr/lib/os-release")]
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge(
                "node_os_info",
                help: "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, "
                    + "name, pretty_name, variant, variant_id, version, version_codename, version_id."),
            .gauge("node_os_version", help: "Metric containing the major.minor part of the OS version."),
        ])
        info = instruments[0]
        version = instruments[1]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        guard let current = try currentRelease() else { return }
        recorder.observe(info, 1, labels: current.infoLabels)
        if current.version > 0 { recorder.observe(version, current.version, labels: current.versionLabels) }
    }

    /// The parsed identification of the first file that exists, from the cache when that file is unchanged.
    private func currentRelease() throws -> Cached? {
        for path in paths {
            var status = stat()
            guard stat(path, &status) == 0 else {
                if errno == ENOENT || errno == ENOTDIR { continue }
                throw ProcFSError.readFailed(path: path, call: "stat", errno: errno)
            }
            let modified = status.st_mtim
            if let cached = cache.withLock({ $0 }), cached.path == path, cached.modified.tv_sec == modified.tv_sec,
                cached.modified.tv_nsec == modified.tv_nsec
            {
                return cached
            }
            let release = try KernelFile(path: path).parse(OSRelease.parse)
            let parsed = Cached(
                path: path, modified: modified,
                infoLabels: LabelSet(sortedUniqueLabels: [
                    Label("build_id", release["BUILD_ID"]), Label("id", release["ID"]),
                    Label("id_like", release["ID_LIKE"]), Label("image_id", release["IMAGE_ID"]),
                    Label("image_version", release["IMAGE_VERSION"]), Label("name", release["NAME"]),
                    Label("pretty_name", release["PRETTY_NAME"]), Label("variant", release["VARIANT"]),
                    Label("variant_id", release["VARIANT_ID"]), Label("version", release["VERSION"]),
                    Label("version_codename", release["VERSION_CODENAME"]),
                    Label("version_id", release["VERSION_ID"]),
                ]),
                versionLabels: LabelSet(sortedUniqueLabels: [
                    Label("id", release["ID"]), Label("id_like", release["ID_LIKE"]), Label("name", release["NAME"]),
                ]),
                version: release.majorMinorVersion)
            cache.withLock { $0 = parsed }
            return parsed
        }
        return nil
    }
}

/// `relative` under `root` with one slash between them.
private func joinedPath(_ root: String, _ relative: String) -> String {
    root.hasSuffix("/") ? root + relative : root + "/" + relative
}
