import ProtobufWire

/// The bodies tally answers OTLP/HTTP requests with: `ExportMetricsServiceResponse` for a 200, `google.rpc.Status`
/// for a 4xx/5xx, each in protobuf (`application/x-protobuf`) or JSON (`application/json`), as the request was.
public enum OTLPResponse {
    /// An `ExportMetricsServiceResponse` in protobuf. With no rejected points and no message the partial success is
    /// left out, as the OTLP specification asks of a full success (the body is then empty).
    public static func exportMetricsServiceResponse(
        rejectedDataPoints: Int64 = 0, errorMessage: String = ""
    )
        -> [UInt8]
    {
        var writer = ProtobufWriter()
        guard rejectedDataPoints != 0 || !errorMessage.isEmpty else { return [] }
        let partial = writer.beginField(1)
        if rejectedDataPoints != 0 { writer.varintField(1, UInt64(bitPattern: rejectedDataPoints)) }
        if !errorMessage.isEmpty { writer.stringField(2, errorMessage) }
        writer.endField(partial)
        return writer.bytes
    }

    /// An `ExportMetricsServiceResponse` in the JSON mapping (`{}` for a full success; the 64-bit count as a
    /// string).
    public static func exportMetricsServiceResponseJSON(
        rejectedDataPoints: Int64 = 0, errorMessage: String = ""
    )
        -> [UInt8]
    {
        guard rejectedDataPoints != 0 || !errorMessage.isEmpty else { return Array("{}".utf8) }
        var json = JSONWriter()
        json.raw("{\"partialSuccess\":{")
        var comma = false
        if rejectedDataPoints != 0 {
            json.raw("\"rejectedDataPoints\":\"\(rejectedDataPoints)\"")
            comma = true
        }
        if !errorMessage.isEmpty {
            if comma { json.raw(",") }
            json.raw("\"errorMessage\":")
            json.string(errorMessage)
        }
        json.raw("}}")
        return json.bytes
    }

    /// A detail of a `google.rpc.Status`: a `google.protobuf.Any`.
    public struct StatusDetail: Hashable, Sendable {
        public var typeURL: String
        public var value: [UInt8]

        public init(typeURL: String, value: [UInt8]) {
            self.typeURL = typeURL
            self.value = value
        }
    }

    /// A `google.rpc.Status` in protobuf: `code` is a gRPC code (3, INVALID_ARGUMENT, for a body that does not
    /// decode).
    public static func status(code: Int32, message: String, details: [StatusDetail] = []) -> [UInt8] {
        var writer = ProtobufWriter()
        if code != 0 { writer.varintField(1, UInt64(bitPattern: Int64(code))) }
        if !message.isEmpty { writer.stringField(2, message) }
        for detail in details {
            let token = writer.beginField(3)
            if !detail.typeURL.isEmpty { writer.stringField(1, detail.typeURL) }
            if !detail.value.isEmpty { writer.bytesField(2, detail.value) }
            writer.endField(token)
        }
        return writer.bytes
    }

    /// A `google.rpc.Status` in JSON. Details, whose message types tally does not know, are written as
    /// `{"@type": url, "value": base64}`.
    public static func statusJSON(code: Int32, message: String, details: [StatusDetail] = []) -> [UInt8] {
        var json = JSONWriter()
        json.raw("{\"code\":\(code),\"message\":")
        json.string(message)
        if !details.isEmpty {
            json.raw(",\"details\":[")
            for (index, detail) in details.enumerated() {
                if index > 0 { json.raw(",") }
                json.raw("{\"@type\":")
                json.string(detail.typeURL)
                json.raw(",\"value\":\"")
                Base64.encode(detail.value, into: &json.bytes)
                json.raw("\"}")
            }
            json.raw("]")
        }
        json.raw("}")
        return json.bytes
    }
}

/// Appends JSON text to bytes.
struct JSONWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// A JSON string: `"` and `\` escaped, control characters as `\uXXXX` (or their short escapes), the rest as
    /// UTF-8.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 15)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
