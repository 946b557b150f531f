/// The single numbers of /proc/sys/kernel/random: `entropy_avail` (bits of entropy in the input pool) and
/// `poolsize` (the pool's size in bits), each one decimal and a newline, e.g. `256\n`.
///
/// See https://docs.kernel.org/admin-guide/sysctl/kernel.html#random.
public enum KernelRandom {
    static let file = "/proc/sys/kernel/random/[entropy_avail|poolsize]"

    /// Parses one of the files: its first line must be an unsigned decimal, surrounding blanks allowed. Anything else
    /// (an empty file, a sign, a fraction, extra columns, a value above `UInt64.max`) is malformed.
    public static func parseBits(_ bytes: [UInt8]) throws(ProcFSError) -> UInt64 {
        try bytes.parsingBytes { (raw) throws(ProcFSError) -> UInt64 in
            var lines = LineScanner(raw)
            guard let line = lines.next()?.trimmingBlanks(), !line.isEmpty else { throw .emptyFile(file) }
            guard let value = line.decimalUInt64() else {
                throw .malformed(file, line: 1, expected: "\"<bits>\"", got: line)
            }
            return value
        }
    }
}
