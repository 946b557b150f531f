import Glibc
import Synchronization

/// A directory whose entries are counted again and again (/proc/self/fd), the one way this package counts
/// directory entries.
///
/// The directory is kept open and rewound each time: `rewinddir` makes the stream show the directory as it is now,
/// and reusing the stream saves opening the directory and allocating its buffer per count. After a failed read the
/// directory is opened again next time.
public final class DirectoryEntryCounter: Sendable {
    /// The path, as named in errors.
    public let path: String
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var directory: OpaquePointer?

        deinit {
            if let directory { closedir(directory) }
        }
    }

    /// A directory at `path`, typically `ProcFS.path("self/fd")`. Nothing is opened until the first count.
    public init(path: String) {
        self.path = path
    }

    /// The number of entries other than `.` and `..`. For /proc/self/fd that includes the descriptor of the open
    /// stream itself.
    public func count() throws(ProcFSError) -> Int {
        try state.withLock { (state) throws(ProcFSError) -> Int in
            let directory: OpaquePointer
            if let open = state.directory {
                rewinddir(open)
                directory = open
            } else {
                guard let opened = opendir(path) else { throw .readFailed(path: path, call: "opendir", errno: errno) }
                state.directory = opened
                directory = opened
            }
            var entries = 0
            while true {
                errno = 0
                guard let entry = readdir(directory) else {
                    guard errno == 0 else {
                        let error = errno
                        closedir(directory)
                        state.directory = nil
                        throw .readFailed(path: path, call: "readdir", errno: error)
                    }
                    return entries
                }
                let isDotOrDotDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                    name[0] == ASCII.period && (name[1] == 0 || (name[1] == ASCII.period && name[2] == 0))
                }
                if !isDotOrDotDot { entries += 1 }
            }
        }
    }
}
