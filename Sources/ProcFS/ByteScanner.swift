import Glibc

/// The ASCII bytes the parsers look for.
enum ASCII {
    static let newline = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let slash = UInt8(ascii: "/")
    static let period = UInt8(ascii: ".")
    static let minus = UInt8(ascii: "-")
    static let backslash = UInt8(ascii: "\\")
    static let equals = UInt8(ascii: "=")
    static let zero = UInt8(ascii: "0")

    /// Spaces and tabs separate the columns of every /proc file parsed here.
    @inline(__always)
    static func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab }
}

/// Walks a file line by line, numbering lines from 1. A last line without a trailing newline still counts.
struct LineScanner {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    /// The 1-based number of the line most recently returned by `next()`; 0 before the first.
    private(set) var lineNumber = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The next line without its newline, or nil at the end of the file.
    mutating func next() -> UnsafeRawBufferPointer? {
        guard position < bytes.count, let base = bytes.baseAddress else { return nil }
        let start = position
        let remaining = bytes.count - start
        let end: Int
        if let newline = memchr(base + start, Int32(ASCII.newline), remaining) {
            end = base.distance(to: UnsafeRawPointer(newline))
        } else {
            end = bytes.count
        }
        position = end + 1
        lineNumber += 1
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }
}

/// Splits one line into fields separated by runs of spaces and tabs.
///
/// The loops keep the position in a local and read through one base pointer: this is the innermost code of every
/// parser, run over each byte of each file on every scrape.
struct FieldScanner {
    private let line: UnsafeRawBufferPointer

    /// The offset in the line just after the field most recently returned by `next()`.
    private(set) var position = 0

    init(_ line: UnsafeRawBufferPointer) {
        self.line = line
    }

    /// The next field, or nil when only blanks are left.
    mutating func next() -> UnsafeRawBufferPointer? {
        guard let base = line.baseAddress else { return nil }
        let end = line.count
        var index = skipBlanks(base, from: position, to: end)
        let start = index
        while index < end && !ASCII.isBlank(base.load(fromByteOffset: index, as: UInt8.self)) { index &+= 1 }
        position = index
        guard index > start else { return nil }
        return UnsafeRawBufferPointer(start: base + start, count: index &- start)
    }

    /// The next field parsed as an unsigned decimal; nil when there is no field or it is not a number that fits.
    /// Scans and converts in one pass, since most columns of /proc files are numbers.
    mutating func nextUInt64() -> UInt64? {
        guard let base = line.baseAddress else { return nil }
        let end = line.count
        var index = skipBlanks(base, from: position, to: end)
        let start = index
        var value: UInt64 = 0
        while index < end {
            let digit = base.load(fromByteOffset: index, as: UInt8.self) &- ASCII.zero
            guard digit < 10 else { break }
            value = value &* 10 &+ UInt64(digit)
            index &+= 1
        }
        position = index
        let digits = index &- start
        guard digits > 0, index == end || ASCII.isBlank(base.load(fromByteOffset: index, as: UInt8.self)) else {
            return nil
        }
        // Up to 19 digits stay below 10^19 < 2^64; only longer numbers can have wrapped.
        guard digits > 19 else { return value }
        return UnsafeRawBufferPointer(start: base + start, count: digits).decimalUInt64()
    }

    /// The first offset from `index` on that is not a space or tab, skipping runs of spaces eight at a time (the
    /// kernel pads columns with them).
    @inline(__always)
    private func skipBlanks(_ base: UnsafeRawPointer, from index: Int, to end: Int) -> Int {
        var index = index
        while end &- index >= 8 && base.loadUnaligned(fromByteOffset: index, as: UInt64.self) == 0x2020_2020_2020_2020 {
            index &+= 8
        }
        while index < end && ASCII.isBlank(base.load(fromByteOffset: index, as: UInt8.self)) { index &+= 1 }
        return index
    }

    /// Whatever follows the current position, with leading and trailing blanks removed.
    var rest: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[position...]).trimmingBlanks()
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes as a string; invalid UTF-8 becomes U+FFFD rather than failing.
    var string: String { String(decoding: self, as: UTF8.self) }

    /// Whether the bytes equal the ASCII text `literal`, compared without creating a String.
    func equals(_ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && starts(with: literal)
    }

    /// Whether the bytes begin with the ASCII text `literal`. The keys compared are a few bytes long, so a plain
    /// loop beats a call to `memcmp`.
    func starts(with literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard count >= length else { return false }
        let text = literal.utf8Start
        for index in 0..<length where self[index] != text[index] { return false }
        return true
    }

    /// These bytes as one of `candidates` when one matches, otherwise decoded into a new string.
    ///
    /// The lines of a kernel file repeat the same names on every read, in the same order. A matching candidate is an
    /// immortal string literal, so it costs neither UTF-8 validation nor an allocation. The search starts at `hint`
    /// and leaves it just past the match, so a file in the expected order needs one comparison per name.
    func string(matching candidates: [String], hint: inout Int) -> String {
        guard let base = baseAddress else { return "" }
        var index = hint
        for _ in 0..<candidates.count {
            if index >= candidates.count { index = 0 }
            let candidate = candidates[index]
            if candidate.utf8.count == count {
                let equal = candidate.utf8.withContiguousStorageIfAvailable { utf8 in
                    utf8.baseAddress.map { memcmp($0, base, count) == 0 } ?? false
                }
                if equal == true {
                    hint = index + 1
                    return candidate
                }
            }
            index += 1
        }
        return string
    }

    /// The index of the first `byte`, if any.
    func firstIndex(of byte: UInt8) -> Int? {
        guard let base = baseAddress, let found = memchr(base, Int32(byte), count) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// The bytes without leading and trailing spaces and tabs.
    func trimmingBlanks() -> UnsafeRawBufferPointer {
        var start = 0
        var end = count
        while start < end && ASCII.isBlank(self[start]) { start += 1 }
        while end > start && ASCII.isBlank(self[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: self[start..<end])
    }

    /// The bytes parsed as an unsigned decimal integer (`[0-9]+`); nil for anything else, including a value above
    /// `UInt64.max`, so that a corrupt or hostile file can never trap.
    func decimalUInt64() -> UInt64? {
        guard !isEmpty else { return nil }
        var value: UInt64 = 0
        guard count > 19 else {
            // Up to 19 digits stay below 10^19 < 2^64: no overflow checks needed.
            for byte in self {
                let digit = byte &- ASCII.zero
                guard digit < 10 else { return nil }
                value = value &* 10 &+ UInt64(digit)
            }
            return value
        }
        for byte in self {
            let digit = byte &- ASCII.zero
            guard digit < 10 else { return nil }
            let (shifted, overflowMultiplying) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdding) = shifted.addingReportingOverflow(UInt64(digit))
            guard !overflowMultiplying && !overflowAdding else { return nil }
            value = sum
        }
        return value
    }

    /// The bytes parsed as a signed decimal integer (`-?[0-9]+`); nil for anything else or a value outside `Int64`.
    func decimalInt64() -> Int64? {
        guard let first = first else { return nil }
        guard first == ASCII.minus else {
            guard let magnitude = decimalUInt64(), magnitude <= UInt64(Int64.max) else { return nil }
            return Int64(magnitude)
        }
        let digits = UnsafeRawBufferPointer(rebasing: self[1...])
        guard let magnitude = digits.decimalUInt64(), magnitude <= UInt64(Int64.max) + 1 else { return nil }
        return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
    }

    /// The bytes parsed as an unsigned hexadecimal integer (`[0-9a-fA-F]+`, no `0x`), as the kernel prints the columns
    /// of /proc/net/softnet_stat and /proc/net/stat/*; nil for anything else, including a value above `UInt64.max`.
    func hexadecimalUInt64() -> UInt64? {
        guard !isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in self {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default: return nil
            }
            guard value >> 60 == 0 else { return nil }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    /// The bytes parsed as a non-negative decimal (`[0-9]*\.?[0-9]*` with at least one digit, e.g. "0.21"),
    /// rounded exactly as `strtod` rounds it; nil for anything else.
    ///
    /// Short inputs take Clinger's fast path: when the digits form an integer of at most 2^53 and there are at most
    /// 22 fraction digits, both the integer and the power of ten are exact doubles, so one division is correctly
    /// rounded. Longer inputs go to `strtod`.
    func decimalDouble() -> Double? {
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var fractionDigits = 0
        var digitCount = 0
        var sawPeriod = false
        for byte in self {
            if byte == ASCII.period {
                guard !sawPeriod else { return nil }
                sawPeriod = true
                continue
            }
            let digit = byte &- ASCII.zero
            guard digit < 10 else { return nil }
            digitCount += 1
            if sawPeriod { fractionDigits += 1 }
            if mantissa == 0 && digit == 0 { continue }
            significantDigits += 1
            if significantDigits <= 19 { mantissa = mantissa &* 10 &+ UInt64(digit) }
        }
        guard digitCount > 0 else { return nil }
        if significantDigits <= 19 && mantissa <= 1 << 53 && fractionDigits <= 22 {
            // 10^k is an exact Double for k <= 22, and so is every partial product on the way.
            var powerOfTen = 1.0
            for _ in 0..<fractionDigits { powerOfTen *= 10 }
            return Double(mantissa) / powerOfTen
        }
        return strtodCopy()
    }

    /// `strtod` over a NUL-terminated copy on the stack; only called on input already checked to be digits with
    /// at most one period.
    private func strtodCopy() -> Double? {
        guard count <= 256 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer -> Double? in
            guard let destination = buffer.baseAddress, let source = baseAddress else { return nil }
            memcpy(destination, source, count)
            destination[count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(destination, &end)
            guard end == destination + count else { return nil }
            return value
        }
    }
}

extension ProcFSError {
    /// A malformed-line error that quotes the offending line (at most 120 bytes of it).
    static func malformed(
        _ file: String, line lineNumber: Int, expected: String, got line: UnsafeRawBufferPointer
    ) -> ProcFSError {
        let excerpt = UnsafeRawBufferPointer(rebasing: line.prefix(120)).string
        let ellipsis = line.count > 120 ? "…" : ""
        return .malformed(
            file: file, line: lineNumber, reason: "expected \(expected), got \(excerpt.debugDescription)\(ellipsis)")
    }

    /// The error for a file that must not be empty.
    static func emptyFile(_ file: String) -> ProcFSError {
        .malformed(file: file, line: 1, reason: "empty file")
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a parser: the standard library's version only rethrows untyped errors.
    func parsingBytes<Value>(
        _ parse: (UnsafeRawBufferPointer) throws(ProcFSError) -> Value
    ) throws(ProcFSError) -> Value {
        let outcome = withUnsafeBytes { raw in Result { () throws(ProcFSError) in try parse(raw) } }
        return try outcome.get()
    }
}
