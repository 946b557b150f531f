/// One request as the server handles it: the head and, for a method that may carry one, the body (RFC 9112 §6).
public struct HTTPRequest: Sendable, Equatable {
    public var head: HTTPRequestHead
    /// The body bytes as sent (a `Content-Length` body); empty for GET and HEAD.
    public var body: [UInt8]

    public init(head: HTTPRequestHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }
}
