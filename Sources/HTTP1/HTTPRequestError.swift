/// Why a request was refused before it reached the server's routes. Each case has the status to answer with and a
/// short message for the text/plain body; the connection is closed after the answer, because the rest of what the
/// client sent can no longer be framed or trusted.
public enum HTTPRequestError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The request line, header fields and final empty line exceed the head limit (431).
    case headTooLarge(limit: Int)
    /// The request line is not `method SP target SP HTTP/d.d` (400).
    case malformedRequestLine
    /// The version is well formed but neither HTTP/1.0 nor HTTP/1.1 (505).
    case versionNotSupported
    /// The version is HTTP/2: the request line is HTTP/2's connection preface (`PRI * HTTP/2.0`), which gRPC
    /// clients and prior-knowledge HTTP/2 clients send (505).
    case http2NotSupported
    /// A header line has no `:`, whitespace before it, a name that is not a token, or a control character (400).
    case malformedHeader
    /// A header line starts with whitespace: obsolete line folding (RFC 9112 §5.2) (400).
    case obsoleteLineFolding
    /// An HTTP/1.1 request without a Host field, or a request with more than one (RFC 9112 §3.2) (400).
    case invalidHost
    /// Content-Length is not a decimal number, overflows, or repeats with different values (400).
    case invalidContentLength
    /// Both Content-Length and Transfer-Encoding are present (RFC 9112 §6.3) (400).
    case conflictingBodyLength
    /// A GET or HEAD request announces a body (413).
    case bodyNotAllowed
    /// The body is larger than the body limit (413).
    case bodyTooLarge(limit: Int)
    /// The body uses a transfer coding such as chunked, which tally does not read (413).
    case transferEncodingNotSupported
    /// The request head (and body) did not arrive within the header timeout (408).
    case headerTimeout

    /// The status of the answer.
    public var status: HTTPStatus {
        switch self {
        case .headTooLarge: return .requestHeaderFieldsTooLarge
        case .versionNotSupported, .http2NotSupported: return .httpVersionNotSupported
        case .malformedRequestLine, .malformedHeader, .obsoleteLineFolding, .invalidHost, .invalidContentLength,
            .conflictingBodyLength:
            return .badRequest
        case .bodyNotAllowed, .bodyTooLarge, .transferEncodingNotSupported: return .contentTooLarge
        case .headerTimeout: return .requestTimeout
        }
    }

    /// What was wrong, in a few lower-case words, e.g. `request header fields too large (limit 8192 bytes)`.
    public var description: String {
        switch self {
        case .headTooLarge(let limit): return "request header fields too large (limit \(limit) bytes)"
        case .malformedRequestLine: return "malformed request line"
        case .versionNotSupported: return "HTTP version not supported (use HTTP/1.1 or HTTP/1.0)"
        case .http2NotSupported: return "HTTP/2 is not supported (use HTTP/1.1)"
        case .malformedHeader: return "malformed header field"
        case .obsoleteLineFolding: return "obsolete header line folding is not allowed"
        case .invalidHost: return "an HTTP/1.1 request needs exactly one Host header field"
        case .invalidContentLength: return "invalid Content-Length"
        case .conflictingBodyLength: return "both Content-Length and Transfer-Encoding present"
        case .bodyNotAllowed: return "GET and HEAD requests must not have a body"
        case .bodyTooLarge(let limit): return "request body too large (limit \(limit) bytes)"
        case .transferEncodingNotSupported: return "request bodies with Transfer-Encoding are not accepted"
        case .headerTimeout: return "request header timeout"
        }
    }
}
