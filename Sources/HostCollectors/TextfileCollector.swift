import Exposition
import Glibc
import MetricsCore
import Synchronization

/// Why the textfile collector left a file (or a directory) out of a collection: the `reason` label of
/// `tally_textfile_errors_total`.
enum TextfileErrorReason: String, Sendable, CaseIterable {
    /// The directory could not be listed, or the file could not be opened, read or statted, or is not a regular file.
    case readError = "read_error"
    /// The file is not valid Prometheus text 0.0.4, including a last line without a line feed (a file cut short).
    case parseError = "parse_error"
    /// A sample carries a client-side timestamp (node_exporter refuses these as well).
    case timestamp
    /// The file is larger than `--collector.textfile.max-size`.
    case tooLarge = "too_large"
    /// The file's mtime is older than `--collector.textfile.max-age`.
    case stale
    /// A series the file holds was already read from an earlier file.
    case duplicateSeries = "duplicate_series"
    /// A family the file holds was read from an earlier file with another type, HELP text or histogram buckets.
    case conflictingMetadata = "conflicting_metadata"
    /// A family the file holds is named like a host metric, a `tally_*` metric, a pushed metric or a sample of
    /// another family.
    case nameConflict = "name_conflict"
    /// A histogram the file holds cannot be exposed: series with different buckets, counts that are not whole.
    case unsupported
}

/// node_exporter's textfile collector (collector/textfile.go in 1.5): every `*.prom` file of the directories given
/// by `--collector.textfile.directory`, parsed as Prometheus text and merged into the collection, with
/// `node_textfile_mtime_seconds{file}` (the full path, as 1.5 labels it; whole seconds) for each file served and
/// `node_textfile_scrape_error` (1 when any file or directory failed).
///
/// Where node_exporter only logs a problem, this collector leaves the whole file out and counts it in
/// `tally_textfile_errors_total{file,reason}` (see ``TextfileErrorReason``), once per collection that left it out;
/// the other files are served. A file is served whole or not at all, so a file caught half-written never yields part
/// of its series. Files are taken in directory order (as given), then by name; when two files conflict, the later
/// one is left out. A stale file still has its `node_textfile_mtime_seconds`, so that age alerts keep working.
///
/// Families from files keep their TYPE (untyped stays untyped, a family without TYPE is untyped, as node_exporter
/// exposes them) and HELP, or node_exporter's `Metric read from <files>` without one. A counter whose name lacks
/// `_total` is exposed untyped under its own name (see ``Exposition/ParsedMetricFamily/descriptor(help:)``). Labels
/// are exposed as written: node_exporter adds the labels other series of the family have with empty values, which
/// Prometheus stores the same way as absent ones.
///
/// Each collection lists the directories and stats every file; a file is read and parsed again only when its
/// inode, size or mtime changed. Reading is one read of at most `max-size` + 1 bytes. Family names are reserved in
/// the registry while files provide them, so no other family can take a name a file serves, and a file cannot take
/// one that is taken.
final class TextfileCollector: MetricProducer {
    let producerName = "textfile"
    let reportsCollectorStatus = true

    private let directories: [String]
    private let maxAgeSeconds: Double?
    private let maxSize: Int
    private let wallClock: @Sendable () -> Double
    private let registry: MetricRegistry
    private let mtimeDescriptor: MetricDescriptor
    private let scrapeErrorDescriptor: MetricDescriptor
    private let errorsDescriptor: MetricDescriptor
    private let state = Mutex(State())

    private struct State {
        var files: [String: CachedFile] = [:]
        /// The families of files this collector holds in the registry, by name.
        var reserved: [String: MetricDescriptor] = [:]
        /// `tally_textfile_errors_total`, by file and reason.
        var errorCounts: [ErrorKey: Double] = [:]
    }

    private struct ErrorKey: Hashable {
        let file: String
        let reason: TextfileErrorReason
    }

    private struct CachedFile {
        let version: FileVersion
        let outcome: Result<[FileFamily], FileFailure>
    }

    /// One non-empty family of a file, as parsed and as exposed with the file's own HELP (or an empty one).
    private struct FileFamily {
        let parsed: ParsedMetricFamily
        let snapshot: MetricFamilySnapshot
    }

    struct FileFailure: Error {
        let reason: TextfileErrorReason
        let message: String
    }

    /// The creator of the `textfile` entry of ``HostCollectorTable``. Without directories it still exposes
    /// `node_textfile_scrape_error` 0, as node_exporter does, which node-mixin's NodeTextFileCollectorScrapeError
    /// alert reads.
    @Sendable static func make(
        context: CollectorContext, registry: MetricRegistry
    ) throws(HostCollectorError) -> (any MetricProducer)? {
        try TextfileCollector(options: context.options, registry: registry)
    }

    init(options: HostCollectorOptions, registry: MetricRegistry) throws(HostCollectorError) {
        var seen: Set<String> = []
        directories = options.textfileDirectories.map(Self.withoutTrailingSlashes).filter { seen.insert($0).inserted }
        maxAgeSeconds = options.textfileMaxAge.map {
            Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18
        }
        maxSize = options.textfileMaxSize
        wallClock = options.wallClock
        self.registry = registry
        do {
            mtimeDescriptor = try MetricDescriptor(
                name: "node_textfile_mtime_seconds", type: .gauge,
                help: "Unixtime mtime of textfiles successfully read.", unit: "seconds")
            scrapeErrorDescriptor = try MetricDescriptor(
                name: "node_textfile_scrape_error", type: .gauge,
                help: "1 if there was an error opening or reading a file, 0 otherwise")
            errorsDescriptor = try MetricDescriptor(
                name: "tally_textfile_errors", type: .counter,
                help: "Collections that left a text file (or directory) out, by file and reason.")
            for descriptor in [mtimeDescriptor, scrapeErrorDescriptor, errorsDescriptor] {
                try registry.reserve(descriptor)
            }
        } catch {
            throw .registrationFailed(collector: "textfile", reason: error.description)
        }
    }

    /// `path` without trailing slashes (but `/` stays), so that file paths read as node_exporter's
    /// `filepath.Join` writes them.
    private static func withoutTrailingSlashes(_ path: String) -> String {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    func collect(into families: inout [MetricFamilySnapshot]) {
        let now = wallClock()
        state.withLock { state in
            collect(into: &families, now: now, state: &state)
        }
    }

    private func collect(into families: inout [MetricFamilySnapshot], now: Double, state: inout State) {
        var failures: [(file: String, reason: TextfileErrorReason)] = []
        var mtimes: [(file: String, seconds: Double)] = []
        var usable: [(path: String, families: [FileFamily])] = []
        var present: Set<String> = []

        for directory in directories {
            present.insert(directory)
            let names: [String]
            switch Self.promFiles(in: directory) {
            case .success(let found): names = found
            case .failure:
                failures.append((directory, .readError))
                continue
            }
            for name in names {
                let path = directory == "/" ? "/" + name : directory + "/" + name
                guard present.insert(path).inserted else { continue }
                var status = stat()
                guard stat(path, &status) == 0 else {
                    state.files[path] = nil
                    failures.append((path, .readError))
                    continue
                }
                if let maxAgeSeconds {
                    let mtime = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
                    if now - mtime > maxAgeSeconds {
                        failures.append((path, .stale))
                        mtimes.append((path, Double(status.st_mtim.tv_sec)))
                        continue
                    }
                }
                let cached: CachedFile
                if let entry = state.files[path], entry.version == FileVersion(status) {
                    cached = entry
                } else {
                    cached = load(path)
                    state.files[path] = cached
                }
                switch cached.outcome {
                case .success(let fileFamilies):
                    usable.append((path, fileFamilies))
                    mtimes.append((path, Double(cached.version.mtimeSeconds)))
                case .failure(let failure):
                    failures.append((path, failure.reason))
                }
            }
        }
        state.files = state.files.filter { present.contains($0.key) }

        let merged = merge(usable, state: &state, failures: &failures, mtimes: &mtimes)
        families.append(contentsOf: merged)

        for failure in failures {
            state.errorCounts[ErrorKey(file: failure.file, reason: failure.reason), default: 0] += 1
        }
        state.errorCounts = state.errorCounts.filter { present.contains($0.key.file) }
        appendOwnFamilies(failures: failures, mtimes: mtimes, state: state, to: &families)
    }

    /// The families of the usable files, merged: a later file that conflicts with what earlier files gave is left
    /// out (recorded in `failures`, its mtime removed). Reserves the names of the merged families in the registry and
    /// releases those no file gives any more.
    private func merge(
        _ files: [(path: String, families: [FileFamily])], state: inout State,
        failures: inout [(file: String, reason: TextfileErrorReason)], mtimes: inout [(file: String, seconds: Double)]
    ) -> [MetricFamilySnapshot] {
        var merged: [MergedFamily] = []
        var positionByName: [String: Int] = [:]
        /// The family that writes each sample name of the merged families.
        var writerBySampleName: [String: String] = [:]

        fileLoop: for file in files {
            var claimed: [String: String] = [:]
            for family in file.families {
                let descriptor = family.snapshot.descriptor
                let name = descriptor.name
                let failure: TextfileErrorReason?
                if name.hasPrefix("tally_") {
                    failure = .nameConflict
                } else if let position = positionByName[name] {
                    failure = merged[position].conflict(with: family)
                } else if descriptor.reservedNames.contains(where: {
                    (writerBySampleName[$0] ?? claimed[$0]).map { $0 != name } ?? false
                }) {
                    failure = .nameConflict
                } else {
                    failure = reserve(descriptor, state: &state) ? nil : .nameConflict
                }
                if let failure {
                    failures.append((file.path, failure))
                    mtimes.removeAll { $0.file == file.path }
                    continue fileLoop
                }
                for sampleName in descriptor.reservedNames { claimed[sampleName] = name }
            }
            for family in file.families {
                let name = family.snapshot.descriptor.name
                if let position = positionByName[name] {
                    merged[position].add(family, from: file.path)
                } else {
                    positionByName[name] = merged.count
                    merged.append(MergedFamily(family, from: file.path))
                }
            }
            writerBySampleName.merge(claimed) { old, _ in old }
        }

        for (name, descriptor) in state.reserved where positionByName[name] == nil {
            registry.release(descriptor)
            state.reserved[name] = nil
        }
        var snapshots: [MetricFamilySnapshot] = []
        snapshots.reserveCapacity(merged.count)
        for family in merged {
            do {
                snapshots.append(try family.snapshot())
            } catch {
                // The files agreed on type and buckets, so their union converts; should it not, its files are out.
                for path in family.files {
                    failures.append((path, .unsupported))
                    mtimes.removeAll { $0.file == path }
                }
            }
        }
        return snapshots
    }

    /// Reserves a file family's names in the registry unless this collector holds them already; false when another
    /// family has them.
    private func reserve(_ descriptor: MetricDescriptor, state: inout State) -> Bool {
        // The registry only compares names, so the reservation is made without HELP and outlives HELP changes.
        guard let reservation = try? MetricDescriptor(name: descriptor.name, type: descriptor.type, help: "") else {
            return false
        }
        if let held = state.reserved[descriptor.name] {
            if held == reservation { return true }
            registry.release(held)
            state.reserved[descriptor.name] = nil
        }
        do {
            try registry.reserve(reservation)
        } catch {
            return false
        }
        state.reserved[descriptor.name] = reservation
        return true
    }

    private func appendOwnFamilies(
        failures: [(file: String, reason: TextfileErrorReason)], mtimes: [(file: String, seconds: Double)],
        state: State, to families: inout [MetricFamilySnapshot]
    ) {
        let sortedMtimes = mtimes.sorted { $0.file.utf8.lexicographicallyPrecedes($1.file.utf8) }
        families.append(
            MetricFamilySnapshot(
                descriptor: mtimeDescriptor, labelSets: sortedMtimes.map { LabelSet([Label("file", $0.file)]) },
                values: sortedMtimes.map(\.seconds)))
        families.append(
            MetricFamilySnapshot(
                descriptor: scrapeErrorDescriptor, labelSets: [.empty], values: [failures.isEmpty ? 0 : 1]))
        let counts = state.errorCounts.map {
            (LabelSet(["file": $0.key.file, "reason": $0.key.reason.rawValue]), $0.value)
        }
        .sorted { $0.0 < $1.0 }
        families.append(
            MetricFamilySnapshot(descriptor: errorsDescriptor, labelSets: counts.map(\.0), values: counts.map(\.1)))
    }

    // MARK: Files

    /// Reads and parses one file, after checking that it is a regular file no larger than the limit.
    private func load(_ path: String) -> CachedFile {
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else {
            return CachedFile(
                version: FileVersion(), outcome: .failure(FileFailure(reason: .readError, message: "open: \(errno)")))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            return CachedFile(
                version: FileVersion(), outcome: .failure(FileFailure(reason: .readError, message: "fstat: \(errno)")))
        }
        let version = FileVersion(status)
        guard status.st_mode & S_IFMT == S_IFREG else {
            return CachedFile(
                version: version, outcome: .failure(FileFailure(reason: .readError, message: "not a regular file")))
        }
        guard Int(status.st_size) <= maxSize else {
            return CachedFile(
                version: version, outcome: .failure(FileFailure(reason: .tooLarge, message: "\(status.st_size) bytes")))
        }
        return CachedFile(version: version, outcome: Self.readAndParse(descriptor, maxSize: maxSize))
    }

    /// Reads at most `maxSize` + 1 bytes (a file that grew past the limit since `fstat` is too large) and parses them.
    private static func readAndParse(_ descriptor: Int32, maxSize: Int) -> Result<[FileFamily], FileFailure> {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maxSize + 1, alignment: 1)
        defer { buffer.deallocate() }
        var filled = 0
        while filled < buffer.count {
            let result = read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            if result > 0 {
                filled += result
            } else if result == 0 {
                break
            } else if errno != EINTR {
                return .failure(FileFailure(reason: .readError, message: "read: \(errno)"))
            }
        }
        guard filled <= maxSize else {
            return .failure(FileFailure(reason: .tooLarge, message: "more than \(maxSize) bytes"))
        }
        return parse(UnsafeRawBufferPointer(rebasing: buffer[..<filled]))
    }

    /// The families of a file's content; refuses timestamps and histograms the snapshots cannot hold.
    private static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<[FileFamily], FileFailure> {
        let parsed: [ParsedMetricFamily]
        do {
            parsed = try ExpositionParser.parse(bytes)
        } catch {
            return .failure(FileFailure(reason: .parseError, message: error.description))
        }
        var families: [FileFamily] = []
        for family in parsed where !family.series.isEmpty {
            if let series = family.series.first(where: { $0.timestamp != nil }) {
                return .failure(
                    FileFailure(reason: .timestamp, message: "line \(series.line): client-side timestamp"))
            }
            do {
                families.append(FileFamily(parsed: family, snapshot: try family.snapshot(help: family.help ?? "")))
            } catch {
                return .failure(FileFailure(reason: .unsupported, message: error.description))
            }
        }
        return .success(families)
    }

    /// Lists the names of the `*.prom` entries of a directory, sorted by their bytes as Go's `os.ReadDir` sorts.
    private static func promFiles(in directory: String) -> Result<[String], FileFailure> {
        guard let stream = opendir(directory) else {
            return .failure(FileFailure(reason: .readError, message: "opendir: \(errno)"))
        }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                guard errno == 0 else { return .failure(FileFailure(reason: .readError, message: "readdir: \(errno)")) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".prom") { names.append(name) }
        }
        return .success(names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    /// The series several files give for one family name.
    private struct MergedFamily {
        let first: FileFamily
        var files: [String]
        var extraSeries: [ParsedSeries] = []
        var labelSets: Set<LabelSet>

        init(_ family: FileFamily, from path: String) {
            first = family
            files = [path]
            labelSets = Set(family.parsed.series.map(\.identity))
        }

        /// Why `family`, from a later file, cannot join this one; nil when it can.
        func conflict(with family: FileFamily) -> TextfileErrorReason? {
            guard family.snapshot.descriptor.type == first.snapshot.descriptor.type,
                family.parsed.name == first.parsed.name, family.parsed.help == first.parsed.help,
                family.snapshot.histogram?.upperBounds == first.snapshot.histogram?.upperBounds
            else { return .conflictingMetadata }
            if family.parsed.series.contains(where: { labelSets.contains($0.identity) }) { return .duplicateSeries }
            return nil
        }

        mutating func add(_ family: FileFamily, from path: String) {
            files.append(path)
            extraSeries.append(contentsOf: family.parsed.series)
            for series in family.parsed.series { labelSets.insert(series.identity) }
        }

        /// The family as exposed, with node_exporter's HELP for families that have none.
        func snapshot() throws(UnsupportedFamilyError) -> MetricFamilySnapshot {
            let help = first.parsed.help ?? "Metric read from " + files.joined(separator: ", ")
            if extraSeries.isEmpty {
                guard first.parsed.help == nil else { return first.snapshot }
                return first.snapshot.replacingDescriptor(with: first.parsed.descriptor(help: help))
            }
            var family = first.parsed
            family.series += extraSeries
            return try family.snapshot(help: help)
        }
    }
}

/// What identifies one content of a file between collections: a file rewritten (or replaced by a rename) has
/// another mtime, size or inode.
private struct FileVersion: Equatable {
    var device: UInt64 = 0
    var inode: UInt64 = 0
    var size: Int64 = -1
    var mtimeSeconds: Int = 0
    var mtimeNanoseconds: Int = 0

    init() {}

    init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
        mtimeSeconds = status.st_mtim.tv_sec
        mtimeNanoseconds = status.st_mtim.tv_nsec
    }
}
