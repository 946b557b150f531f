/// The file handle counts of /proc/sys/fs/file-nr: `<allocated>\t<free>\t<maximum>`, e.g. `1024\t0\t400000`.
///
/// The middle column has been 0 since Linux 2.6. See
/// https://docs.kernel.org/admin-guide/sysctl/fs.html#file-max-file-nr.
public struct FileNR: Sendable, Equatable {
    /// File handles allocated.
    public let allocated: UInt64
    /// Allocated handles that are unused (always 0 on current kernels).
    public let free: UInt64
    /// The most file handles the kernel will allocate (`fs.file-max`).
    public let maximum: UInt64

    static let file = "/proc/sys/fs/file-nr"
    private static let expectedLine = "\"<allocated> <free> <maximum>\""

    /// Parses the content of /proc/sys/fs/file-nr (its first line). An empty file, fewer than three columns or a
    /// non-numeric or oversized column is malformed; columns after the third are ignored.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> FileNR {
        try bytes.parsingBytes { (raw) throws(ProcFSError) -> FileNR in
            var lines = LineScanner(raw)
            guard let line = lines.next(), !line.trimmingBlanks().isEmpty else { throw .emptyFile(file) }
            var columns = FieldScanner(line)
            guard let allocated = columns.nextUInt64(), let free = columns.nextUInt64(),
                let maximum = columns.nextUInt64()
            else { throw .malformed(file, line: 1, expected: expectedLine, got: line) }
            return FileNR(allocated: allocated, free: free, maximum: maximum)
        }
    }
}
