extension ExpositionFormat {
    /// Appends a sample value: `NaN`, `+Inf`, `-Inf`; an integral value below 2^53 in magnitude as a plain integer
    /// (`0` for -0.0, no `.0`, no exponent); any other value as Swift's shortest text that reads back as the same
    /// `Double` (`0.1`, `1e-05`, `9.007199254740994e+15`). Both formats read all of these. Allocates only when
    /// `bytes` has to grow.
    public func appendSampleValue(_ value: Double, to bytes: inout [UInt8]) {
        appendNumber(value, to: &bytes)
    }

    /// Appends the value of a bucket's `le` label, as client_golang renders it so that the label is the same text
    /// whoever exposes the histogram: Go's shortest `%g` (`0.005`, `1`, `2.5`, `1e+06`) in text 0.0.4, and in
    /// OpenMetrics the canonical form of its specification (`%g` with `.0` added when there is neither a point nor
    /// an exponent: `1.0`, `0.005`, `1e+06`). `+Inf`, `-Inf` and `NaN` as in samples.
    public func appendBucketBound(_ bound: Double, to bytes: inout [UInt8]) {
        guard bound.isFinite else {
            appendNumber(bound, to: &bytes)
            return
        }
        let start = bytes.count
        appendGoShortest(bound, to: &bytes)
        if self == .openMetrics100,
            !bytes[start...].contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") })
        {
            bytes.appendASCII(".0")
        }
    }
}

/// See ``ExpositionFormat/appendSampleValue(_:to:)``.
func appendNumber(_ value: Double, to bytes: inout [UInt8]) {
    bytes.write(minimumCapacity: ByteWriter.maximumNumberLength) { $0.writeNumber(value) }
}

/// Appends an unsigned integer in decimal.
func appendDecimal(_ value: UInt64, to bytes: inout [UInt8]) {
    bytes.write(minimumCapacity: ByteWriter.maximumDecimalLength) { $0.writeDecimal(value) }
}

/// Calls `body` with Swift's shortest round-trip text of a finite `value` (the `description`), made without a
/// `String`: `Double.write(to:)` hands the digits to ``ASCIIScratch/_writeASCII(_:)`` as bytes.
@inline(__always)
func withShortestText(_ value: Double, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: ASCIIScratch.capacity) { storage in
        var scratch = ASCIIScratch(storage: storage)
        value.write(to: &scratch)
        body(UnsafeBufferPointer(rebasing: storage[..<scratch.count]))
    }
}

/// Appends a finite value as Go's `strconv.FormatFloat(value, 'g', -1, 64)` does, which is what client_golang
/// writes for `le` labels: the shortest digits that round-trip, in exponent form (`1e+06`, `1.5e-05`, at least
/// two exponent digits) when the decimal exponent is below -4 or at least 6, in positional form otherwise; zero
/// (either sign) as `0`.
func appendGoShortest(_ value: Double, to bytes: inout [UInt8]) {
    if value == 0 {
        bytes.append(UInt8(ascii: "0"))
        return
    }
    withShortestText(value) { text in
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: ASCIIScratch.capacity) { digits in
            let decimal = DecimalDigits(parsing: text, into: digits)
            if decimal.isNegative { bytes.append(UInt8(ascii: "-")) }
            let significant = UnsafeBufferPointer(rebasing: digits[..<decimal.count])
            let exponent = decimal.pointPosition - 1
            if exponent < -4 || exponent >= 6 {
                bytes.append(significant[0])
                if significant.count > 1 {
                    bytes.append(UInt8(ascii: "."))
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: significant[1...]))
                }
                bytes.append(UInt8(ascii: "e"))
                bytes.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                if exponent.magnitude < 10 { bytes.append(UInt8(ascii: "0")) }
                appendDecimal(UInt64(exponent.magnitude), to: &bytes)
            } else if decimal.pointPosition <= 0 {
                bytes.appendASCII("0.")
                bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -decimal.pointPosition))
                bytes.append(contentsOf: significant)
            } else if decimal.pointPosition >= significant.count {
                bytes.append(contentsOf: significant)
                bytes.append(
                    contentsOf: repeatElement(UInt8(ascii: "0"), count: decimal.pointPosition - significant.count))
            } else {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: significant[..<decimal.pointPosition]))
                bytes.append(UInt8(ascii: "."))
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: significant[decimal.pointPosition...]))
            }
        }
    }
}

/// The significant digits of a number written in decimal (`-123.45`, `0.001`, `1.5e+16`) and where its decimal
/// point goes: the value is `0.<digits> × 10^pointPosition`. Digits carry no leading or trailing zeros.
struct DecimalDigits {
    var isNegative = false
    /// The number of significant digits written to the buffer.
    var count = 0
    var pointPosition = 0

    /// Parses `text` (as Swift's `Double.description` writes finite non-zero values), writing the significant
    /// digits to `digits`, which must be at least as long as `text`.
    init(parsing text: UnsafeBufferPointer<UInt8>, into digits: UnsafeMutableBufferPointer<UInt8>) {
        var index = 0
        if index < text.count, text[index] == UInt8(ascii: "-") {
            isNegative = true
            index += 1
        }
        var seenPoint = false
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: ".") {
                seenPoint = true
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                if count == 0, byte == UInt8(ascii: "0") {
                    if seenPoint { pointPosition -= 1 }
                } else {
                    digits[count] = byte
                    count += 1
                    if !seenPoint { pointPosition += 1 }
                }
            } else {
                break
            }
            index += 1
        }
        if index < text.count, text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") {
            index += 1
            var exponentSign = 1
            if index < text.count, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
                if text[index] == UInt8(ascii: "-") { exponentSign = -1 }
                index += 1
            }
            var exponent = 0
            while index < text.count, text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9") {
                exponent = min(exponent * 10 + Int(text[index] - UInt8(ascii: "0")), 10_000)
                index += 1
            }
            pointPosition += exponentSign * exponent
        }
        while count > 0, digits[count - 1] == UInt8(ascii: "0") { count -= 1 }
    }
}

/// A `TextOutputStream` writing into fixed storage (stack scratch space, or the spare capacity of the output), so
/// that a `Double` can be printed without a `String`.
///
/// It implements the standard library's underscored `_writeASCII(_:)` requirement, through which
/// `Double.write(to:)` passes its digits as bytes; the default implementation would build a `String`.
struct ASCIIScratch: TextOutputStream {
    /// Room for the longest `Double` description (24 bytes, `-2.2250738585072014e-308`) with margin.
    static var capacity: Int { 40 }

    private let storage: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(storage: UnsafeMutableBufferPointer<UInt8>) {
        self.storage = storage
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        append(buffer)
    }

    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { append($0) }
    }

    /// Appends as much of `bytes` as fits; a `Double` always fits.
    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        let length = min(bytes.count, storage.count - count)
        guard length > 0, let source = bytes.baseAddress, let target = storage.baseAddress else { return }
        (target + count).initialize(from: source, count: length)
        count += length
    }
}
