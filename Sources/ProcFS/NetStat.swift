import Glibc

/// The protocol counters of /proc/net/netstat or /proc/net/snmp (and, through ``parseSNMP6(_:reusing:)``,
/// /proc/net/snmp6): one value per counter, in file order, named by ``layout``.
///
/// /proc/net/netstat and /proc/net/snmp hold pairs of lines: a header naming a protocol's counters and a line with
/// their values, both starting with the protocol, `Tcp: RtoAlgorithm RtoMin ... MaxConn ...` then
/// `Tcp: 1 200 ... -1 ...`. Values are decimal integers; a few are negative (`Tcp: MaxConn` is -1 when there is no
/// limit). A protocol may come in several pairs (the kernel starts a new `IcmpMsg:` pair every 16 message types).
/// See https://docs.kernel.org/networking/snmp_counter.html.
public struct NetStatistics: Sendable {
    /// The name of every counter.
    public let layout: NetStatisticsLayout
    /// The value of each of `layout.keys`, in the same order.
    public let values: [Double]

    static let file = "/proc/net/netstat"

    /// Parses /proc/net/netstat or /proc/net/snmp. When the header lines are those `previous` was read from, the
    /// result's layout is `previous` itself, so that a caller recognises an unchanged file by identity and no name is
    /// built again. A header without its line of values, a line of values for another protocol or with another number
    /// of columns, and a value that is not an integer are malformed; blank lines are skipped.
    public static func parse(
        _ bytes: [UInt8], reusing previous: NetStatisticsLayout? = nil
    ) throws(ProcFSError) -> NetStatistics {
        try bytes.parsingBytes { (raw) throws(ProcFSError) in try parse(raw, reusing: previous) }
    }

    static func parse(
        _ bytes: UnsafeRawBufferPointer, reusing previous: NetStatisticsLayout?
    ) throws(ProcFSError) -> NetStatistics {
        var lines = LineScanner(bytes)
        var values: [Double] = []
        values.reserveCapacity(previous?.keys.count ?? 256)
        var signature = SignatureComparison(previous)
        while let header = lines.next() {
            guard !header.trimmingBlanks().isEmpty else { continue }
            let headerNumber = lines.lineNumber
            var names = FieldScanner(header)
            guard let protocolName = names.next(), protocolName.count > 1, protocolName.last == ASCII.colon else {
                throw .malformed(file, line: headerNumber, expected: "\"<Protocol>: <Counter> ...\"", got: header)
            }
            guard let valueLine = lines.next() else {
                throw .malformed(file: file, line: headerNumber + 1, reason: "missing the values of the header above")
            }
            var numbers = FieldScanner(valueLine)
            guard let valueProtocol = numbers.next(), valueProtocol.elementsEqual(protocolName) else {
                throw .malformed(
                    file, line: lines.lineNumber, expected: "the values of \(protocolName.string.debugDescription)",
                    got: valueLine)
            }
            while names.next() != nil {
                guard let number = numbers.next(), let value = number.integerAsDouble() else {
                    throw .malformed(
                        file, line: lines.lineNumber, expected: "an integer for each counter of the header above",
                        got: valueLine)
                }
                values.append(value)
            }
            guard numbers.next() == nil else {
                throw .malformed(
                    file, line: lines.lineNumber, expected: "as many values as the header above has counters",
                    got: valueLine)
            }
            signature.compare(header)
        }
        let layout = signature.matchesWhole ? previous! : protocolTableLayout(bytes)
        return NetStatistics(layout: layout, values: values)
    }

    /// The layout of an already validated /proc/net/netstat or /proc/net/snmp: `<Protocol>_<Counter>` for every
    /// counter its header lines name.
    private static func protocolTableLayout(_ bytes: UnsafeRawBufferPointer) -> NetStatisticsLayout {
        var lines = LineScanner(bytes)
        var keys: [String] = []
        var signature: [UInt8] = []
        while let header = lines.next() {
            guard !header.trimmingBlanks().isEmpty else { continue }
            _ = lines.next()
            signature.append(contentsOf: header)
            signature.append(ASCII.newline)
            var names = FieldScanner(header)
            guard let protocolName = names.next() else { continue }
            let prefix = UnsafeRawBufferPointer(rebasing: protocolName.dropLast()).string + "_"
            while let name = names.next() { keys.append(prefix + name.string) }
        }
        return NetStatisticsLayout(keys: keys, signature: signature)
    }

    /// Parses /proc/net/snmp6: one counter a line, its name and its value, `Ip6InReceives   45`. The name is split after
    /// its first `6` into protocol and counter (`Ip6_InReceives`, `Icmp6_InMsgs`, `UdpLite6_InErrors`), as
    /// node_exporter does; lines without a `6` in the name or without a value are skipped. `previous` is reused as in
    /// ``parse(_:reusing:)``. A value that is not an integer is malformed.
    public static func parseSNMP6(
        _ bytes: [UInt8], reusing previous: NetStatisticsLayout? = nil
    ) throws(ProcFSError) -> NetStatistics {
        try bytes.parsingBytes { (raw) throws(ProcFSError) in try parseSNMP6(raw, reusing: previous) }
    }

    static func parseSNMP6(
        _ bytes: UnsafeRawBufferPointer, reusing previous: NetStatisticsLayout?
    ) throws(ProcFSError) -> NetStatistics {
        var lines = LineScanner(bytes)
        var values: [Double] = []
        values.reserveCapacity(previous?.keys.count ?? 128)
        var signature = SignatureComparison(previous)
        while let line = lines.next() {
            var columns = FieldScanner(line)
            guard let name = columns.next(), name.firstIndex(of: UInt8(ascii: "6")) != nil,
                let number = columns.next()
            else { continue }
            guard let value = number.integerAsDouble() else {
                throw .malformed(
                    "/proc/net/snmp6", line: lines.lineNumber, expected: "\"<Counter> <integer>\"", got: line)
            }
            values.append(value)
            signature.compare(name)
        }
        guard !signature.matchesWhole else { return NetStatistics(layout: previous!, values: values) }
        var keys: [String] = []
        var signatureBytes: [UInt8] = []
        lines = LineScanner(bytes)
        while let line = lines.next() {
            var columns = FieldScanner(line)
            guard let name = columns.next(), let six = name.firstIndex(of: UInt8(ascii: "6")), columns.next() != nil
            else { continue }
            keys.append(
                UnsafeRawBufferPointer(rebasing: name[...six]).string + "_"
                    + UnsafeRawBufferPointer(rebasing: name[(six + 1)...]).string)
            signatureBytes.append(contentsOf: name)
            signatureBytes.append(ASCII.newline)
        }
        return NetStatistics(layout: NetStatisticsLayout(keys: keys, signature: signatureBytes), values: values)
    }
}

/// The names of the counters of a /proc/net statistics file, `<Protocol>_<Counter>` in file order
/// (`Tcp_ActiveOpens`, `IpExt_InOctets`, `Ip6_InOctets`), as node_exporter's netstat collector names them.
///
/// The counters a kernel prints change rarely (an `IcmpMsg` counter appears with the first message of its type), so
/// a layout is built only when the names change, and a caller that maps counters to its own objects does that once
/// per layout rather than once per read.
public final class NetStatisticsLayout: Sendable {
    /// One key per value of the file.
    public let keys: [String]
    /// The bytes the keys were read from (the header lines, or the name column of snmp6, each followed by a line
    /// feed), which the next read compares with its own.
    let signature: [UInt8]

    init(keys: [String], signature: [UInt8]) {
        self.keys = keys
        self.signature = signature
    }
}

/// Compares the name-bearing lines of a read, one after another, with the signature of the previous layout.
private struct SignatureComparison {
    private let previous: NetStatisticsLayout?
    private var offset = 0
    private var matches: Bool

    init(_ previous: NetStatisticsLayout?) {
        self.previous = previous
        matches = previous != nil
    }

    /// Compares the next line (followed by a line feed) with the signature at the current offset.
    mutating func compare(_ line: UnsafeRawBufferPointer) {
        guard matches, let previous else { return }
        let end = offset + line.count
        matches =
            end < previous.signature.count && previous.signature[end] == ASCII.newline
            && previous.signature.withUnsafeBytes { signature in
                line.isEmpty || memcmp(signature.baseAddress! + offset, line.baseAddress!, line.count) == 0
            }
        offset = end + 1
    }

    /// Whether every line matched and the signature has no more lines.
    var matchesWhole: Bool {
        matches && offset == previous?.signature.count
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes parsed as a decimal integer (`-?[0-9]+`) and converted to a Double: unsigned up to `UInt64.max`,
    /// negative down to `Int64.min`.
    fileprivate func integerAsDouble() -> Double? {
        if first == ASCII.minus { return decimalInt64().map { Double($0) } }
        return decimalUInt64().map { Double($0) }
    }
}
