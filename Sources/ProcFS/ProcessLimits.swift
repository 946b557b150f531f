/// The resource limits of /proc/[pid]/limits, one row per `RLIMIT_*`.
///
/// After the header `Limit  Soft Limit  Hard Limit  Units`, each row is a name of several words, the soft and hard
/// limits (a number or `unlimited`) and an optional unit, in columns the kernel pads to fixed widths. A 20-digit limit
/// fills its column completely, so the row is split on blanks and the name ends at the first number or `unlimited`
/// rather than at a run of two spaces. See proc(5) and getrlimit(2).
public struct ProcessLimits: Sendable, Equatable {
    /// A soft or hard limit.
    public enum Value: Sendable, Equatable, Hashable {
        /// `unlimited` (`RLIM_INFINITY`).
        case unlimited
        /// A finite limit, in the row's unit.
        case limited(UInt64)
    }

    /// One row.
    public struct Limit: Sendable, Equatable {
        /// The name as in the file, e.g. `Max open files`.
        public let name: String
        public let soft: Value
        public let hard: Value
        /// The unit as in the file, e.g. `files`, `bytes`; empty for the priorities, which have none.
        public let unit: String
    }

    /// Every row, in file order.
    public let limits: [Limit]

    /// The row called `name`.
    public func limit(named name: String) -> Limit? {
        limits.first { $0.name == name }
    }

    /// The soft limit on open file descriptors (`RLIMIT_NOFILE`), the source of `process_max_fds`.
    public var maxOpenFiles: Value? { limit(named: "Max open files")?.soft }

    /// The soft limit on virtual memory in bytes (`RLIMIT_AS`), the source of `process_virtual_memory_max_bytes`.
    public var maxAddressSpace: Value? { limit(named: "Max address space")?.soft }

    static let file = "/proc/[pid]/limits"

    /// The rows Linux prints, in its order (fs/proc/base.c `lnames`), and their units; parsing reuses these strings
    /// rather than decoding new ones on every scrape. Anything else is decoded.
    fileprivate static let knownNames = [
        "Max cpu time", "Max file size", "Max data size", "Max stack size", "Max core file size", "Max resident set",
        "Max processes", "Max open files", "Max locked memory", "Max address space", "Max file locks",
        "Max pending signals", "Max msgqueue size", "Max nice priority", "Max realtime priority",
        "Max realtime timeout",
    ]
    fileprivate static let knownUnits = ["seconds", "bytes", "processes", "files", "locks", "signals", "us"]
    private static let expectedLine = "\"<name> <soft limit> <hard limit> [<units>]\""

    /// Parses the content of /proc/[pid]/limits. An empty file, a first line that is not the header, a row without a
    /// name or without both limits, or a limit above `UInt64.max` is malformed.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> ProcessLimits {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> ProcessLimits {
        var lines = LineScanner(bytes)
        guard let header = lines.next(), !header.trimmingBlanks().isEmpty else { throw .emptyFile(file) }
        guard header.starts(with: "Limit") else {
            throw .malformed(file, line: 1, expected: "the header \"Limit Soft Limit Hard Limit Units\"", got: header)
        }
        var limits: [Limit] = []
        limits.reserveCapacity(knownNames.count)
        var nameHint = 0
        while let line = lines.next() {
            guard !line.trimmingBlanks().isEmpty else { continue }
            guard let limit = Limit(line, nameHint: &nameHint) else {
                throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line)
            }
            limits.append(limit)
        }
        return ProcessLimits(limits: limits)
    }
}

extension ProcessLimits.Limit {
    fileprivate init?(_ line: UnsafeRawBufferPointer, nameHint: inout Int) {
        var fields = FieldScanner(line)
        var nameEnd = 0
        var softField: UnsafeRawBufferPointer?
        while let field = fields.next() {
            if field.isLimitValue {
                softField = field
                break
            }
            nameEnd = fields.position
        }
        guard nameEnd > 0, let softField, let soft = ProcessLimits.Value(softField),
            let hardField = fields.next(), let hard = ProcessLimits.Value(hardField)
        else { return nil }
        let name = UnsafeRawBufferPointer(rebasing: line[..<nameEnd]).trimmingBlanks()
        let unit = fields.rest
        var unitHint = 0
        self.init(
            name: name.string(matching: ProcessLimits.knownNames, hint: &nameHint), soft: soft, hard: hard,
            unit: unit.isEmpty ? "" : unit.string(matching: ProcessLimits.knownUnits, hint: &unitHint))
    }
}

extension ProcessLimits.Value {
    /// `unlimited` or a decimal number; nil for a number above `UInt64.max`.
    fileprivate init?(_ field: UnsafeRawBufferPointer) {
        if field.equals("unlimited") {
            self = .unlimited
        } else if let value = field.decimalUInt64() {
            self = .limited(value)
        } else {
            return nil
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Whether a column of a limits row is a limit rather than a word of its name: `unlimited` or all digits.
    fileprivate var isLimitValue: Bool {
        equals("unlimited") || (!isEmpty && allSatisfy { $0 &- ASCII.zero < 10 })
    }
}
