import ProtobufWire

/// Why an OTLP request body was refused: the protobuf wire decoder's error, which also carries the OTLP JSON
/// mapping's faults, so that one type reaches the receiver's 400 answer from either encoding.
public typealias OTLPDecodingError = ProtobufDecodingError
