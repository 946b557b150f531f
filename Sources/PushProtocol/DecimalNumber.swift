#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Decimal number parsing for push values and sample rates, without `String` and without allocating.
///
/// The grammar is the decimal part of Go's `strconv.ParseFloat` (what StatsD clients and
/// statsd_exporter agree on): an optional `+` or `-`, digits with an optional `.` (at least one digit
/// in all), and an optional exponent `e`/`E`, optional sign, at least one digit. `1.`, `.5`, `+3` and
/// `2.5e-3` are numbers; `1o`, `.`, `1e`, ` 1`, `0x10`, `1_000`, `inf` and `nan` are not. Results must be
/// finite: a value that overflows a `Double` is refused (Go reports it as a range error); one that
/// underflows becomes a subnormal or zero, as in Go.
enum DecimalNumber {
    /// The most a decimal mantissa may grow to before further digits are left to `strtod`.
    private static let mantissaLimit: UInt64 = 1_000_000_000_000_000_000

    /// Mantissas up to 2^53 convert to `Double` exactly, which the fast path needs.
    private static let exactMantissaLimit: UInt64 = 1 << 53

    /// The powers of ten that are exact `Double`s (10^0 ... 10^22).
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
        1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses `bytes[range]` as a decimal number; nil when it is not one or is not finite.
    @inline(__always)
    static func parse(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Double? {
        guard let (value, end) = parsePrefix(bytes, range.lowerBound, range.upperBound), end == range.upperBound
        else { return nil }
        return value
    }

    /// Parses the decimal number that starts at `start` and ends at the first byte (before `limit`) that
    /// cannot continue it. Returns the value and that byte's offset, or nil when no number starts there,
    /// or it is not finite.
    ///
    /// Numbers with at most 2^53 as their digits and a decimal exponent within ±22 are converted exactly
    /// with one multiplication or division (Clinger's fast path); the rest go to `strtod` on a
    /// NUL-terminated copy, after the grammar above has been checked here.
    @inline(__always)
    static func parsePrefix(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ limit: Int) -> (Double, Int)? {
        var index = start
        guard index < limit else { return nil }
        var isNegative = false
        let sign = bytes[index]
        if sign == UInt8(ascii: "-") {
            isNegative = true
            index += 1
        } else if sign == UInt8(ascii: "+") {
            index += 1
        }
        var mantissa: UInt64 = 0
        var exponent = 0
        var sawDigit = false
        var isTruncated = false
        while index < limit {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            sawDigit = true
            if mantissa < mantissaLimit {
                mantissa = mantissa &* 10 &+ UInt64(digit)
            } else {
                exponent += 1
                isTruncated = isTruncated || digit != 0
            }
            index += 1
        }
        if index < limit && bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < limit {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                sawDigit = true
                if mantissa < mantissaLimit {
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    exponent -= 1
                } else {
                    isTruncated = isTruncated || digit != 0
                }
                index += 1
            }
        }
        guard sawDigit else { return nil }
        if index < limit && bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentIsNegative = false
            if index < limit && (bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+")) {
                exponentIsNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0
            var sawExponentDigit = false
            while index < limit {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                sawExponentDigit = true
                // Past 100,000 the result is 0 or infinite anyway; stopping there keeps this from overflowing.
                if written < 100_000 { written = written * 10 + Int(digit) }
                index += 1
            }
            guard sawExponentDigit else { return nil }
            exponent += exponentIsNegative ? -written : written
        }

        if !isTruncated && mantissa <= exactMantissaLimit {
            if exponent == 0 {
                let value = Double(mantissa)
                return (isNegative ? -value : value, index)
            }
            if exponent >= -22 && exponent <= 22 {
                var value = Double(mantissa)
                if exponent < 0 {
                    value /= exactPowersOfTen[-exponent]
                } else {
                    value *= exactPowersOfTen[exponent]
                }
                return (isNegative ? -value : value, index)
            }
            if mantissa == 0 {
                return (isNegative ? -0.0 : 0.0, index)
            }
        }
        guard let value = convertWithStrtod(UnsafeRawBufferPointer(rebasing: bytes[start..<index])) else {
            return nil
        }
        return (value, index)
    }

    /// Converts text already known to match the grammar with the C library (in the "C" locale, which a
    /// process has until it calls `setlocale`).
    private static func convertWithStrtod(_ text: UnsafeRawBufferPointer) -> Double? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { copy -> Double? in
            guard let start = copy.baseAddress else { return nil }
            UnsafeMutableRawBufferPointer(copy).copyMemory(from: text)
            copy[text.count] = 0
            var stop: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(start, &stop)
            guard stop == start + text.count, value.isFinite else { return nil }
            return value
        }
    }
}
