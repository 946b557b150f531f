/// The proc filesystem under a configurable mount point (`--path.procfs`, default `/proc`).
///
/// Every path is joined under `root`, so tests point it at a fixture tree. Files are read with ``KernelFile``, which
/// hands the bytes to each file's pure `parse(_:)`; a parse error then names the path actually read. See
/// https://docs.kernel.org/filesystems/proc.html and proc(5).
public struct ProcFS: Sendable {
    /// The directory that stands for `/proc`.
    public let root: String

    /// The largest file ``KernelFile`` reads; /proc/stat on a machine with thousands of CPUs stays far below this.
    public static let maximumFileSize = 16 << 20

    public init(root: String = "/proc") {
        self.root = root
    }

    /// `relative` joined under `root`, e.g. `path("net/dev")` is `/proc/net/dev`.
    public func path(_ relative: String) -> String {
        joinPath(root, relative)
    }

    /// Reads `relative` once with a ``KernelFile`` and parses it, naming the real path in a parse error.
    private func load<Value>(
        _ relative: String, _ parse: ([UInt8]) throws(ProcFSError) -> Value
    ) throws(ProcFSError) -> Value {
        try KernelFile(path: path(relative)).parse(parse)
    }

    /// /proc/meminfo.
    public func meminfo() throws(ProcFSError) -> Meminfo {
        try load("meminfo", Meminfo.parse)
    }

    /// /proc/stat.
    public func stat() throws(ProcFSError) -> KernelStat {
        try load("stat", KernelStat.parse)
    }

    /// /proc/loadavg.
    public func loadAvg() throws(ProcFSError) -> LoadAvg {
        try load("loadavg", LoadAvg.parse)
    }

    /// /proc/diskstats.
    public func diskStats() throws(ProcFSError) -> [DiskStats] {
        try load("diskstats", DiskStats.parse)
    }

    /// /proc/net/dev.
    public func netDev() throws(ProcFSError) -> [NetDevStats] {
        try load("net/dev", NetDevStats.parse)
    }

    /// /proc/`pid`/mountinfo; node_exporter reads pid `1` and falls back to `self` when /proc is mounted with
    /// `hidepid`.
    public func mountInfo(pid: String = "self") throws(ProcFSError) -> [MountInfo] {
        try load("\(pid)/mountinfo", MountInfo.parse)
    }

    /// /proc/`pid`/stat.
    public func processStat(pid: String = "self") throws(ProcFSError) -> ProcessStat {
        try load("\(pid)/stat", ProcessStat.parse)
    }

    /// /proc/`pid`/limits.
    public func processLimits(pid: String = "self") throws(ProcFSError) -> ProcessLimits {
        try load("\(pid)/limits", ProcessLimits.parse)
    }
}

/// `relative` under `root` with exactly one slash between them; an empty root leaves `relative` as it is.
func joinPath(_ root: String, _ relative: String) -> String {
    guard !root.isEmpty else { return relative }
    let trimmedRelative = relative.utf8.first == ASCII.slash ? String(relative.dropFirst()) : relative
    return root.utf8.last == ASCII.slash ? root + trimmedRelative : root + "/" + trimmedRelative
}
