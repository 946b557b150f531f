/// The request line and header fields of one request (RFC 9112 §3, §5).
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: HTTPMethod
    /// The request target exactly as sent: `/metrics?x=1`, `http://host:9479/metrics`, `*`.
    public var target: String
    /// The path part of the target, not percent-decoded: up to `?` for the origin form, and without the scheme and
    /// authority for the absolute form (`http://host/metrics?x` → `/metrics`).
    public var path: String
    /// The part of the target after the first `?`; nil when there is no `?`.
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// Whether the client allows the connection to stay open after the response: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive` (RFC 9112 §9.3).
    public var keepAlive: Bool

    /// A head with `path`, `query` and `keepAlive` derived from the other parts.
    public init(method: HTTPMethod, target: String, version: HTTPVersion, headers: HTTPHeaders = HTTPHeaders()) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        let (path, query) = Self.splitTarget(target)
        self.path = path
        self.query = query
        if headers.containsToken("close", inFieldsNamed: "Connection") {
            keepAlive = false
        } else {
            switch version {
            case .http1_1: keepAlive = true
            case .http1_0: keepAlive = headers.containsToken("keep-alive", inFieldsNamed: "Connection")
            }
        }
    }

    /// Splits a target into path and query. An absolute-form target (`scheme://authority/path?query`,
    /// RFC 9112 §3.2.2) loses its scheme and authority, and an empty path there becomes `/`.
    private static func splitTarget(_ target: String) -> (path: String, query: String?) {
        let utf8 = target.utf8
        var pathStart = utf8.startIndex
        if utf8.first != ASCII.slash, let authorityStart = Self.absoluteFormAuthorityStart(utf8) {
            pathStart =
                utf8[authorityStart...].firstIndex { $0 == ASCII.slash || $0 == ASCII.questionMark } ?? utf8.endIndex
        }
        let queryMark = utf8[pathStart...].firstIndex(of: ASCII.questionMark)
        var path = String(Substring(utf8[pathStart..<(queryMark ?? utf8.endIndex)]))
        if pathStart != utf8.startIndex, path.isEmpty {
            path = "/"
        }
        let query = queryMark.map { String(Substring(utf8[utf8.index(after: $0)...])) }
        return (path, query)
    }

    /// Where the authority begins when `target` starts with `scheme "://"` (a letter, then letters, digits,
    /// `+`, `-` or `.`; RFC 3986 §3.1); nil for other forms.
    private static func absoluteFormAuthorityStart(_ utf8: String.UTF8View) -> String.UTF8View.Index? {
        guard let first = utf8.first, ASCII.lowercased(first) >= UInt8(ascii: "a"),
            ASCII.lowercased(first) <= UInt8(ascii: "z")
        else { return nil }
        var index = utf8.index(after: utf8.startIndex)
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == ASCII.colon { break }
            let isSchemeCharacter =
                (ASCII.lowercased(byte) >= UInt8(ascii: "a") && ASCII.lowercased(byte) <= UInt8(ascii: "z"))
                || ASCII.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                || byte == ASCII.period
            guard isSchemeCharacter else { return nil }
            index = utf8.index(after: index)
        }
        guard utf8[index...].starts(with: "://".utf8) else { return nil }
        return utf8.index(index, offsetBy: 3)
    }
}
