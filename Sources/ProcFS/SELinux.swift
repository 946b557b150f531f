/// The SELinux files node_exporter's selinux collector reads (through go-selinux): `/sys/fs/selinux/enforce` (`0`
/// permissive or `1` enforcing), `/proc/self/attr/current` (the process's security context, `kernel` when no policy
/// is loaded), and `/etc/selinux/config` (`SELINUX=enforcing|permissive|disabled`).
///
/// See https://docs.kernel.org/admin-guide/LSM/SELinux.html and selinux_config(5).
public enum SELinux {
    /// Parses the `enforce` file: a decimal, surrounding blanks and a newline allowed. Anything else is malformed.
    public static func parseEnforce(_ bytes: [UInt8]) throws(ProcFSError) -> Int64 {
        try bytes.parsingBytes { (raw) throws(ProcFSError) -> Int64 in
            var lines = LineScanner(raw)
            let file = "/sys/fs/selinux/enforce"
            guard let line = lines.next()?.trimmingBlanks(), !line.isEmpty else { throw .emptyFile(file) }
            guard let value = line.decimalInt64() else {
                throw .malformed(file, line: 1, expected: "\"0\" or \"1\"", got: line)
            }
            return value
        }
    }

    /// The security context in an `attr/current` file, without the trailing NUL and newline.
    public static func parseContext(_ bytes: [UInt8]) -> String {
        var end = bytes.count
        while end > 0 && (bytes[end - 1] == 0 || bytes[end - 1] == ASCII.newline) { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// The mode `/etc/selinux/config` configures, as go-selinux's `DefaultEnforceMode` reads it: 1 for
    /// `SELINUX=enforcing`, 0 for `permissive`, -1 for anything else or no such line. Blank lines, `#` and `;`
    /// comments and lines without `=` are skipped; the first `SELINUX=` line counts, its value without quotes.
    public static func parseConfiguredMode(_ bytes: [UInt8]) -> Int64 {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != ASCII.newline { end += 1 }
            var line = bytes[start..<end]
            start = end + 1
            while let first = line.first, isSpace(first) { line = line.dropFirst() }
            while let last = line.last, isSpace(last) { line = line.dropLast() }
            guard let first = line.first, first != UInt8(ascii: "#"), first != UInt8(ascii: ";"),
                let equals = line.firstIndex(of: ASCII.equals), line[..<equals].elementsEqual("SELINUX".utf8)
            else { continue }
            var value = line[(equals + 1)...]
            while value.first == UInt8(ascii: "\"") { value = value.dropFirst() }
            while value.last == UInt8(ascii: "\"") { value = value.dropLast() }
            if value.elementsEqual("enforcing".utf8) { return 1 }
            if value.elementsEqual("permissive".utf8) { return 0 }
            return -1
        }
        return -1
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == ASCII.space || (9...13).contains(byte) }
}
