/// Pressure stall information of one resource, /proc/pressure/{cpu,io,memory} (kernel 4.20+ with CONFIG_PSI):
///
/// ```
/// some avg10=1.50 avg60=3.04 avg300=23.08 total=978015350
/// full avg10=0.00 avg60=0.00 avg300=0.00 total=0
/// ```
///
/// `some` is time in which at least one task stalled on the resource, `full` time in which all non-idle tasks did
/// at once (cpu has `full` only from 5.13 on). See https://docs.kernel.org/accounting/psi.html.
public struct Pressure: Sendable, Equatable {
    /// One `some` or `full` line.
    public struct Line: Sendable, Equatable {
        /// Percentage of the last 10 s, 60 s and 300 s spent stalled.
        public let average10: Double
        public let average60: Double
        public let average300: Double
        /// Microseconds stalled since boot.
        public let total: UInt64

        public init(average10: Double, average60: Double, average300: Double, total: UInt64) {
            self.average10 = average10
            self.average60 = average60
            self.average300 = average300
            self.total = total
        }
    }

    /// The `some` line, nil when the file has none.
    public let some: Line?
    /// The `full` line, nil when the file has none.
    public let full: Line?

    static let file = "/proc/pressure/[resource]"
    private static let expectedLine = "\"some|full avg10=<pct> avg60=<pct> avg300=<pct> total=<us>\""

    /// Parses a pressure file. Lines that start with neither `some` nor `full` are ignored, as node_exporter's
    /// procfs ignores them; a `some` or `full` line with missing, misnamed or non-numeric fields is malformed.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> Pressure {
        try bytes.parsingBytes { (raw) throws(ProcFSError) -> Pressure in
            var lines = LineScanner(raw)
            var some: Line?
            var full: Line?
            while let line = lines.next() {
                var columns = FieldScanner(line)
                guard let kind = columns.next(), kind.equals("some") || kind.equals("full") else { continue }
                guard let average10 = columns.next()?.value(of: "avg10=")?.decimalDouble(),
                    let average60 = columns.next()?.value(of: "avg60=")?.decimalDouble(),
                    let average300 = columns.next()?.value(of: "avg300=")?.decimalDouble(),
                    let total = columns.next()?.value(of: "total=")?.decimalUInt64()
                else { throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line) }
                let parsed = Line(average10: average10, average60: average60, average300: average300, total: total)
                if kind.equals("some") { some = parsed } else { full = parsed }
            }
            return Pressure(some: some, full: full)
        }
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes after `key` (e.g. `avg10=`) when they start with it, else nil.
    fileprivate func value(of key: StaticString) -> UnsafeRawBufferPointer? {
        guard starts(with: key) else { return nil }
        return UnsafeRawBufferPointer(rebasing: self[key.utf8CodeUnitCount...])
    }
}
