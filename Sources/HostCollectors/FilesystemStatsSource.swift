import Glibc

/// What `statfs(2)` reports about a mounted filesystem.
public struct FilesystemStatistics: Sendable, Equatable {
    /// `f_bsize`: the block size the counts below are in.
    public var blockSize: UInt64
    /// `f_blocks`: the size of the filesystem in blocks.
    public var blocks: UInt64
    /// `f_bfree`: free blocks.
    public var freeBlocks: UInt64
    /// `f_bavail`: free blocks that unprivileged users may use.
    public var availableBlocks: UInt64
    /// `f_files`: inodes.
    public var files: UInt64
    /// `f_ffree`: free inodes.
    public var freeFiles: UInt64

    public init(
        blockSize: UInt64, blocks: UInt64, freeBlocks: UInt64, availableBlocks: UInt64, files: UInt64,
        freeFiles: UInt64
    ) {
        self.blockSize = blockSize
        self.blocks = blocks
        self.freeBlocks = freeBlocks
        self.availableBlocks = availableBlocks
        self.files = files
        self.freeFiles = freeFiles
    }
}

/// A failed `statfs(2)`.
public struct FilesystemStatsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path that was statted.
    public let path: String
    /// The error number.
    public let errno: Int32

    public init(path: String, errno: Int32) {
        self.path = path
        self.errno = errno
    }

    /// The error text as Go spells it (`strerror` with a lowercase first letter, e.g. "permission denied"), which
    /// node_exporter puts into the `device_error` label.
    public var reason: String {
        let text = String(cString: strerror(errno))
        guard let first = text.utf8.first, first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z") else { return text }
        return String(UnicodeScalar(first + 32)) + text.dropFirst()
    }

    public var description: String { "statfs \(path): \(reason) (errno \(errno))" }
}

/// Where the filesystem collector gets a mount's statistics from: `statvfs(3)` (``SystemFilesystemStats``), or in
/// tests a fake that returns fixed numbers, fails, or blocks like a hung NFS mount.
///
/// Calls run on the collector's worker threads, possibly several at once, and may block for as long as the kernel
/// does: the collector stops waiting after its mount timeout but cannot interrupt the call.
public protocol FilesystemStatsSource: Sendable {
    /// The statistics of the filesystem mounted at `path`.
    func statistics(path: String) throws(FilesystemStatsError) -> FilesystemStatistics
}

/// `statvfs(3)`, glibc's portable wrapper of `statfs(2)`: its `f_bsize` and block counts are those of `statfs`,
/// which node_exporter multiplies.
public struct SystemFilesystemStats: FilesystemStatsSource {
    public init() {}

    public func statistics(path: String) throws(FilesystemStatsError) -> FilesystemStatistics {
        var buffer = statvfs()
        var result: Int32
        repeat {
            result = statvfs(path, &buffer)
        } while result != 0 && errno == EINTR
        guard result == 0 else { throw FilesystemStatsError(path: path, errno: errno) }
        return FilesystemStatistics(
            blockSize: UInt64(clamping: buffer.f_bsize), blocks: UInt64(buffer.f_blocks),
            freeBlocks: UInt64(buffer.f_bfree), availableBlocks: UInt64(buffer.f_bavail), files: UInt64(buffer.f_files),
            freeFiles: UInt64(buffer.f_ffree))
    }
}
