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

    /// /proc/meminfo, read once (the meminfo collector learns its fields from it at registration).
    public func meminfo() throws(ProcFSError) -> Meminfo {
        try KernelFile(path: path("meminfo")).parse(Meminfo.parse)
    }

    /// /proc/stat, read once (the process collector takes the boot time from it).
    public func stat() throws(ProcFSError) -> KernelStat {
        try KernelFile(path: path("stat")).parse(KernelStat.parse)
    }
}

/// `relative` under `root` with exactly one slash between them; an empty root leaves `relative` as it is.
func joinPath(_ root: String, _ relative: String) -> String {
    guard !root.isEmpty else { return relative }
    let trimmedRelative = relative.utf8.first == ASCII.slash ? String(relative.dropFirst()) : relative
    return root.utf8.last == ASCII.slash ? root + trimmedRelative : root + "/" + trimmedRelative
}
