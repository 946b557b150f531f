/// Why a protobuf body (binary, or the ProtoJSON mapping) was refused: the reason, where in the body it was found, and a short message for a
/// person (the text of a 400 answer's `google.rpc.Status`).
///
/// Messages are built only when a body is refused, so decoding a good body never allocates one.
public struct ProtobufDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of fault was found.
    public enum Reason: String, Hashable, Sendable, CaseIterable {
        /// A length, a fixed-width value or a varint runs past the end of its message.
        case truncated
        /// A varint longer than 10 bytes, or whose 10th byte carries more than the 64th bit.
        case varintOverflow = "varint_overflow"
        /// A field tag with field number 0, a number above 2^29 - 1, or wire type 6 or 7.
        case invalidTag = "invalid_tag"
        /// A known field arrived with a wire type its declared type cannot have.
        case wrongWireType = "wrong_wire_type"
        /// A field uses the deprecated group wire types (3 and 4), which OTLP never sends.
        case groupNotSupported = "group_not_supported"
        /// Messages (or JSON objects and arrays) nest deeper than the decoder's limit.
        case nestingTooDeep = "nesting_too_deep"
        /// A string field (a name, a unit, an attribute key or string value...) is not valid UTF-8.
        case invalidUTF8 = "invalid_utf8"
        /// The body is not JSON (a syntax error, a bad escape, trailing bytes).
        case invalidJSON = "invalid_json"
        /// A JSON member has the wrong type for its field (an object where a string is wanted...), or a value out
        /// of its field's range (an integer too large, an unknown enum name, bad base64).
        case invalidJSONValue = "invalid_json_value"
    }

    /// What kind of fault was found.
    public var reason: Reason
    /// The byte offset in the body where it was found.
    public var offset: Int
    /// What is wrong, for a person, e.g. `wrong wire type 0 for field 2 of Metric`.
    public var message: String

    @inlinable public init(_ reason: Reason, at offset: Int, _ message: String) {
        self.reason = reason
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(message) (at byte \(offset))" }
}
