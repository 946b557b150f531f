import Glibc
import Synchronization

/// A directory whose entries are listed again and again (/sys/class/net, /sys/class/hwmon), the one way this package
/// lists a directory.
///
/// On a pseudo-filesystem (sysfs, procfs) the directory stays open and is rewound for each listing: `rewinddir` makes
/// the stream show the directory as it is now. Elsewhere (a fixture tree, which tests may replace) it is opened and
/// closed every time. A name equal to the one at the same position of the previous listing is reused rather than
/// decoded again, so listing an unchanged directory creates no strings.
public final class DirectoryListing: Sendable {
    /// What an entry is, from `d_type` (or `lstat` where the filesystem does not say).
    public enum Kind: Sendable, Equatable {
        case directory, regularFile, symbolicLink, other
    }

    /// One entry other than `.` and `..`.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let kind: Kind

        public init(name: String, kind: Kind) {
            self.name = name
            self.kind = kind
        }
    }

    /// The path, as named in errors.
    public let path: String
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var directory: OpaquePointer?
        var staysOpen = false
        var previous: [Entry] = []

        deinit {
            if let directory { closedir(directory) }
        }
    }

    /// A directory at `path`, typically `SysFS.path("class/net")`. Nothing is opened until the first listing.
    public init(path: String) {
        self.path = path
    }

    /// The entries other than `.` and `..`, sorted by name (bytewise, as Go's `os.ReadDir` sorts). Fails with
    /// `opendir` and `ENOENT` when the directory does not exist.
    public func entries() throws(ProcFSError) -> [Entry] {
        try state.withLock { (state) throws(ProcFSError) -> [Entry] in
            let directory: OpaquePointer
            if let open = state.directory {
                rewinddir(open)
                directory = open
            } else {
                guard let opened = opendir(path) else { throw .readFailed(path: path, call: "opendir", errno: errno) }
                directory = opened
                var filesystem = statvfs()
                state.staysOpen = fstatvfs(dirfd(opened), &filesystem) == 0 && filesystem.f_blocks == 0
                if state.staysOpen { state.directory = opened }
            }
            defer {
                if !state.staysOpen { closedir(directory) }
            }
            var entries: [Entry] = []
            entries.reserveCapacity(state.previous.count)
            while true {
                errno = 0
                guard let entry = readdir(directory) else {
                    guard errno == 0 else {
                        let error = errno
                        if state.staysOpen {
                            closedir(directory)
                            state.directory = nil
                            state.staysOpen = false
                        }
                        throw .readFailed(path: path, call: "readdir", errno: error)
                    }
                    break
                }
                let type = entry.pointee.d_type
                let made: Entry? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    let length = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
                    let name = UnsafeRawBufferPointer(rebasing: raw[..<length])
                    if name.equals(".") || name.equals("..") { return nil }
                    let kind = Self.kind(type, name: name, in: directory)
                    let position = entries.count
                    if position < state.previous.count, state.previous[position].kind == kind,
                        state.previous[position].name.utf8.elementsEqual(name)
                    {
                        return state.previous[position]
                    }
                    return Entry(name: name.string, kind: kind)
                }
                if let made { entries.append(made) }
            }
            if !entries.isSorted() {
                entries.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            }
            state.previous = entries
            return entries
        }
    }

    private static func kind(_ type: UInt8, name: UnsafeRawBufferPointer, in directory: OpaquePointer) -> Kind {
        switch Int32(type) {
        case Int32(DT_DIR): return .directory
        case Int32(DT_REG): return .regularFile
        case Int32(DT_LNK): return .symbolicLink
        case Int32(DT_UNKNOWN):
            var status = stat()
            let found = withUnsafeTemporaryAllocation(of: CChar.self, capacity: name.count + 1) { buffer in
                _ = buffer.initialize(from: name.lazy.map { CChar(bitPattern: $0) })
                buffer[name.count] = 0
                return fstatat(dirfd(directory), buffer.baseAddress!, &status, AT_SYMLINK_NOFOLLOW) == 0
            }
            guard found else { return .other }
            switch status.st_mode & S_IFMT {
            case S_IFDIR: return .directory
            case S_IFREG: return .regularFile
            case S_IFLNK: return .symbolicLink
            default: return .other
            }
        default: return .other
        }
    }
}

extension [DirectoryListing.Entry] {
    fileprivate func isSorted() -> Bool {
        zip(self, dropFirst()).allSatisfy { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }
}
