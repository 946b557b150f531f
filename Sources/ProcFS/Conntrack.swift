/// The netfilter connection-tracking table: its size (/proc/sys/net/netfilter/nf_conntrack_count and
/// nf_conntrack_max) and its statistics (/proc/net/stat/nf_conntrack), which exist only while the nf_conntrack module
/// is loaded. See https://docs.kernel.org/networking/nf_conntrack-sysctl.html.
///
/// The statistics file has a header naming its columns, then one line of hexadecimal counters per CPU:
/// `entries clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error
/// expect_new expect_create expect_delete search_restart` (kernels before 5.x say `searched` and `delete_list` for
/// the second and eighth). The counters are summed over the CPUs; columns are found by name, so a kernel that adds or
/// drops one changes only that counter.
public struct ConntrackStatistics: Sendable, Equatable {
    /// Searches that found an entry.
    public let found: UInt64?
    /// Packets that could not be tracked.
    public let invalid: UInt64?
    /// Packets already attached to an entry (or marked not to be tracked).
    public let ignore: UInt64?
    /// Entries inserted.
    public let insert: UInt64?
    /// Insertions that failed because the entry was already there.
    public let insertFailed: UInt64?
    /// Packets dropped because tracking failed.
    public let drop: UInt64?
    /// Entries dropped to make room when the table was full.
    public let earlyDrop: UInt64?
    /// Lookups restarted because the table was resized.
    public let searchRestart: UInt64?

    static let file = "/proc/net/stat/nf_conntrack"
    static let tableSizeFile = "/proc/sys/net/netfilter/nf_conntrack_count"

    /// The columns read, in the order of the properties.
    private static let columnNames = [
        "found", "invalid", "ignore", "insert", "insert_failed", "drop", "early_drop", "search_restart",
    ]

    /// Parses /proc/net/stat/nf_conntrack. An empty file, a CPU line with a number of columns other than the header's,
    /// or a value that is not hexadecimal is malformed. A counter the header does not name stays nil.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> ConntrackStatistics {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> ConntrackStatistics {
        var lines = LineScanner(bytes)
        guard let header = lines.next() else { throw .emptyFile(file) }
        // For each column of the header, the index in `columnNames` of the counter it feeds, if any.
        var columns: [Int?] = []
        var sums = [UInt64?](repeating: nil, count: columnNames.count)
        var names = FieldScanner(header)
        var hint = 0
        while let name = names.next() {
            let index = columnNames.firstIndex(of: name.string(matching: columnNames, hint: &hint))
            if let index { sums[index] = 0 }
            columns.append(index)
        }
        while let line = lines.next() {
            guard !line.trimmingBlanks().isEmpty else { continue }
            var values = FieldScanner(line)
            for column in columns {
                guard let value = values.next()?.hexadecimalUInt64() else {
                    throw .malformed(
                        file, line: lines.lineNumber, expected: "\(columns.count) hexadecimal columns", got: line)
                }
                // Wrapping: a hostile file can overflow a sum, but never trap.
                if let column { sums[column]! &+= value }
            }
            guard values.next() == nil else {
                throw .malformed(
                    file, line: lines.lineNumber, expected: "\(columns.count) hexadecimal columns", got: line)
            }
        }
        return ConntrackStatistics(
            found: sums[0], invalid: sums[1], ignore: sums[2], insert: sums[3], insertFailed: sums[4], drop: sums[5],
            earlyDrop: sums[6], searchRestart: sums[7])
    }

    /// Parses nf_conntrack_count or nf_conntrack_max: a decimal number and a line feed.
    public static func parseTableSize(_ bytes: [UInt8]) throws(ProcFSError) -> UInt64 {
        try bytes.parsingBytes { (raw) throws(ProcFSError) -> UInt64 in
            var lines = LineScanner(raw)
            guard let line = lines.next() else { throw .emptyFile(tableSizeFile) }
            guard let value = line.trimmingBlanks().decimalUInt64() else {
                throw .malformed(tableSizeFile, line: 1, expected: "a decimal number", got: line)
            }
            return value
        }
    }
}
