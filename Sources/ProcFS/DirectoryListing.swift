import Glibc

/// The names in a directory other than `.` and `..`, sorted bytewise as Go's `filepath.Glob` sorts them; fails
/// with the call and errno that failed (`opendir` with `ENOENT` for a missing directory).
///
/// For directories read once, at registration (the clocksource devices of sysfs); a directory read at every
/// collection is counted with ``DirectoryEntryCounter`` instead.
public func directoryEntries(at path: String) throws(ProcFSError) -> [String] {
    guard let directory = opendir(path) else { throw .readFailed(path: path, call: "opendir", errno: errno) }
    defer { closedir(directory) }
    var names: [String] = []
    while true {
        errno = 0
        guard let entry = readdir(directory) else {
            guard errno == 0 else { throw .readFailed(path: path, call: "readdir", errno: errno) }
            break
        }
        let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
            let length = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<length], as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
}
