/// Writes protobuf wire format into a `[UInt8]`. Nested messages are written in place: ``beginField(_:)`` leaves
/// one byte for the length, and ``endField(_:)`` writes it, moving the contents when the length needs more bytes,
/// so the output is canonical (minimal lengths).
public struct ProtobufWriter: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8]

    @inlinable public init(reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable public mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    @inlinable public mutating func tag(_ number: UInt32, _ wireType: WireType) {
        varint(UInt64(number) << 3 | UInt64(wireType.rawValue))
    }

    @inlinable public mutating func fixed64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A varint field (uint32/64, int32/64, enum, bool).
    @inlinable public mutating func varintField(_ number: UInt32, _ value: UInt64) {
        tag(number, .varint)
        varint(value)
    }

    /// A `fixed64`, `sfixed64` or `double` field, from its bits.
    @inlinable public mutating func fixed64Field(_ number: UInt32, _ value: UInt64) {
        tag(number, .fixed64)
        fixed64(value)
    }

    @inlinable public mutating func doubleField(_ number: UInt32, _ value: Double) {
        fixed64Field(number, value.bitPattern)
    }

    /// A `string` or `bytes` field.
    @inlinable public mutating func bytesField(_ number: UInt32, _ value: some Collection<UInt8>) {
        tag(number, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    @inlinable public mutating func stringField(_ number: UInt32, _ value: String) {
        var value = value
        value.withUTF8 { bytesField(number, $0) }
    }

    /// Starts a length-delimited field (a message, a packed run, a string written piecewise); returns the token
    /// that ``endField(_:)`` takes.
    @inlinable public mutating func beginField(_ number: UInt32) -> Int {
        tag(number, .lengthDelimited)
        bytes.append(0)
        return bytes.count
    }

    /// Ends the field ``beginField(_:)`` started, writing its length.
    @inlinable public mutating func endField(_ start: Int) {
        let length = bytes.count - start
        if length < 0x80 {
            bytes[start - 1] = UInt8(truncatingIfNeeded: length)
            return
        }
        var size = 1
        var rest = length >> 7
        while rest > 0 {
            size += 1
            rest >>= 7
        }
        bytes.insert(contentsOf: repeatElement(0, count: size - 1), at: start)
        var value = length
        for index in (start - 1)..<(start - 1 + size) {
            bytes[index] = UInt8(truncatingIfNeeded: value & 0x7F) | (index < start - 2 + size ? 0x80 : 0)
            value >>= 7
        }
    }
}
