import Glibc
import ProcFS
import Synchronization

/// A file a collector reads at every collection, kept open between collections when the kernel generates it.
///
/// Opening a /proc file costs about as much as reading it (path lookup, a new `struct file`), and such files never
/// get replaced: the kernel generates their content anew whenever they are read from offset 0. So a file on a
/// pseudo-filesystem (procfs, sysfs: `statvfs` reports no blocks) stays open and each read is `pread(2)` from offset
/// 0 until end of file, which saves an `open` and a `close` per file per collection. A file on a real filesystem
/// (the fixture trees of the tests, rewritten between reads) is opened and closed every time, like
/// ``ProcFS/ProcFS/readFile(atPath:)``, and so is one that cannot be read at an offset (a FIFO). After a failed
/// read the file is opened again next time.
final class KernelFile: Sendable {
    /// The path, as named in errors.
    let path: String
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var descriptor: Int32 = -1
        /// Whether `descriptor` is on a pseudo-filesystem and stays open.
        var staysOpen = false
        /// Whether `descriptor`, kept open, has been read to its end.
        var hasBeenRead = false
        /// Scratch space the file is read into; it grows to the largest size seen.
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)

        deinit {
            if descriptor >= 0 { close(descriptor) }
            buffer.deallocate()
        }
    }

    init(path: String) {
        self.path = path
    }

    /// The whole content of the file; fails with the call and errno that failed, or `EFBIG` beyond
    /// ``ProcFS/ProcFS/maximumFileSize``.
    func read() throws(ProcFSError) -> [UInt8] {
        try state.withLock { (state) throws(ProcFSError) -> [UInt8] in try readAll(&state) }
    }

    /// For a mount table (/proc/<pid>/mountinfo): its content parsed by `parse`, or nil when the kernel reports
    /// that the mounts have not changed since the last successful parse.
    ///
    /// The kernel flags a change on every open mount table of the namespace (`POLLPRI`, as systemd watches it), and
    /// polling clears the flag; so a table kept open is polled and read again only when flagged. Generating the
    /// table costs a path lookup per mount, a tenth of a scrape with six collectors. A file that is not kept open
    /// (a fixture tree on a real filesystem) is read every time, and so is a table after a failed read or parse.
    func parseMountTableIfChanged<Value: Sendable>(
        _ parse: ([UInt8]) throws(ProcFSError) -> Value
    ) throws(ProcFSError) -> Value? {
        try state.withLock { (state) throws(ProcFSError) -> Value? in
            if state.descriptor >= 0 && state.staysOpen && state.hasBeenRead {
                var request = pollfd(fd: state.descriptor, events: Int16(POLLPRI), revents: 0)
                if poll(&request, 1, 0) == 0 { return nil }
            }
            let bytes = try readAll(&state)
            do throws(ProcFSError) {
                return try parsed(bytes, from: path, by: parse)
            } catch {
                state.hasBeenRead = false
                throw error
            }
        }
    }

    /// Reads the whole file into `state.buffer`, opening it first when needed.
    private func readAll(_ state: inout State) throws(ProcFSError) -> [UInt8] {
        if state.descriptor < 0 {
            state.descriptor = try open()
            state.staysOpen = Self.isGenerated(state.descriptor)
        }
        let descriptor = state.descriptor
        var keepsOpen = state.staysOpen
        defer {
            if !keepsOpen {
                close(descriptor)
                state.descriptor = -1
                state.hasBeenRead = false
            }
        }
        var filled = 0
        // A FIFO or a character device cannot be read at an offset (`ESPIPE`): such a file is read in order
        // and reopened next time.
        var readsInOrder = false
        while true {
            if filled == state.buffer.count {
                guard state.buffer.count < ProcFS.maximumFileSize else {
                    keepsOpen = false
                    throw .readFailed(path: path, call: "read", errno: EFBIG)
                }
                let larger = UnsafeMutableRawBufferPointer.allocate(
                    byteCount: min(state.buffer.count * 2, ProcFS.maximumFileSize), alignment: 1)
                larger.copyMemory(from: UnsafeRawBufferPointer(state.buffer))
                state.buffer.deallocate()
                state.buffer = larger
            }
            guard let base = state.buffer.baseAddress else { break }
            let space = state.buffer.count - filled
            let result =
                readsInOrder
                ? Glibc.read(descriptor, base + filled, space)
                : pread(descriptor, base + filled, space, off_t(filled))
            if result > 0 {
                filled += result
            } else if result == 0 {
                break
            } else if errno == ESPIPE && !readsInOrder {
                readsInOrder = true
                keepsOpen = false
            } else if errno != EINTR {
                keepsOpen = false
                throw .readFailed(path: path, call: readsInOrder ? "read" : "pread", errno: errno)
            }
        }
        state.hasBeenRead = keepsOpen
        return [UInt8](UnsafeRawBufferPointer(rebasing: state.buffer[..<filled]))
    }

    /// The content of the file parsed by `parse`, naming this file's path in a parse error.
    func parse<Value>(_ parse: ([UInt8]) throws(ProcFSError) -> Value) throws(ProcFSError) -> Value {
        let bytes = try read()
        return try parsed(bytes, from: path, by: parse)
    }

    private func open() throws(ProcFSError) -> Int32 {
        var descriptor: Int32
        repeat {
            descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { throw .readFailed(path: path, call: "open", errno: errno) }
        return descriptor
    }

    /// Whether the open file is on a pseudo-filesystem, which reports no blocks.
    private static func isGenerated(_ descriptor: Int32) -> Bool {
        var filesystem = statvfs()
        guard fstatvfs(descriptor, &filesystem) == 0 else { return false }
        return filesystem.f_blocks == 0
    }
}

/// `parse(bytes)`, with a parse error naming `path`, the file the bytes were read from.
func parsed<Value>(
    _ bytes: [UInt8], from path: String, by parse: ([UInt8]) throws(ProcFSError) -> Value
) throws(ProcFSError) -> Value {
    do {
        return try parse(bytes)
    } catch .malformed(_, let line, let reason) {
        throw .malformed(file: path, line: line, reason: reason)
    }
}

/// A directory whose entries a collector counts at every collection (/proc/self/fd), kept open and rewound each
/// time: `rewinddir` makes the stream show the directory as it is now, and reusing the stream saves opening the
/// directory and allocating its buffer per collection.
final class DirectoryEntryCounter: Sendable {
    /// The path, as named in errors.
    let path: String
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var directory: OpaquePointer?

        deinit {
            if let directory { closedir(directory) }
        }
    }

    init(path: String) {
        self.path = path
    }

    /// The number of entries other than `.` and `..`. For /proc/self/fd that includes the descriptor of the open
    /// stream itself.
    func count() throws(ProcFSError) -> Int {
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
                    name[0] == UInt8(ascii: ".")
                        && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
                }
                if !isDotOrDotDot { entries += 1 }
            }
        }
    }
}
