import MetricsCore
import MonotonicTime
import OTLP
import Testing

@testable import PushStore

/// A store over a fresh registry, fed OTLP requests built with the encoder (or from JSON).
private struct OTLPFixture {
    let registry: MetricRegistry
    let store: PushStore
    let clock = ManualClock()

    init(
        views: ViewSet = ViewSet(), limits: PushLimits = PushLimits(), options: OTLPIngestOptions = OTLPIngestOptions()
    ) throws {
        registry = try MetricRegistry(views: views)
        store = try PushStore(registry: registry, limits: limits, clock: clock.clock)
        store.otlpOptions = options
    }

    static let resource = [
        OTLPKeyValue("service.name", .string("crypto-pipeline")),
        OTLPKeyValue("service.namespace", .string("lakehouse")),
        OTLPKeyValue("service.instance.id", .string("host-1")),
        OTLPKeyValue("service.version", .string("1.2.3")),
        OTLPKeyValue("deployment.environment", .string("prod")),
    ]

    /// A request with one metric in one scope of the standard resource.
    static func request(
        name: String, unit: String = "", data: OTLPMetricsEncoder.MetricData,
        points: (inout OTLPMetricsEncoder) -> Void
    ) -> [UInt8] {
        var encoder = OTLPMetricsEncoder()
        encoder.beginResource(attributes: resource)
        encoder.beginScope(name: "crypto.pipeline", version: "0.1.0")
        encoder.beginMetric(name: name, unit: unit, data: data)
        points(&encoder)
        encoder.endMetric()
        encoder.endScope()
        encoder.endResource()
        return encoder.bytes
    }

    @discardableResult
    func ingest(_ body: [UInt8]) throws -> OTLPIngestResult {
        try store.ingestOTLP(protobuf: body)
    }

    @discardableResult
    func ingestJSON(_ json: String) throws -> OTLPIngestResult {
        try store.ingestOTLP(protobuf: OTLPJSONDecoder().transcode(Array(json.utf8)))
    }

    func family(_ name: String) -> MetricFamilySnapshot? {
        registry.collect().family(named: name)
    }

    /// The exposition text of one family's label sets and values, `labels value` per series.
    func series(_ name: String) -> [String] {
        guard let family = family(name) else { return [] }
        return (0..<family.count).map { index in
            "\(String(decoding: family.labelSet(at: index).encoded, as: UTF8.self)) \(family.value(at: index))"
        }
    }
}

private let common =
    #"instance="host-1",job="lakehouse/crypto-pipeline",otel_scope_name="crypto.pipeline",otel_scope_version="0.1.0""#

@Suite struct OTLPIngestTests {
    @Test func monotonicSumBecomesCounterWithJobInstanceAndScopeLabels() throws {
        let fixture = try OTLPFixture()
        let result = try fixture.ingest(
            OTLPFixture.request(
                name: "crypto.data.processed", unit: "1", data: .sum(temporality: .cumulative, isMonotonic: true)
            ) { encoder in
                encoder.numberDataPoint(
                    attributes: [OTLPKeyValue("symbol", .string("BTCUSDT"))], startTimeUnixNano: 1, timeUnixNano: 2,
                    value: .int(1440))
            })
        #expect(result.acceptedPoints == 1 && result.rejectedPoints == 0)
        let family = try #require(fixture.family("crypto_data_processed"))
        #expect(family.descriptor.type == .counter)
        #expect(fixture.series("crypto_data_processed") == [#"\#(common),symbol="BTCUSDT" 1440.0"#])
    }

    @Test func otherResourceAttributesGoToOneTargetInfoSeries() throws {
        let fixture = try OTLPFixture()
        for _ in 0..<2 {
            try fixture.ingest(
                OTLPFixture.request(name: "queue", data: .gauge) { encoder in
                    encoder.numberDataPoint(timeUnixNano: 2, value: .double(3))
                })
        }
        #expect(
            fixture.series("target_info") == [
                #"deployment_environment="prod",instance="host-1",job="lakehouse/crypto-pipeline",service_version="1.2.3" 1.0"#
            ])
    }

    @Test func promotedResourceAttributesAndDisabledScopeLabels() throws {
        let fixture = try OTLPFixture(
            options: OTLPIngestOptions(promotedResourceAttributes: ["deployment.environment"], addsScopeLabels: false))
        try fixture.ingest(
            OTLPFixture.request(name: "queue", data: .gauge) { encoder in
                encoder.numberDataPoint(timeUnixNano: 2, value: .double(3))
            })
        #expect(
            fixture.series("queue") == [
                #"deployment_environment="prod",instance="host-1",job="lakehouse/crypto-pipeline" 3.0"#
            ])
    }

    @Test func deltaSumsAccumulateAndCountGaps() throws {
        let fixture = try OTLPFixture()
        func send(start: UInt64, time: UInt64, _ value: Int64) throws -> OTLPIngestResult {
            try fixture.ingest(
                OTLPFixture.request(name: "requests", data: .sum(temporality: .delta, isMonotonic: true)) { encoder in
                    encoder.numberDataPoint(startTimeUnixNano: start, timeUnixNano: time, value: .int(value))
                })
        }
        #expect(try send(start: 10, time: 20, 5).deltaGaps == 0)
        #expect(try send(start: 20, time: 30, 7).deltaGaps == 0)
        #expect(try send(start: 40, time: 50, 1).deltaGaps == 1)
        #expect(fixture.series("requests") == ["\(common) 13.0"])
    }

    @Test func cumulativeSumsReplaceTheirValueAndResetOnANewStart() throws {
        let fixture = try OTLPFixture()
        func send(start: UInt64, _ value: Double) throws {
            try fixture.ingest(
                OTLPFixture.request(name: "requests", data: .sum(temporality: .cumulative, isMonotonic: true)) {
                    encoder in
                    encoder.numberDataPoint(startTimeUnixNano: start, timeUnixNano: start + 10, value: .double(value))
                })
        }
        try send(start: 10, 5)
        try send(start: 10, 9)
        #expect(fixture.series("requests") == ["\(common) 9.0"])
        try send(start: 100, 2)
        #expect(fixture.series("requests") == ["\(common) 2.0"])
    }

    @Test func nonMonotonicDeltasAreAddedAndGaugesReplaced() throws {
        let fixture = try OTLPFixture()
        for change in [5.0, -2.0] {
            try fixture.ingest(
                OTLPFixture.request(name: "queue.size", data: .sum(temporality: .delta, isMonotonic: false)) {
                    encoder in
                    encoder.numberDataPoint(timeUnixNano: 1, value: .double(change))
                })
        }
        #expect(fixture.family("queue_size")?.descriptor.type == .gauge)
        #expect(fixture.series("queue_size") == ["\(common) 3.0"])
    }

    @Test func deltaHistogramsAccumulateWithTheirOwnBounds() throws {
        let fixture = try OTLPFixture()
        for _ in 0..<2 {
            try fixture.ingest(
                OTLPFixture.request(name: "duration", unit: "s", data: .histogram(temporality: .delta)) { encoder in
                    encoder.histogramDataPoint(
                        timeUnixNano: 1, count: 3, sum: 2.5, bucketCounts: [1, 1, 1], explicitBounds: [0.5, 1])
                })
        }
        let family = try #require(fixture.family("duration_seconds"))
        let histogram = try #require(family.histogram)
        #expect(histogram.upperBounds == [0.5, 1])
        #expect(histogram.cumulativeCounts == [2, 4])
        #expect(histogram.counts == [6])
        #expect(family.value(at: 0) == 5)
    }

    @Test func histogramPointsWithOtherBoundsAreRefused() throws {
        let fixture = try OTLPFixture()
        try fixture.ingest(
            OTLPFixture.request(name: "duration", data: .histogram(temporality: .cumulative)) { encoder in
                encoder.histogramDataPoint(
                    timeUnixNano: 1, count: 1, sum: 1, bucketCounts: [1, 0], explicitBounds: [2])
            })
        let result = try fixture.ingest(
            OTLPFixture.request(name: "duration", data: .histogram(temporality: .cumulative)) { encoder in
                encoder.histogramDataPoint(
                    timeUnixNano: 1, count: 1, sum: 1, bucketCounts: [1, 0], explicitBounds: [3])
            })
        #expect(result.rejections == [.bucketMismatch: 1])
        #expect(result.firstRejection?.hasPrefix("bucket_mismatch:") == true)
    }

    @Test func namesOfAnotherTypeAreRefusedAsTypeConflicts() throws {
        let fixture = try OTLPFixture()
        _ = try fixture.registry.makeGauge(name: "node_load1", help: "load")
        let result = try fixture.ingest(
            OTLPFixture.request(name: "node_load1", data: .sum(temporality: .cumulative, isMonotonic: true)) {
                encoder in
                encoder.numberDataPoint(timeUnixNano: 1, value: .int(1))
                encoder.numberDataPoint(
                    attributes: [OTLPKeyValue("a", .string("b"))], timeUnixNano: 1, value: .int(1))
            })
        #expect(result.rejections == [.typeConflict: 2])
        #expect(result.acceptedPoints == 0)
    }

    @Test func negativeCountersAndMissingTemporalityAreRefused() throws {
        let fixture = try OTLPFixture()
        let negative = try fixture.ingest(
            OTLPFixture.request(name: "c", data: .sum(temporality: .delta, isMonotonic: true)) { encoder in
                encoder.numberDataPoint(timeUnixNano: 1, value: .int(-1))
            })
        #expect(negative.rejections == [.invalidValue: 1])
        let unspecified = try fixture.ingest(
            OTLPFixture.request(name: "d", data: .sum(temporality: .unspecified, isMonotonic: true)) { encoder in
                encoder.numberDataPoint(timeUnixNano: 1, value: .int(1))
            })
        #expect(unspecified.rejections == [.unsupported: 1])
        #expect(fixture.family("c") == nil)
    }

    @Test func seriesLimitRefusesNewSeriesAndCardinalityLimitOverflows() throws {
        let fixture = try OTLPFixture(
            views: ViewSet(defaultCardinalityLimit: 2), limits: PushLimits(maxSeries: 4))
        let result = try fixture.ingest(
            OTLPFixture.request(name: "requests", data: .sum(temporality: .delta, isMonotonic: true)) { encoder in
                for symbol in ["A", "B", "C", "D"] {
                    encoder.numberDataPoint(
                        attributes: [OTLPKeyValue("symbol", .string(symbol))], timeUnixNano: 1, value: .int(1))
                }
            })
        // target_info takes one series, A and B two more, C and D share the overflow series.
        #expect(result.acceptedPoints == 4 && result.overflowPoints == 2)
        #expect(fixture.series("requests").last == #"otel_metric_overflow="true" 2.0"#)
        let more = try fixture.ingest(
            OTLPFixture.request(name: "other", data: .gauge) { encoder in
                encoder.numberDataPoint(timeUnixNano: 1, value: .int(1))
            })
        #expect(more.rejections == [.seriesLimit: 1])
    }

    @Test func summariesAndExponentialHistogramsFromJSON() throws {
        let fixture = try OTLPFixture()
        let result = try fixture.ingestJSON(
            """
            {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
             "scopeMetrics":[{"metrics":[
              {"name":"latency","summary":{"dataPoints":[{"count":"4","sum":10,
                "quantileValues":[{"quantile":0.99,"value":9},{"quantile":0.5,"value":2}]}]}},
              {"name":"size","exponentialHistogram":{"aggregationTemporality":2,"dataPoints":[{"count":"3","sum":7,
                "scale":0,"zeroCount":"1","positive":{"offset":0,"bucketCounts":["1","1"]}}]}}
             ]}]}]}
            """)
        #expect(result.acceptedPoints == 2)
        let summary = try #require(fixture.family("latency")?.summary)
        #expect(summary.quantiles == [0.5, 0.99] && summary.quantileValues == [2, 9] && summary.counts == [4])
        let histogram = try #require(fixture.family("size")?.histogram)
        #expect(histogram.upperBounds == [0, 2, 4])
        #expect(histogram.cumulativeCounts == [1, 2, 3])
    }

    @Test func attributeValuesBecomeLabelTextAsTheCollectorWritesThem() throws {
        let fixture = try OTLPFixture()
        try fixture.ingest(
            OTLPFixture.request(name: "g", data: .gauge) { encoder in
                encoder.numberDataPoint(
                    attributes: [
                        OTLPKeyValue("flag", .bool(true)), OTLPKeyValue("count", .int(-3)),
                        OTLPKeyValue("ratio", .double(1.0)), OTLPKeyValue("tiny", .double(0.00001)),
                        OTLPKeyValue("list", .array([.string("a<b"), .int(1), .double(2.5)])),
                        OTLPKeyValue(
                            "map", .keyValueList([OTLPKeyValue("z", .bool(false)), OTLPKeyValue("a", .int(1))])),
                        OTLPKeyValue("http.method", .string("GET")),
                    ], timeUnixNano: 1, value: .int(1))
            })
        let labels = try #require(fixture.family("g")?.labelSet(at: 0))
        #expect(labels["flag"] == "true" && labels["count"] == "-3")
        #expect(labels["ratio"] == "1" && labels["tiny"] == "0.00001")
        #expect(labels["list"] == #"["a\u003cb",1,2.5]"#)
        #expect(labels["map"] == #"{"a":1,"z":false}"#)
        #expect(labels["http_method"] == "GET")
    }

    @Test func exemplarsInJSONAreSkippedWithoutRefusingThePoint() throws {
        let fixture = try OTLPFixture()
        let result = try fixture.ingestJSON(
            """
            {"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[
              {"asDouble":1,"exemplars":[{"asDouble":1},{"asDouble":2}]}]}}]}]}]}
            """)
        // The JSON transcoder leaves exemplars out; protobuf exemplars are counted in droppedExemplars.
        #expect(result.acceptedPoints == 1 && result.rejectedPoints == 0)
    }

    @Test func bodiesThatDoNotDecodeChangeNothing() throws {
        let fixture = try OTLPFixture()
        var body = OTLPFixture.request(name: "g", data: .gauge) { encoder in
            encoder.numberDataPoint(timeUnixNano: 1, value: .int(1))
        }
        body.removeLast(3)
        #expect(throws: OTLPDecodingError.self) { try fixture.ingest(body) }
        #expect(fixture.family("g") == nil && fixture.store.seriesCount == 0)
    }

    @Test func otlpSeriesRoundTripThroughTheStateFile() throws {
        let fixture = try OTLPFixture()
        try fixture.ingest(
            OTLPFixture.request(name: "requests", data: .sum(temporality: .delta, isMonotonic: true)) { encoder in
                encoder.numberDataPoint(startTimeUnixNano: 1, timeUnixNano: 2, value: .int(5))
            })
        try fixture.ingest(
            OTLPFixture.request(name: "duration", unit: "s", data: .histogram(temporality: .cumulative)) { encoder in
                encoder.histogramDataPoint(
                    timeUnixNano: 1, count: 2, sum: 1.5, bucketCounts: [1, 1], explicitBounds: [1])
            })
        try fixture.ingestJSON(
            """
            {"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"latency","description":"Latency \\"p\\"",
             "summary":{"dataPoints":[{"count":"4","sum":10,"quantileValues":[{"quantile":0.5,"value":2}]}]}}]}]}]}
            """)
        let saved = fixture.store.stateSnapshot().encode(generation: 3)
        let restored = try OTLPFixture()
        let report = try restored.store.restoreState(saved)
        #expect(report.families == 4 && report.skipped.isEmpty)
        for name in ["requests", "duration_seconds", "latency", "target_info"] {
            #expect(restored.series(name) == fixture.series(name))
        }
        #expect(restored.family("latency")?.descriptor.help == #"Latency "p""#)
        #expect(restored.family("duration_seconds")?.histogram?.cumulativeCounts == [1])
        // The delta series continues where it was: the next point joins without a gap.
        let next = try restored.ingest(
            OTLPFixture.request(name: "requests", data: .sum(temporality: .delta, isMonotonic: true)) { encoder in
                encoder.numberDataPoint(startTimeUnixNano: 2, timeUnixNano: 3, value: .int(1))
            })
        #expect(next.deltaGaps == 0)
        #expect(restored.series("requests") == ["\(common) 6.0"])
    }

    @Test func journalledRequestsReplayIntoTheSameSeries() throws {
        let fixture = try OTLPFixture()
        let body = OTLPFixture.request(name: "requests", data: .sum(temporality: .delta, isMonotonic: true)) {
            encoder in
            encoder.numberDataPoint(timeUnixNano: 2, value: .int(5))
        }
        try fixture.ingest(body)
        try fixture.ingest(body)
        var journal: [UInt8] = []
        PushJournal.appendRecord(body, kind: .otlp, to: &journal)
        PushJournal.appendRecord(Array("pushed:1|c\n".utf8), to: &journal)
        PushJournal.appendRecord(body, kind: .otlp, to: &journal)
        let replayed = try OTLPFixture()
        #expect(replayed.store.replayJournal(journal).records == 3)
        #expect(replayed.series("requests") == fixture.series("requests"))
        #expect(replayed.family("pushed") != nil)
    }

    @Test(arguments: [
        (1.0, "1"), (-2.5, "-2.5"), (1e21, "1e+21"), (1e-7, "1e-7"), (0.00001, "0.00001"), (1e16, "10000000000000000"),
        (123456.789, "123456.789"),
    ])
    func doublesAreWrittenAsECMAScriptNumbers(value: Double, text: String) {
        #expect(OTLPAttributeText.number(value) == text)
    }
}
