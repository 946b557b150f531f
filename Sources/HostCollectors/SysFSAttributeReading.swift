import Glibc
import ProcFS

/// The errors node_exporter (through prometheus/procfs) passes over when it reads a sysfs class attribute: a
/// missing file, one it may not read, and the errors drivers return for attributes that have no value now (the
/// `speed` of a link that is down is `EINVAL`).
let skippedAttributeErrors: [Int32] = [ENOENT, EACCES, EOPNOTSUPP, EINVAL]

extension KernelFile {
    /// The content of the attribute, or nil when reading it fails with one of `skipped`; other failures are thrown.
    func readAttribute(skipping skipped: [Int32] = skippedAttributeErrors) throws(ProcFSError) -> [UInt8]? {
        do {
            return try read()
        } catch {
            if case .readFailed(_, _, let code) = error, skipped.contains(code) { return nil }
            throw error
        }
    }
}

extension DirectoryListing {
    /// The entries, or none when the directory does not exist (the host has no such devices).
    func entriesIfPresent() throws(ProcFSError) -> [Entry] {
        do {
            return try entries()
        } catch {
            if case .readFailed(_, _, let code) = error, code == ENOENT || code == ENOTDIR { return [] }
            throw error
        }
    }
}

/// Kernel files by path, for a collector whose set of files follows the devices present: each collection asks for
/// the files it reads, and ``removeUnused()`` then closes those not asked for since the previous call.
struct KernelFileCache {
    private var files: [String: KernelFile] = [:]
    private var used: Set<String> = []

    /// The file at `path`, opened on first use.
    mutating func file(_ path: String) -> KernelFile {
        used.insert(path)
        if let file = files[path] { return file }
        let file = KernelFile(path: path)
        files[path] = file
        return file
    }

    /// Drops the files not asked for since the last call.
    mutating func removeUnused() {
        if files.count != used.count { files = files.filter { used.contains($0.key) } }
        used.removeAll(keepingCapacity: true)
    }
}
