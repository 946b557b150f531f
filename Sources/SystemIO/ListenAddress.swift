/// A TCP listen address in the forms of node_exporter's `--web.listen-address`: `:PORT` (every interface),
/// `HOST:PORT` (an IPv4 literal or a host name) and `[IPV6]:PORT`. Port 0 asks the kernel for a free port.
///
/// Parsing is pure; ``TCPListener`` resolves and binds.
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    /// Where to listen.
    public enum Host: Hashable, Sendable {
        /// Every interface: `::` with IPv4 mapped in, or `0.0.0.0` where IPv6 is unavailable.
        case any
        /// An IPv4 literal or a host name, resolved with `getaddrinfo`.
        case name(String)
        /// An IPv6 literal, written in brackets, possibly with a `%zone`.
        case ipv6(String)
    }

    public var host: Host
    public var port: UInt16

    public init(host: Host, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `:PORT`, `HOST:PORT` or `[IPV6]:PORT`.
    public init(parsing text: String) throws(ListenAddressError) {
        let bytes = Array(text.utf8)
        let portText: ArraySlice<UInt8>
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else {
                throw ListenAddressError(address: text, reason: .unclosedBracket)
            }
            let literal = bytes[1..<close]
            guard !literal.isEmpty, literal.contains(UInt8(ascii: ":")), literal.allSatisfy(Self.isIPv6LiteralByte)
            else {
                throw ListenAddressError(address: text, reason: .invalidIPv6Literal)
            }
            guard close + 1 < bytes.count else {
                throw ListenAddressError(address: text, reason: .missingPort)
            }
            guard bytes[close + 1] == UInt8(ascii: ":") else {
                throw ListenAddressError(address: text, reason: .unexpectedTextAfterBracket)
            }
            host = .ipv6(String(decoding: literal, as: UTF8.self))
            portText = bytes[(close + 2)...]
        } else {
            guard let colon = bytes.lastIndex(of: UInt8(ascii: ":")) else {
                throw ListenAddressError(address: text, reason: .missingPort)
            }
            let name = bytes[..<colon]
            if name.contains(UInt8(ascii: ":")) {
                throw ListenAddressError(address: text, reason: .unbracketedIPv6)
            }
            guard name.allSatisfy(Self.isHostNameByte) else {
                throw ListenAddressError(address: text, reason: .invalidHost)
            }
            host = name.isEmpty ? .any : .name(String(decoding: name, as: UTF8.self))
            portText = bytes[(colon + 1)...]
        }
        guard let port = Self.port(portText) else {
            throw ListenAddressError(address: text, reason: portText.isEmpty ? .missingPort : .invalidPort)
        }
        self.port = port
    }

    /// A decimal port number from 0 to 65535.
    private static func port(_ digits: ArraySlice<UInt8>) -> UInt16? {
        guard !digits.isEmpty, digits.count <= 5 else {
            return nil
        }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else {
                return nil
            }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return UInt16(exactly: value)
    }

    /// Letters, digits, `-`, `.` and `_`: enough for host names and IPv4 literals.
    private static func isHostNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    /// Hex digits, `:` and `.` (an embedded IPv4 part), and `%` with a zone name made of host-name bytes.
    private static func isIPv6LiteralByte(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ":") || byte == UInt8(ascii: "%") || isHostNameByte(byte)
    }

    /// `:9479`, `127.0.0.1:9479`, `[::1]:9479`: the form it was parsed from.
    public var description: String {
        switch host {
        case .any: ":\(port)"
        case .name(let name): "\(name):\(port)"
        case .ipv6(let literal): "[\(literal)]:\(port)"
        }
    }
}

/// A listen address that does not parse, with the reason.
public struct ListenAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// No `:PORT` at the end.
        case missingPort
        /// The port is not a decimal number from 0 to 65535.
        case invalidPort
        /// A `[` without its `]`.
        case unclosedBracket
        /// Something other than `:PORT` follows `]`.
        case unexpectedTextAfterBracket
        /// The text in brackets is not an IPv6 literal.
        case invalidIPv6Literal
        /// An IPv6 literal without brackets, such as `::1:9479`.
        case unbracketedIPv6
        /// The host contains characters no host name or IPv4 literal has.
        case invalidHost
    }

    /// The text that failed to parse.
    public var address: String
    public var reason: Reason

    public init(address: String, reason: Reason) {
        self.address = address
        self.reason = reason
    }

    public var description: String {
        let explanation =
            switch reason {
            case .missingPort: "missing port (expected :PORT, HOST:PORT or [IPV6]:PORT)"
            case .invalidPort: "the port must be a number from 0 to 65535"
            case .unclosedBracket: "missing ] after the IPv6 address"
            case .unexpectedTextAfterBracket: "expected :PORT after ]"
            case .invalidIPv6Literal: "not an IPv6 address between the brackets"
            case .unbracketedIPv6: "an IPv6 address must be written in brackets, as in [::1]:9479"
            case .invalidHost: "the host contains characters that are not allowed in a host name"
            }
        return "invalid listen address \"\(address)\": \(explanation)"
    }
}
