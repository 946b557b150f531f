/// The counters of /proc/vmstat in file order: one `<name> <value>` line each, e.g. `pgmajfault 1500`.
///
/// See https://docs.kernel.org/admin-guide/mm/concepts.html and proc(5).
public struct VMStat: Sendable, Equatable {
    /// One line of the file.
    public struct Field: Sendable, Equatable {
        /// The name exactly as in the file, e.g. `pgmajfault`.
        public let name: String
        /// The value; the kernel prints unsigned numbers, but a negative one is accepted as node_exporter's
        /// `ParseFloat` does.
        public let value: Double

        public init(name: String, value: Double) {
            self.name = name
            self.value = value
        }
    }

    /// Every field, in the order of the file.
    public let fields: [Field]

    static let file = "/proc/vmstat"
    private static let expectedLine = "\"<name> <value>\""

    /// Parses the content of /proc/vmstat. A line that is not a name and an integer, or that has more columns, is
    /// malformed; blank lines are skipped; an empty file is malformed.
    ///
    /// The names of a kernel's vmstat stay the same from one read to the next: a name equal to one of `knownNames`
    /// (the names of the previous read, in order) is that string rather than a new one.
    public static func parse(_ bytes: [UInt8], knownNames: [String] = []) throws(ProcFSError) -> VMStat {
        try bytes.parsingBytes { (raw) throws(ProcFSError) -> VMStat in
            var lines = LineScanner(raw)
            var fields: [Field] = []
            fields.reserveCapacity(max(knownNames.count, 16))
            var hint = 0
            while let line = lines.next() {
                var columns = FieldScanner(line)
                guard let name = columns.next() else { continue }
                guard let number = columns.next(), columns.next() == nil,
                    let value = number.decimalUInt64().map({ Double($0) }) ?? number.decimalInt64().map({ Double($0) })
                else { throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line) }
                fields.append(Field(name: name.string(matching: knownNames, hint: &hint), value: value))
            }
            guard !fields.isEmpty else { throw .emptyFile(file) }
            return VMStat(fields: fields)
        }
    }
}
