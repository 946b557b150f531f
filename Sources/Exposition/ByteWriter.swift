/// Writes bytes into uninitialized memory at the end of a byte array: the encoder's hot loops check for room once
/// per line (or per histogram series) and then store bytes without the uniqueness and capacity checks of
/// `Array.append`.
struct ByteWriter {
    private let start: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    /// The number of bytes written, counted from the start of the writable region.
    private(set) var count: Int

    init(start: UnsafeMutablePointer<UInt8>, capacity: Int, count: Int) {
        self.start = start
        self.capacity = capacity
        self.count = count
    }

    /// The bytes that can still be written.
    var remaining: Int { capacity - count }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        assert(remaining >= 1)
        (start + count).initialize(to: byte)
        count += 1
    }

    @inline(__always)
    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        assert(remaining >= bytes.count)
        guard let source = bytes.baseAddress else { return }
        (start + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { write($0) }
    }

    @inline(__always)
    mutating func write(_ text: StaticString) {
        write(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The most bytes ``writeNumber(_:)`` writes: the longest `Double` description is 24 bytes
    /// (`-2.2250738585072014e-308`).
    static var maximumNumberLength: Int { 32 }

    /// The most bytes ``writeDecimal(_:)`` writes.
    static var maximumDecimalLength: Int { 20 }

    /// Writes an unsigned integer in decimal.
    @inline(__always)
    mutating func writeDecimal(_ value: UInt64) {
        var length = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            length += 1
        }
        assert(remaining >= length)
        var position = start + count + length
        var remainder = value
        repeat {
            let (quotient, digit) = remainder.quotientAndRemainder(dividingBy: 10)
            position -= 1
            position.initialize(to: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: digit))
            remainder = quotient
        } while remainder != 0
        count += length
    }

    /// Writes a sample value as ``ExpositionFormat/appendSampleValue(_:to:)`` describes.
    @inline(__always)
    mutating func writeNumber(_ value: Double) {
        assert(remaining >= Self.maximumNumberLength)
        if let integer = Int64(exactly: value), integer.magnitude < 1 << 53 {
            if integer < 0 { write(UInt8(ascii: "-")) }
            writeDecimal(integer.magnitude)
        } else if value.isNaN {
            write("NaN")
        } else if value.isInfinite {
            write(value < 0 ? "-Inf" : "+Inf")
        } else {
            var scratch = ASCIIScratch(
                storage: UnsafeMutableBufferPointer(start: start + count, count: Self.maximumNumberLength))
            value.write(to: &scratch)
            count += scratch.count
        }
    }
}

extension Array where Element == UInt8 {
    /// Appends what `body` writes, giving it at least `minimumCapacity` bytes of room: all the spare capacity when
    /// that is enough, or else a region that at least doubles the capacity, so that growth stays amortized and a
    /// reused buffer does not grow at all.
    @inline(__always)
    mutating func write(minimumCapacity: Int, _ body: (inout ByteWriter) -> Void) {
        precondition(minimumCapacity > 0)
        let spare = capacity - count
        let room = spare >= minimumCapacity ? spare : Swift.max(minimumCapacity, capacity)
        append(addingCapacity: room) { (span: inout OutputSpan<UInt8>) in
            span.withUnsafeMutableBufferPointer { region, initialized in
                // A region of at least one byte always has an address.
                guard let start = region.baseAddress else { return }
                var writer = ByteWriter(start: start, capacity: region.count, count: initialized)
                body(&writer)
                initialized = writer.count
            }
        }
    }

    /// Appends the bytes of a literal without creating a `String`.
    @inline(__always)
    mutating func appendASCII(_ text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
