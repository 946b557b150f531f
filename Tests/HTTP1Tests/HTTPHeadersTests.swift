import HTTP1
import Testing

@Suite struct HTTPHeadersTests {
    let headers: HTTPHeaders = [
        "Host": "localhost", "Accept": "text/plain", "X-Empty": "", "accept": "*/*",
        "Connection": "keep-alive, Upgrade", "connection": " TE ",
    ]

    @Test(
        arguments: [
            ("host", "localhost"), ("HOST", "localhost"), ("Accept", "text/plain, */*"), ("x-empty", ""),
            ("Connection", "keep-alive, Upgrade,  TE "), ("Missing", nil), ("Hos", nil), ("", nil),
        ] as [(String, String?)])
    func combinesValuesIgnoringNameCase(name: String, value: String?) {
        #expect(headers[name] == value)
    }

    @Test func listsRepeatedValuesInOrder() {
        #expect(headers.values(forName: "ACCEPT") == ["text/plain", "*/*"])
        #expect(headers.values(forName: "nope") == [])
        #expect(headers.contains(name: "x-EMPTY"))
        #expect(!headers.contains(name: "x-empt"))
    }

    @Test(arguments: [
        ("keep-alive", true), ("KEEP-ALIVE", true), ("upgrade", true), ("te", true), ("close", false),
        ("keep", false), ("", false),
    ])
    func findsTokensInLists(token: String, found: Bool) {
        #expect(headers.containsToken(token, inFieldsNamed: "connection") == found)
    }

    @Test func findsTokensOnlyInTheNamedFields() {
        #expect(!headers.containsToken("localhost", inFieldsNamed: "Connection"))
        #expect(headers.containsToken("localhost", inFieldsNamed: "Host"))
        let empty: HTTPHeaders = ["Connection": ", ,"]
        #expect(empty.containsToken("", inFieldsNamed: "Connection"))
        #expect(!empty.containsToken("close", inFieldsNamed: "Connection"))
    }

    @Test func iteratesInOrderWithOriginalSpelling() {
        let pairs = headers.map { "\($0.name)=\($0.value)" }
        #expect(
            pairs == [
                "Host=localhost", "Accept=text/plain", "X-Empty=", "accept=*/*", "Connection=keep-alive, Upgrade",
                "connection= TE ",
            ])
        #expect(headers.count == 6)
        #expect(!headers.isEmpty)
        #expect(HTTPHeaders().isEmpty)
    }

    @Test func comparesNamesValuesAndOrder() {
        var built = HTTPHeaders()
        built.append(name: "A", value: "1")
        built.append(name: "B", value: "2")
        #expect(built == ["A": "1", "B": "2"])
        #expect(built != ["B": "2", "A": "1"])
        #expect(built != ["a": "1", "B": "2"])
        #expect(built != ["A": "1", "B": "3"])
        #expect(built != ["A": "1"])
        #expect(built != ["A1": "", "B": "2"])
        #expect(built.description == "A: 1\nB: 2")
    }
}
