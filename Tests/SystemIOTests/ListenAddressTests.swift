import SystemIO
import Testing

@Suite struct ListenAddressTests {
    @Test(arguments: [
        (":9479", ListenAddress(host: .any, port: 9479)),
        (":0", ListenAddress(host: .any, port: 0)),
        ("127.0.0.1:9100", ListenAddress(host: .name("127.0.0.1"), port: 9100)),
        ("localhost:0", ListenAddress(host: .name("localhost"), port: 0)),
        (
            "metrics.example-host_1.internal:65535",
            ListenAddress(host: .name("metrics.example-host_1.internal"), port: 65535)
        ),
        ("[::1]:9479", ListenAddress(host: .ipv6("::1"), port: 9479)),
        ("[::]:80", ListenAddress(host: .ipv6("::"), port: 80)),
        ("[fe80::1%eth0]:9479", ListenAddress(host: .ipv6("fe80::1%eth0"), port: 9479)),
        ("[::ffff:127.0.0.1]:1", ListenAddress(host: .ipv6("::ffff:127.0.0.1"), port: 1)),
        (":09479", ListenAddress(host: .any, port: 9479)),
    ])
    func parses(text: String, expected: ListenAddress) throws {
        #expect(try ListenAddress(parsing: text) == expected)
    }

    @Test(arguments: [
        ("", ListenAddressError.Reason.missingPort),
        ("9479", .missingPort),
        ("127.0.0.1", .missingPort),
        ("127.0.0.1:", .missingPort),
        ("[::1]", .missingPort),
        ("[::1]:", .missingPort),
        ("host:port", .invalidPort),
        ("host:65536", .invalidPort),
        ("host:-1", .invalidPort),
        ("host:+80", .invalidPort),
        ("host:123456", .invalidPort),
        ("host: 80", .invalidPort),
        ("::1:9479", .unbracketedIPv6),
        (":::9479", .unbracketedIPv6),
        ("[::1", .unclosedBracket),
        ("[::1]9479", .unexpectedTextAfterBracket),
        ("[]:80", .invalidIPv6Literal),
        ("[127.0.0.1]:80", .invalidIPv6Literal),
        ("[::1 ]:80", .invalidIPv6Literal),
        ("exa mple:80", .invalidHost),
        ("host/x:80", .invalidHost),
        ("höst:80", .invalidHost),
    ])
    func rejects(text: String, reason: ListenAddressError.Reason) {
        #expect(throws: ListenAddressError(address: text, reason: reason)) {
            try ListenAddress(parsing: text)
        }
    }

    @Test(arguments: [":9479", "127.0.0.1:9100", "[::1]:9479", "localhost:0"])
    func descriptionRoundTrips(text: String) throws {
        #expect(try ListenAddress(parsing: text).description == text)
    }

    @Test func errorDescriptionNamesTheAddressAndTheProblem() {
        let error = ListenAddressError(address: "::1:80", reason: .unbracketedIPv6)
        #expect(
            error.description
                == "invalid listen address \"::1:80\": an IPv6 address must be written in brackets, as in [::1]:9479")
    }
}
