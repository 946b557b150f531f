/// The socket counts of /proc/net/sockstat or /proc/net/sockstat6.
///
/// One line per protocol, the protocol and pairs of a key and a decimal value: `TCP: inuse 3 orphan 0 tw 449 alloc 3
/// mem 61`, `FRAG: inuse 0 memory 0`; /proc/net/sockstat starts with `sockets: used 15`. `mem` counts pages, `memory`
/// bytes. See proc(5) and net/ipv4/proc.c.
public struct Sockstat: Sendable, Equatable {
    /// The counts of one protocol; a key the line does not have is nil. Other keys are ignored.
    public struct ProtocolCounts: Sendable, Equatable {
        /// As in the file: `TCP`, `UDP`, `UDPLITE`, `RAW`, `FRAG`, `TCP6`, ...
        public let name: String
        public var inUse: Int64?
        public var orphan: Int64?
        public var timeWait: Int64?
        public var allocated: Int64?
        /// Memory in pages.
        public var memoryPages: Int64?
        /// Memory in bytes (fragment reassembly).
        public var memoryBytes: Int64?

        public init(name: String) {
            self.name = name
        }
    }

    /// `sockets: used`, the sockets of every family in use; nil in /proc/net/sockstat6, which has no such line.
    public let socketsUsed: Int64?
    /// Every protocol line, in file order.
    public let protocols: [ProtocolCounts]

    static let file = "/proc/net/sockstat"
    private static let expectedLine = "\"<PROTOCOL>: <key> <value> ...\""
    private static let protocolNames = [
        "TCP", "UDP", "UDPLITE", "RAW", "FRAG", "TCP6", "UDP6", "UDPLITE6", "RAW6", "FRAG6",
    ]

    /// Parses the content of /proc/net/sockstat or /proc/net/sockstat6. A line without a `:` after its first word,
    /// without pairs, with a key lacking its value or a value that is not an integer is malformed; blank lines are
    /// skipped.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> Sockstat {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> Sockstat {
        var lines = LineScanner(bytes)
        var socketsUsed: Int64?
        var protocols: [ProtocolCounts] = []
        protocols.reserveCapacity(5)
        var hint = 0
        while let line = lines.next() {
            guard !line.trimmingBlanks().isEmpty else { continue }
            var columns = FieldScanner(line)
            guard let label = columns.next(), label.count > 1, label.last == ASCII.colon, columns.rest.count > 0 else {
                throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line)
            }
            let name = UnsafeRawBufferPointer(rebasing: label.dropLast())
            let isSockets = name.equals("sockets")
            var counts = ProtocolCounts(name: isSockets ? "sockets" : name.string(matching: protocolNames, hint: &hint))
            while let key = columns.next() {
                guard let value = columns.next()?.decimalInt64() else {
                    throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line)
                }
                if isSockets {
                    if key.equals("used") { socketsUsed = value }
                } else if key.equals("inuse") {
                    counts.inUse = value
                } else if key.equals("orphan") {
                    counts.orphan = value
                } else if key.equals("tw") {
                    counts.timeWait = value
                } else if key.equals("alloc") {
                    counts.allocated = value
                } else if key.equals("mem") {
                    counts.memoryPages = value
                } else if key.equals("memory") {
                    counts.memoryBytes = value
                }
            }
            if !isSockets { protocols.append(counts) }
        }
        return Sockstat(socketsUsed: socketsUsed, protocols: protocols)
    }
}
