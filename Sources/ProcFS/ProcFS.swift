import Glibc

/// The proc filesystem under a configurable mount point (`--path.procfs`, default `/proc`).
///
/// Every path is joined under `root`, so tests point it at a fixture tree. Each convenience reader reads one file
/// with ``readFile(_:)`` and hands the bytes to that file's pure `parse(_:)`; a parse error then names the path
/// actually read. See https://docs.kernel.org/filesystems/proc.html and proc(5).
public struct ProcFS: Sendable {
    /// The directory that stands for `/proc`.
    public let root: String

    /// The largest file any reader accepts; /proc/stat on a machine with thousands of CPUs stays far below this.
    public static let maximumFileSize = 16 << 20

    public init(root: String = "/proc") {
        self.root = root
    }

    /// `relative` joined under `root`, e.g. `path("net/dev")` is `/proc/net/dev`.
    public func path(_ relative: String) -> String {
        joinPath(root, relative)
    }

    /// The whole content of the file at `relative` under `root`. See ``readFile(atPath:)``.
    public func readFile(_ relative: String) throws(ProcFSError) -> [UInt8] {
        try Self.readFile(atPath: path(relative))
    }

    /// The whole content of the file at `path`, read until end of file.
    ///
    /// procfs and sysfs files report a size of 0, so this does not `stat`: it reads in a loop into a growing
    /// buffer, retries `EINTR`, and fails with `EFBIG` beyond ``maximumFileSize`` bytes. The descriptor is opened
    /// with `O_CLOEXEC` and closed on every path.
    public static func readFile(atPath path: String) throws(ProcFSError) -> [UInt8] {
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
        } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { throw .readFailed(path: path, call: "open", errno: errno) }
        defer { close(descriptor) }

        var capacity = 8192
        var storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
        defer { storage.deallocate() }
        var filled = 0
        while true {
            if filled == capacity {
                guard capacity < maximumFileSize else {
                    guard try readsMore(descriptor, path: path) else { break }
                    throw .readFailed(path: path, call: "read", errno: EFBIG)
                }
                capacity = min(capacity * 2, maximumFileSize)
                let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
                larger.copyMemory(from: storage, byteCount: filled)
                storage.deallocate()
                storage = larger
            }
            let result = read(descriptor, storage + filled, capacity - filled)
            if result > 0 {
                filled += result
            } else if result == 0 {
                break
            } else if errno != EINTR {
                throw .readFailed(path: path, call: "read", errno: errno)
            }
        }
        return [UInt8](unsafeUninitializedCapacity: filled) { content, count in
            UnsafeMutableRawBufferPointer(content).copyMemory(
                from: UnsafeRawBufferPointer(start: storage, count: filled))
            count = filled
        }
    }

    /// Whether one more byte can be read: the check that a file filling the cap exactly is not larger.
    private static func readsMore(_ descriptor: Int32, path: String) throws(ProcFSError) -> Bool {
        var byte: UInt8 = 0
        while true {
            let result = read(descriptor, &byte, 1)
            if result >= 0 { return result > 0 }
            guard errno == EINTR else { throw .readFailed(path: path, call: "read", errno: errno) }
        }
    }

    /// How many entries the directory at `relative` holds, not counting `.` and `..`; for `self/fd` that is the
    /// number of open descriptors (including the one this call opens to list it).
    public func count(directoryEntries relative: String) throws(ProcFSError) -> Int {
        let directoryPath = path(relative)
        guard let directory = opendir(directoryPath) else {
            throw .readFailed(path: directoryPath, call: "opendir", errno: errno)
        }
        defer { closedir(directory) }
        var entries = 0
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                guard errno == 0 else { throw .readFailed(path: directoryPath, call: "readdir", errno: errno) }
                return entries
            }
            let isDotOrDotDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == ASCII.period && (name[1] == 0 || (name[1] == ASCII.period && name[2] == 0))
            }
            if !isDotOrDotDot { entries += 1 }
        }
    }

    /// Reads `relative` and parses it, naming the real path in a parse error.
    private func load<Value>(
        _ relative: String, _ parse: ([UInt8]) throws(ProcFSError) -> Value
    ) throws(ProcFSError) -> Value {
        let bytes = try readFile(relative)
        do {
            return try parse(bytes)
        } catch {
            throw error.relocated(to: path(relative))
        }
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
