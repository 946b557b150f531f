/// A request method (RFC 9110 §9). tally serves only GET and HEAD; every other method is kept by name so the server
/// can answer 405 and list the allowed ones.
public enum HTTPMethod: Hashable, Sendable, CustomStringConvertible {
    case get
    case head
    /// Any other method token, exactly as sent (methods are case-sensitive: `get` is not GET).
    case other(String)

    /// The method token as it appears on the request line, e.g. `GET`.
    public var name: String {
        switch self {
        case .get: return "GET"
        case .head: return "HEAD"
        case .other(let name): return name
        }
    }

    public var description: String { name }
}
