import Exposition
import Foundation
import MetricsCore
import Testing

typealias Reason = ExpositionParseError.Reason

private func parse(_ text: String) throws(ExpositionParseError) -> [ParsedMetricFamily] {
    try ExpositionParser.parse(Array(text.utf8))
}

/// The error parsing `bytes` fails with, or nil when it succeeds.
private func parseError(_ bytes: [UInt8]) -> ExpositionParseError? {
    do {
        _ = try ExpositionParser.parse(bytes)
        return nil
    } catch {
        return error
    }
}

@Suite struct ExpositionParserTests {
    @Test func readsFamiliesWithTheirTypeHelpLabelsAndValues() throws {
        let families = try parse(
            """
            # A comment, then a blank line.

            # HELP job_runs_total Runs of the job, with \\\\ and \\n escaped.
            # TYPE job_runs_total counter
            job_runs_total{job="backup",host="a"} 3
            job_runs_total{ job = "restore" , } 4
            # TYPE temperature GAUGE
            \ttemperature{} -1.5e-3
            untyped_without_type{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb"} 42 1700000000000

            """)
        #expect(families.map(\.name) == ["job_runs_total", "temperature", "untyped_without_type"])
        #expect(families.map(\.type) == [.counter, .gauge, .untyped])
        #expect(families.map(\.help) == ["Runs of the job, with \\ and \n escaped.", nil, nil])
        let runs = families[0].series
        #expect(runs.map(\.labels) == [LabelSet(["host": "a", "job": "backup"]), LabelSet(["job": "restore"])])
        #expect(runs.map(\.value) == [3, 4])
        #expect(runs.map(\.line) == [5, 6])
        #expect(families[1].series.map(\.value) == [-0.0015])
        #expect(families[1].series.map(\.labels) == [.empty])
        let odd = try #require(families[2].series.first)
        #expect(odd.labels == LabelSet(["nl": "a\nb", "path": #"C:\dir"#, "quote": #"say "hi""#]))
        #expect(odd.value == 42)
        #expect(odd.timestamp == 1_700_000_000_000)
        #expect(families[0].series.allSatisfy { $0.timestamp == nil })
    }

    @Test(
        arguments: [
            ("1", 1), ("-1", -1), ("+1", 1), (".5", 0.5), ("5.", 5), ("1e3", 1000), ("1E+03", 1000),
            ("-2.5e-3", -0.0025),
            ("007", 7), ("123456789012345678901", 1.2345678901234568e20), ("1e-400", 0),
            ("1.7976931348623157e+308", 1.7976931348623157e+308), ("+Inf", .infinity), ("-Inf", -.infinity),
            ("Inf", .infinity), ("inf", .infinity), ("+infinity", .infinity), ("-INFINITY", -.infinity),
        ] as [(String, Double)])
    func readsValuesAsGoParseFloatDoes(text: String, value: Double) throws {
        let families = try parse("a \(text)\n")
        #expect(families.first?.series.first?.value == value)
    }

    @Test(arguments: ["NaN", "nan", "NAN"])
    func readsNaN(text: String) throws {
        let families = try parse("a \(text)\n")
        #expect(families.first?.series.first?.value.isNaN == true)
    }

    @Test func readsEmptyInputAndCommentsAsNoFamilies() throws {
        #expect(try parse("").isEmpty)
        #expect(try parse("# just a comment\n\n#\n# EOF\n").isEmpty)
    }

    @Test func groupsHistogramSamplesBySeries() throws {
        let families = try parse(
            """
            # HELP request_seconds Request time.
            # TYPE request_seconds histogram
            request_seconds_bucket{code="200",le="0.1"} 1
            request_seconds_bucket{code="200",le="+Inf"} 3
            request_seconds_sum{code="200"} 1.5
            request_seconds_count{code="200"} 3
            request_seconds_bucket{code="500",le="0.1"} 0
            request_seconds_count{code="500"} 1
            request_seconds_bucket{code="500",le="+Inf"} 1

            """)
        #expect(families.count == 1)
        let family = try #require(families.first)
        #expect(family.type == .histogram && family.help == "Request time.")
        #expect(family.series.map(\.labels) == [LabelSet(["code": "200"]), LabelSet(["code": "500"])])
        #expect(
            family.series[0].buckets == [
                ParsedSeries.Bound(bound: 0.1, value: 1), ParsedSeries.Bound(bound: .infinity, value: 3),
            ])
        #expect(family.series[0].sum == 1.5 && family.series[0].count == 3)
        #expect(family.series[1].sum == nil && family.series[1].count == 1)
        #expect(family.series[1].buckets.map(\.bound) == [0.1, .infinity])
    }

    @Test func groupsSummarySamplesBySeries() throws {
        let families = try parse(
            """
            # TYPE rpc summary
            rpc{quantile="0.5"} 0.2
            rpc{quantile="0.99"} 1.1
            rpc_sum 40
            rpc_count 100
            # TYPE other_count gauge
            other_count 1

            """)
        #expect(families.map(\.name) == ["rpc", "other_count"])
        let series = try #require(families.first?.series.first)
        #expect(series.quantiles.map(\.bound) == [0.5, 0.99] && series.quantiles.map(\.value) == [0.2, 1.1])
        #expect(series.sum == 40 && series.count == 100)
    }

    @Test func allowsMetadataOfSeveralFamiliesBeforeTheirSamples() throws {
        let families = try parse("# TYPE a gauge\n# TYPE b counter\na 1\nb 2\n")
        #expect(families.map(\.type) == [.gauge, .counter])
        #expect(families.map { $0.series.map(\.value) } == [[1], [2]])
    }

    @Test func keepsLabelsWithEmptyValuesButNotInTheSeriesIdentity() throws {
        let families = try parse("m{a=\"\",b=\"y\"} 1\n")
        #expect(families.first?.series.first?.labels == LabelSet(["a": "", "b": "y"]))
        #expect(families.first?.series.first?.identity == LabelSet(["b": "y"]))
    }

    @Test func keepsAFamilyThatHasOnlyMetadata() throws {
        let families = try parse("# HELP lonely Nothing here.\n# TYPE lonely gauge\n")
        #expect(families == [ParsedMetricFamily(name: "lonely", type: .gauge, help: "Nothing here.", series: [])])
    }

    /// Every way a line can be malformed, with the line and reason reported.
    @Test(
        arguments: [
            ("a 1", 1, .missingFinalNewline),
            ("a 1\nb 2", 2, .missingFinalNewline),
            ("a 1\n\n# HELP b text", 3, .missingFinalNewline),
            ("1a 1\n", 1, .invalidMetricName("1a")),
            ("a-b 1\n", 1, .invalidMetricName("a-b")),
            ("{a=\"b\"} 1\n", 1, .invalidMetricName("{a=\"b\"}")),
            ("a\n", 1, .unexpected(expected: "a value after a")),
            ("a{b=\"c\"}1\n", 1, .unexpected(expected: "a blank after the labels of a")),
            ("a{1b=\"c\"} 1\n", 1, .invalidLabelName("1b=\"c\"}")),
            ("a{b-c=\"d\"} 1\n", 1, .invalidLabelName("b-c=\"d\"}")),
            ("a{,} 1\n", 1, .invalidLabelName(",}")),
            ("a{__name__=\"x\"} 1\n", 1, .reservedLabelName("__name__")),
            ("a{b=\"c\",b=\"d\"} 1\n", 1, .duplicateLabelName("b")),
            ("a{b=\"c\\t\"} 1\n", 1, .invalidEscape),
            ("a{b=\"c} 1\n", 1, .unterminatedLabelValue),
            ("a{b \"c\"} 1\n", 1, .unexpected(expected: "= after label name b")),
            ("a{b=c} 1\n", 1, .unexpected(expected: "a quoted value for label b")),
            ("a{b=\"c\" d=\"e\"} 1\n", 1, .unexpected(expected: ", or } after the value of label b")),
            ("a{b=\"c\"\n", 1, .unexpected(expected: ", or } after the value of label b")),
            ("a 1x\n", 1, .invalidValue("1x")),
            ("a 1_000\n", 1, .invalidValue("1_000")),
            ("a 0x10\n", 1, .invalidValue("0x10")),
            ("a 0x1p4\n", 1, .invalidValue("0x1p4")),
            ("a 1e400\n", 1, .invalidValue("1e400")),
            ("a 1e\n", 1, .invalidValue("1e")),
            ("a .\n", 1, .invalidValue(".")),
            ("a +NaN\n", 1, .invalidValue("+NaN")),
            ("a infin\n", 1, .invalidValue("infin")),
            ("a 1\r\n", 1, .invalidValue("1\r")),
            ("a 1 12.5\n", 1, .invalidTimestamp("12.5")),
            ("a 1 99999999999999999999\n", 1, .invalidTimestamp("99999999999999999999")),
            ("a 1 2 3\n", 1, .unexpected(expected: "the end of the line after the timestamp")),
            ("# TYPE a gauges\n", 1, .unknownType("gauges")),
            ("# TYPE a\n", 1, .unknownType("")),
            ("# TYPE a gauge extra\n", 1, .unknownType("gauge")),
            ("# TYPE 1a gauge\n", 1, .invalidMetricName("1a")),
            ("# HELP\n", 1, .invalidMetricName("")),
            ("# HELP a x\\y\n", 1, .invalidEscape),
            ("# TYPE a gauge\n# TYPE a gauge\n", 2, .duplicateType("a")),
            ("# HELP a x\n# HELP a y\n", 2, .duplicateHelp("a")),
            ("a 1\n# TYPE a gauge\n", 2, .metadataAfterSamples("a")),
            ("a 1\n# HELP a x\n", 2, .metadataAfterSamples("a")),
            ("a 1\nb 1\na{c=\"d\"} 2\n", 3, .nonContiguousFamily("a")),
            ("a 1\n# HELP b x\na{c=\"d\"} 2\n", 3, .nonContiguousFamily("a")),
            ("a 1\na 2\n", 2, .duplicateSeries("a{}")),
            ("a{b=\"\"} 1\na 2\n", 2, .duplicateSeries("a{}")),
            ("a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n", 2, .duplicateSeries("a{x=\"1\",y=\"2\"}")),
            (
                "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"1.0\"} 2\n", 3,
                .duplicateSeries("h_bucket{} with le=1.0")
            ),
            ("# TYPE h histogram\nh_sum 1\nh_sum 2\n", 3, .duplicateSeries("h_sum{} (_sum)")),
            ("# TYPE s summary\ns_count 1\ns_count 2\n", 3, .duplicateSeries("s_count{} (_count)")),
            (
                "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns{quantile=\"0.5\"} 1\n", 3,
                .duplicateSeries("s{} with quantile=0.5")
            ),
            ("# TYPE h histogram\nh_bucket 1\n", 2, .misplacedLabel("sample h_bucket without label le")),
            ("# TYPE h histogram\nh_sum{le=\"1\"} 1\n", 2, .misplacedLabel("label le on sample h_sum")),
            ("# TYPE s summary\ns 1\n", 2, .misplacedLabel("sample s without label quantile")),
            ("# TYPE s summary\ns_count{quantile=\"0.5\"} 1\n", 2, .misplacedLabel("label quantile on sample s_count")),
            ("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", 2, .invalidBound("x")),
            ("# TYPE h histogram\nh 1\n", 2, .histogramSampleWithoutSuffix("h")),
            ("h_count 1\n# TYPE h histogram\n", 2, .nameConflict("h_count")),
            ("# TYPE h histogram\n# TYPE h_sum gauge\n", 2, .nameConflict("h_sum")),
        ] as [(String, Int, Reason)])
    func refusesMalformedInput(text: String, line: Int, reason: Reason) {
        #expect(parseError(Array(text.utf8)) == ExpositionParseError(line: line, reason: reason))
    }

    @Test func refusesInvalidUTF8InLabelValuesAndHelp() {
        let label = Array("a{b=\"".utf8) + [0xFF] + Array("\"} 1\n".utf8)
        #expect(parseError(label) == ExpositionParseError(line: 1, reason: .invalidUTF8))
        let help = Array("# HELP a x".utf8) + [0xC3] + Array("\n".utf8)
        #expect(parseError(help) == ExpositionParseError(line: 1, reason: .invalidUTF8))
    }

    @Test func describesAnErrorWithItsLine() {
        let error = parseError(Array("a 1\na 2\n".utf8))
        #expect(error?.description == "line 2: duplicate series a{}")
    }
}

/// Parsing what the encoder writes gives back the same families and values, byte for byte once encoded again.
@Suite struct ExpositionParserRoundTripTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func roundTrip(_ bytes: [UInt8]) throws -> [UInt8] {
        let families = try ExpositionParser.parse(bytes)
        let snapshot = MetricsSnapshot(families: try families.map { try $0.snapshot(help: $0.help ?? "") })
        var output: [UInt8] = []
        ExpositionEncoder(format: .prometheusText004).encode(snapshot, into: &output)
        return output
    }

    /// Expects `actual` to be `expected`, naming the first line that differs.
    static func expectSameLines(_ actual: [UInt8], _ expected: [UInt8]) {
        let actualLines = String(decoding: actual, as: UTF8.self).split(
            separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = String(decoding: expected, as: UTF8.self).split(
            separator: "\n", omittingEmptySubsequences: false)
        if let index = zip(actualLines, expectedLines).enumerated().first(where: { $0.element.0 != $0.element.1 })?
            .offset
        {
            Issue.record("line \(index + 1): \(actualLines[index]) instead of \(expectedLines[index])")
        }
        #expect(actualLines.count == expectedLines.count)
    }

    @Test(arguments: ["golden/metrics.prom"])
    func theGoldenHostExpositionRoundTrips(path: String) throws {
        let golden = try #require(FileManager.default.contents(atPath: Self.fixtures.appendingPathComponent(path).path))
        let families = try ExpositionParser.parse(Array(golden))
        #expect(families.count > 50)
        #expect(families.allSatisfy { $0.help != nil && !$0.series.isEmpty })
        let cpu = try #require(families.first { $0.name == "node_cpu_seconds_total" })
        #expect(cpu.type == .counter)
        #expect(
            cpu.series.first { $0.labels == LabelSet(["cpu": "0", "mode": "idle"]) }?.value == 44805.02)
        Self.expectSameLines(try Self.roundTrip(Array(golden)), Array(golden))
    }

    @Test func theEncoderGoldenWithEveryKindRoundTrips() throws {
        let golden = try #require(FileManager.default.contents(atPath: GoldenTests.path(.prometheusText004)))
        let families = try ExpositionParser.parse(Array(golden))
        #expect(families.contains { $0.type == .histogram })
        Self.expectSameLines(try Self.roundTrip(Array(golden)), Array(golden))
    }

    @Test func summariesAndUntypedFamiliesRoundTrip() throws {
        let text = """
            # HELP plain Untyped.
            # TYPE plain untyped
            plain{x="1"} NaN
            plain{x="2"} -Inf
            # HELP rpc_seconds RPC latency.
            # TYPE rpc_seconds summary
            rpc_seconds{service="a",quantile="0.5"} 0.25
            rpc_seconds{service="a",quantile="0.99"} 1.5
            rpc_seconds_sum{service="a"} 80.5
            rpc_seconds_count{service="a"} 120
            rpc_seconds_sum{service="b"} 0
            rpc_seconds_count{service="b"} 0

            """
        Self.expectSameLines(try Self.roundTrip(Array(text.utf8)), Array(text.utf8))
    }
}
