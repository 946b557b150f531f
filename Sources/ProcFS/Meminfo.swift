/// The fields of /proc/meminfo in file order, with sizes converted to bytes.
///
/// Each line is `<name>: <value>` optionally followed by the unit `kB`. Fields with the unit (MemTotal,
/// Active(anon), Hugepagesize, ...) are stored in bytes (×1024); fields without one (HugePages_Total, ...) are counts
/// and stored as they are. See https://docs.kernel.org/filesystems/proc.html#meminfo.
public struct Meminfo: Sendable, Equatable {
    /// One line of the file.
    public struct Field: Sendable, Equatable {
        /// The name exactly as in the file, e.g. `Active(anon)`.
        public let name: String
        /// Bytes when `hasUnit`, otherwise the bare number.
        public let value: UInt64
        /// Whether the line carried the `kB` unit, i.e. whether `value` is a size in bytes.
        public let hasUnit: Bool
    }

    /// Every field, in the order of the file.
    public let fields: [Field]

    /// The field called `name`, e.g. `field(named: "MemAvailable")`.
    public func field(named name: String) -> Field? {
        fields.first { $0.name == name }
    }

    /// The value of the field called `name` (bytes for sizes), or nil when the kernel does not report it.
    public subscript(name: String) -> UInt64? {
        field(named: name)?.value
    }

    static let file = "/proc/meminfo"
    private static let expectedLine = "\"<key>: <value> [kB]\""

    /// Parses the content of /proc/meminfo. An empty file, a line without a colon, a non-numeric or oversized
    /// value, a unit other than `kB` or extra columns are malformed.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> Meminfo {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> Meminfo {
        var lines = LineScanner(bytes)
        var fields: [Field] = []
        fields.reserveCapacity(64)
        while let line = lines.next() {
            guard let field = parseField(line) else {
                if line.trimmingBlanks().isEmpty { continue }
                throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line)
            }
            fields.append(field)
        }
        guard !fields.isEmpty else { throw .emptyFile(file) }
        return Meminfo(fields: fields)
    }

    /// One `<name>: <value> [kB]` line, or nil if the line has any other shape.
    private static func parseField(_ line: UnsafeRawBufferPointer) -> Field? {
        guard let colon = line.firstIndex(of: ASCII.colon), colon > 0 else { return nil }
        let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
        guard !name.contains(where: ASCII.isBlank) else { return nil }
        var columns = FieldScanner(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...]))
        guard let number = columns.nextUInt64() else { return nil }
        let unit = columns.next()
        guard columns.next() == nil else { return nil }
        var value = number
        if let unit {
            let (bytes, overflow) = number.multipliedReportingOverflow(by: 1024)
            guard unit.equals("kB"), !overflow else { return nil }
            value = bytes
        }
        return Field(name: name.string, value: value, hasUnit: unit != nil)
    }
}
