import Glibc
import Synchronization

/// A kernel file (under /proc or /sys) read whole, the one way this package reads one.
///
/// Opening a /proc file costs about as much as reading it (path lookup, a new `struct file`), and such files never
/// get replaced: the kernel generates their content anew whenever they are read from offset 0. So a file on a
/// pseudo-filesystem (procfs, sysfs: `statvfs` reports no blocks) stays open and each read is `pread(2)` from offset
/// 0 until end of file, which saves an `open` and a `close` per file per collection. A file on a real filesystem
/// (the fixture trees of the tests, rewritten between reads) is opened and closed every time, and so is one that
/// cannot be read at an offset (a FIFO). After a failed read the file is opened again next time.
///
/// A collector keeps one instance per file it reads at every collection; a one-off read is
/// `KernelFile(path: path).parse(Type.parse)`, which closes the file when the instance goes away.
public final class KernelFile: Sendable {
    /// The path, as named in errors.
    public let path: String
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var descriptor: Int32 = -1
        /// Whether `descriptor` is on a pseudo-filesystem and stays open.
        var staysOpen = false
        /// Whether `descriptor`, kept open, has been read to its end.
        var hasBeenRead = false
        /// Scratch space the file is read into. It starts small, since most kernel files a collector keeps open are
        /// a few bytes (a sysfs attribute), and grows to the largest size seen.
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: KernelFile.initialBufferSize, alignment: 1)

        deinit {
            if descriptor >= 0 { close(descriptor) }
            buffer.deallocate()
        }
    }

    /// The first buffer of a file: one sysfs attribute or a small /proc file in one read.
    static let initialBufferSize = 256

    /// A file at `path`, typically `ProcFS.path(_:)` or `SysFS.path(_:)`. Nothing is opened until the first read.
    public init(path: String) {
        self.path = path
    }

    /// The whole content of the file; fails with the call and errno that failed, or `EFBIG` when the file is longer
    /// than ``ProcFS/maximumFileSize``.
    public func read() throws(ProcFSError) -> [UInt8] {
        try state.withLock { (state) throws(ProcFSError) -> [UInt8] in try readAll(&state) }
    }

    /// The content of the file parsed by `parse`, naming this file's path in a parse error.
    @inlinable
    public func parse<Value>(_ parse: ([UInt8]) throws(ProcFSError) -> Value) throws(ProcFSError) -> Value {
        let bytes = try read()
        return try self.parse(bytes, by: parse)
    }

    /// The content of the file parsed by `parse`, or nil when the file does not exist (``ProcFSError/isMissingFile``):
    /// for an optional file, such as /proc/net/snmp6 without IPv6 or the files of a kernel module not loaded.
    public func parseIfPresent<Value>(
        _ parse: ([UInt8]) throws(ProcFSError) -> Value
    ) throws(ProcFSError) -> Value? {
        do {
            return try self.parse(parse)
        } catch {
            guard error.isMissingFile else { throw error }
            return nil
        }
    }

    /// `bytes`, read from this file, parsed by `parse`, naming this file's path in a parse error: for a caller that
    /// looks at the bytes before parsing them (to skip parsing an unchanged file, say).
    @inlinable
    public func parse<Value>(
        _ bytes: [UInt8], by parse: ([UInt8]) throws(ProcFSError) -> Value
    ) throws(ProcFSError) -> Value {
        do {
            return try parse(bytes)
        } catch {
            throw error.relocated(to: path)
        }
    }

    /// For a mount table (/proc/<pid>/mountinfo): its content parsed by `parse`, or nil when the kernel reports
    /// that the mounts have not changed since the last successful parse.
    ///
    /// The kernel flags a change on every open mount table of the namespace (`POLLPRI`, as systemd watches it), and
    /// polling clears the flag; so a table kept open is polled and read again only when flagged. Generating the
    /// table costs a path lookup per mount, a tenth of a scrape with six collectors. A file that is not kept open
    /// (a fixture tree on a real filesystem) is read every time, and so is a table after a failed read or parse.
    public func parseMountTableIfChanged<Value: Sendable>(
        _ parse: ([UInt8]) throws(ProcFSError) -> Value
    ) throws(ProcFSError) -> Value? {
        try state.withLock { (state) throws(ProcFSError) -> Value? in
            if state.descriptor >= 0 && state.staysOpen && state.hasBeenRead {
                var request = pollfd(fd: state.descriptor, events: Int16(POLLPRI), revents: 0)
                if poll(&request, 1, 0) == 0 { return nil }
            }
            let bytes = try readAll(&state)
            do throws(ProcFSError) {
                return try self.parse(bytes, by: parse)
            } catch {
                state.hasBeenRead = false
                throw error
            }
        }
    }

    /// Reads the whole file into `state.buffer`, opening it first when needed.
    ///
    /// procfs and sysfs files report a size of 0, so this does not `stat`: it reads until end of file into a buffer
    /// that doubles when full, retrying `EINTR`. The buffer grows to one byte more than
    /// ``ProcFS/maximumFileSize`` at most, so that a file of exactly that size is read and a larger one fails.
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
                guard state.buffer.count <= ProcFS.maximumFileSize else {
                    keepsOpen = false
                    throw .readFailed(path: path, call: "read", errno: EFBIG)
                }
                let larger = UnsafeMutableRawBufferPointer.allocate(
                    byteCount: min(state.buffer.count * 2, ProcFS.maximumFileSize + 1), alignment: 1)
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
