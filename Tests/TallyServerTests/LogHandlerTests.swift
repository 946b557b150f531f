import Testing

@testable import TallyServer

@Suite struct LogHandlerTests {
    @Test(arguments: [
        ([("msg", "listening"), ("address", ":9479")], "msg=listening address=:9479"),
        ([("msg", "tally is serving")], #"msg="tally is serving""#),
        ([("error", #"bad "quote""#)], #"error="bad \"quote\"""#),
        ([("path", "")], #"path="""#),
        ([("line", "a\nb")], #"line="a\nb""#),
        ([("k", "a=b")], #"k="a=b""#),
    ])
    func writesLogfmt(fields: [(String, String)], expected: String) {
        #expect(TallyLogHandler.logfmt(fields) == expected)
    }

    @Test func writesJSON() {
        #expect(
            TallyLogHandler.json([("msg", "x \"y\""), ("control", "\u{1}")])
                == #"{"msg":"x \"y\"","control":"\u0001"}"#)
    }

    @Test func timestampsAreRFC3339WithMilliseconds() {
        let stamp = TallyLogHandler.timestamp()
        #expect(stamp.count == 24)
        #expect(stamp.hasSuffix("Z"))
        #expect(Array(stamp)[10] == "T")
    }
}
