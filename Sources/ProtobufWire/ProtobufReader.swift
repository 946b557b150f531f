/// The protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
public enum WireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5

    public var name: String {
        switch self {
        case .varint: "varint"
        case .fixed64: "fixed64"
        case .lengthDelimited: "length-delimited"
        case .startGroup: "start-group"
        case .endGroup: "end-group"
        case .fixed32: "fixed32"
        }
    }
}

/// One field tag read from the wire.
public struct FieldTag: Sendable {
    public var number: UInt32
    public var wireType: WireType
    /// Where the tag starts in the whole body, for messages.
    public var offset: Int

    @inlinable public init(number: UInt32, wireType: WireType, offset: Int) {
        self.number = number
        self.wireType = wireType
        self.offset = offset
    }
}

/// Reads the fields of one protobuf message in place: a cursor over a range of the whole body, so that offsets in
/// errors are offsets in the body. Every read checks its length against the end of the message; nothing traps on
/// any input.
public struct ProtobufReader {
    public let bytes: UnsafeRawBufferPointer
    public var position: Int
    public let end: Int

    @inlinable public init(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    @inlinable public var isAtEnd: Bool { position >= end }

    /// The next field's tag, or nil at the end of the message. Groups are refused here, since OTLP has none and
    /// skipping one means matching its end tag.
    @inlinable public mutating func nextTag() throws(ProtobufDecodingError) -> FieldTag? {
        guard position < end else { return nil }
        let start = position
        let raw = try readVarint()
        guard raw <= UInt64(UInt32.max) else {
            throw ProtobufDecodingError(.invalidTag, at: start, "field tag \(raw) is out of range")
        }
        let number = UInt32(truncatingIfNeeded: raw >> 3)
        guard number != 0 else { throw ProtobufDecodingError(.invalidTag, at: start, "field number 0") }
        guard let wireType = WireType(rawValue: UInt8(truncatingIfNeeded: raw & 7)) else {
            throw ProtobufDecodingError(.invalidTag, at: start, "invalid wire type \(raw & 7) for field \(number)")
        }
        if wireType == .startGroup || wireType == .endGroup {
            throw ProtobufDecodingError(
                .groupNotSupported, at: start, "field \(number) uses the deprecated group wire type")
        }
        return FieldTag(number: number, wireType: wireType, offset: start)
    }

    @inlinable public mutating func readVarint() throws(ProtobufDecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < end else {
                throw ProtobufDecodingError(.truncated, at: start, "truncated varint")
            }
            let byte = bytes[position]
            position &+= 1
            if shift == 63 && byte > 1 {
                throw ProtobufDecodingError(.varintOverflow, at: start, "varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift &+= 7
        }
    }

    @inlinable public mutating func readFixed64() throws(ProtobufDecodingError) -> UInt64 {
        guard end &- position >= 8 else {
            throw ProtobufDecodingError(.truncated, at: position, "truncated fixed64 value")
        }
        let value = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position &+= 8
        return UInt64(littleEndian: value)
    }

    @inlinable public mutating func readFixed32() throws(ProtobufDecodingError) -> UInt32 {
        guard end &- position >= 4 else {
            throw ProtobufDecodingError(.truncated, at: position, "truncated fixed32 value")
        }
        let value = bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position &+= 4
        return UInt32(littleEndian: value)
    }

    /// The range of a length-delimited field's contents, after checking that it fits in the message.
    @inlinable public mutating func readLengthDelimited() throws(ProtobufDecodingError) -> Range<Int> {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(end &- position) else {
            throw ProtobufDecodingError(
                .truncated, at: start, "length \(length) runs past the end of the message (\(end &- position) left)")
        }
        let lower = position
        position &+= Int(length)
        return lower..<position
    }

    /// Skips the value of a field that is not read.
    @inlinable public mutating func skip(_ wireType: WireType) throws(ProtobufDecodingError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup, .endGroup:
            throw ProtobufDecodingError(.groupNotSupported, at: position, "group wire type")
        }
    }

    /// Checks that `tag` has the wire type `expected`; the message names the field and its message.
    @inlinable public static func expect(
        _ tag: FieldTag, _ expected: WireType, in message: String
    ) throws(ProtobufDecodingError) {
        guard tag.wireType == expected else { throw wrongWireType(tag, expected, in: message) }
    }

    @inlinable public static func wrongWireType(
        _ tag: FieldTag, _ expected: WireType, in message: String
    ) -> ProtobufDecodingError {
        ProtobufDecodingError(
            .wrongWireType, at: tag.offset,
            "wrong wire type \(tag.wireType.rawValue) (\(tag.wireType.name)) for field \(tag.number) of \(message)"
                + " (want \(expected.name))")
    }
}

/// Unchecked reads over bytes the decoder has already checked: the views handed to a visitor use these. They still
/// never trap: a fault ends the iteration (it cannot happen on checked bytes).
public struct CheckedFields: IteratorProtocol {
    public var reader: ProtobufReader

    @inlinable public init(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        reader = ProtobufReader(bytes, range)
    }

    /// The next field: its number, wire type and, for length-delimited ones, its contents; for the others the raw
    /// 64-bit value (varint, or fixed64/fixed32 bits).
    @inlinable public mutating func next() -> CheckedField? {
        guard let tag = try? reader.nextTag() else { return nil }
        switch tag.wireType {
        case .varint:
            guard let value = try? reader.readVarint() else { return nil }
            return CheckedField(number: tag.number, wireType: .varint, value: value, range: 0..<0)
        case .fixed64:
            guard let value = try? reader.readFixed64() else { return nil }
            return CheckedField(number: tag.number, wireType: .fixed64, value: value, range: 0..<0)
        case .fixed32:
            guard let value = try? reader.readFixed32() else { return nil }
            return CheckedField(number: tag.number, wireType: .fixed32, value: UInt64(value), range: 0..<0)
        case .lengthDelimited:
            guard let range = try? reader.readLengthDelimited() else { return nil }
            return CheckedField(number: tag.number, wireType: .lengthDelimited, value: 0, range: range)
        case .startGroup, .endGroup:
            return nil
        }
    }
}

public struct CheckedField {
    public var number: UInt32
    public var wireType: WireType
    public var value: UInt64
    public var range: Range<Int>

    @inlinable public init(number: UInt32, wireType: WireType, value: UInt64, range: Range<Int>) {
        self.number = number
        self.wireType = wireType
        self.value = value
        self.range = range
    }
}

extension UInt64 {
    /// The zigzag-decoded value of a `sint32` field (the low 32 bits of the varint).
    @inlinable public var zigzagInt32: Int32 {
        let low = UInt32(truncatingIfNeeded: self)
        return Int32(bitPattern: (low >> 1) ^ (0 &- (low & 1)))
    }
}
