/// The protocol version of a request. Only HTTP/1.0 and HTTP/1.1 are accepted; other versions get 505.
public enum HTTPVersion: Hashable, Sendable, CustomStringConvertible {
    case http1_0
    case http1_1

    /// `HTTP/1.0` or `HTTP/1.1`.
    public var description: String {
        switch self {
        case .http1_0: return "HTTP/1.0"
        case .http1_1: return "HTTP/1.1"
        }
    }
}
