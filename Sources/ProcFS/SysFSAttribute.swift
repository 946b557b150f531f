import Glibc

/// A sysfs attribute file: one value and a newline, e.g. `/sys/class/net/eth0/mtu` (`1500`), `flags` (`0x1003`),
/// `operstate` (`up`), or a list of names such as `/sys/class/net/bonding_masters` (`bond0 bond1`).
///
/// The parsers follow how node_exporter (through prometheus/procfs) reads such files, so that values come out the
/// same: blanks and newlines around the value are ignored, integers are Go's `strconv.ParseInt` or `ParseUint`, and
/// hwmon values Go's `strconv.ParseFloat`. See https://docs.kernel.org/filesystems/sysfs.html.
public enum SysFSAttribute {
    static let file = "/sys/[attribute]"

    /// The value as text without surrounding whitespace (`\t`, `\n`, `\v`, `\f`, `\r`, space), as Go's
    /// `bytes.TrimSpace`. Never fails; an empty file is the empty string.
    public static func parseText(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { raw in raw.trimmingWhitespace().string }
    }

    /// The value as text with only newlines removed from both ends, as node_exporter's hwmon collector trims them.
    public static func parseLine(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { raw in
            var start = 0
            var end = raw.count
            while start < end && raw[start] == ASCII.newline { start += 1 }
            while end > start && raw[end - 1] == ASCII.newline { end -= 1 }
            return UnsafeRawBufferPointer(rebasing: raw[start..<end]).string
        }
    }

    /// The whitespace-separated names of the file (Go's `strings.Fields`), e.g. `bond0 bond1`; none for an empty
    /// file.
    public static func parseNames(_ bytes: [UInt8]) -> [String] {
        bytes.withUnsafeBytes { raw in
            var names: [String] = []
            var start = -1
            for index in 0...raw.count {
                let isSpace = index == raw.count || isWhitespace(raw[index])
                if isSpace {
                    if start >= 0 { names.append(UnsafeRawBufferPointer(rebasing: raw[start..<index]).string) }
                    start = -1
                } else if start < 0 {
                    start = index
                }
            }
            return names
        }
    }

    /// A signed integer with the base taken from its prefix, as Go's `strconv.ParseInt(s, 0, 64)`: `0x` hex (the
    /// `flags` of a network interface), `0o` or a leading `0` octal, `0b` binary, otherwise decimal, with an
    /// optional sign. Anything else, or a value outside `Int64`, is malformed.
    public static func parseInteger(_ bytes: [UInt8]) throws(ProcFSError) -> Int64 {
        try bytes.parsingBytes { (raw) throws(ProcFSError) -> Int64 in
            let value = raw.trimmingWhitespace()
            guard let parsed = signedInteger(value, inferringBase: true) else {
                throw .malformed(file, line: 1, expected: "an integer", got: value)
            }
            return parsed
        }
    }

    /// A signed decimal integer, as Go's `strconv.ParseInt(s, 10, 64)` (a thermal zone's `temp`, a cooling device's
    /// `cur_state`, which may be `-1`).
    public static func parseDecimalInteger(_ bytes: [UInt8]) throws(ProcFSError) -> Int64 {
        try bytes.parsingBytes { (raw) throws(ProcFSError) -> Int64 in
            let value = raw.trimmingWhitespace()
            guard let parsed = signedInteger(value, inferringBase: false) else {
                throw .malformed(file, line: 1, expected: "a decimal integer", got: value)
            }
            return parsed
        }
    }

    /// An unsigned decimal integer, as Go's `strconv.ParseUint(s, 10, 64)` (the kHz of `cpufreq/scaling_cur_freq`).
    public static func parseUnsigned(_ bytes: [UInt8]) throws(ProcFSError) -> UInt64 {
        try bytes.parsingBytes { (raw) throws(ProcFSError) -> UInt64 in
            let value = raw.trimmingWhitespace()
            guard let parsed = value.decimalUInt64() else {
                throw .malformed(file, line: 1, expected: "an unsigned decimal integer", got: value)
            }
            return parsed
        }
    }

    /// A number as Go's `strconv.ParseFloat(s, 64)` reads it after the newlines around it are removed: an optional
    /// sign, digits with an optional fraction and exponent, hex floats, `inf` and `nan` (hwmon's `temp1_input`,
    /// `in0_input`). Leading or trailing blanks are malformed, as in Go.
    public static func parseFloat(_ bytes: [UInt8]) throws(ProcFSError) -> Double {
        try bytes.parsingBytes { (raw) throws(ProcFSError) -> Double in
            var start = 0
            var end = raw.count
            while start < end && raw[start] == ASCII.newline { start += 1 }
            while end > start && raw[end - 1] == ASCII.newline { end -= 1 }
            let value = UnsafeRawBufferPointer(rebasing: raw[start..<end])
            if let plain = value.decimalDouble() { return plain }
            guard let parsed = strtodWhole(value) else {
                throw .malformed(file, line: 1, expected: "a number", got: value)
            }
            return parsed
        }
    }

    /// `strtod` over the whole of `value`, refusing leading whitespace (which `strtod` would skip but Go does not)
    /// and anything left over.
    private static func strtodWhole(_ value: UnsafeRawBufferPointer) -> Double? {
        guard let first = value.first, !isWhitespace(first), value.count <= 256 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: value.count + 1) { buffer -> Double? in
            guard let destination = buffer.baseAddress, let source = value.baseAddress else { return nil }
            memcpy(destination, source, value.count)
            destination[value.count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let parsed = strtod(destination, &end)
            guard end == destination + value.count else { return nil }
            return parsed
        }
    }

    private static func signedInteger(_ value: UnsafeRawBufferPointer, inferringBase: Bool) -> Int64? {
        guard var index = value.indices.first else { return nil }
        var negative = false
        if value[index] == ASCII.minus || value[index] == UInt8(ascii: "+") {
            negative = value[index] == ASCII.minus
            index += 1
        }
        var base: UInt64 = 10
        if inferringBase && index < value.count && value[index] == ASCII.zero && index + 1 < value.count {
            switch value[index + 1] | 0x20 {
            case UInt8(ascii: "x"): base = 16; index += 2
            case UInt8(ascii: "o"): base = 8; index += 2
            case UInt8(ascii: "b"): base = 2; index += 2
            default: base = 8; index += 1
            }
        }
        guard index < value.count else { return nil }
        var magnitude: UInt64 = 0
        for byte in value[index...] {
            let digit: UInt64
            switch byte {
            case ASCII.zero...UInt8(ascii: "9"): digit = UInt64(byte - ASCII.zero)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt64(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            guard digit < base else { return nil }
            let (shifted, overflowMultiplying) = magnitude.multipliedReportingOverflow(by: base)
            let (sum, overflowAdding) = shifted.addingReportingOverflow(digit)
            guard !overflowMultiplying && !overflowAdding else { return nil }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// Go's `unicode.IsSpace` for ASCII.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == ASCII.space || (byte >= 0x09 && byte <= 0x0D)
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes without leading and trailing ASCII whitespace (Go's `bytes.TrimSpace` for ASCII).
    func trimmingWhitespace() -> UnsafeRawBufferPointer {
        var start = 0
        var end = count
        while start < end && SysFSAttribute.isWhitespace(self[start]) { start += 1 }
        while end > start && SysFSAttribute.isWhitespace(self[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: self[start..<end])
    }
}
