import MetricsCore
import Testing

@testable import TallyServer

@Suite struct ConfigurationTests {
    @Test func readsEverySetting() throws {
        let configuration = try TallyConfiguration.parse(
            yaml: """
                push:
                  cardinality_limit: 500
                  max_series: 10000
                  ttl: 1h
                rules:
                  - match: "crypto_*_duration_seconds"
                    type: histogram
                    help: "Processing time."
                    buckets: [0.01, 0.1, 1, 10]
                    ttl: 15m
                    cardinality_limit: 5000
                    keep_labels: [operation, stage, status, symbol]
                  - match: "debug_*"
                    drop: true
                  - match: legacy_jobs
                    rename: pipeline_jobs
                    drop_labels: [request_id]
                """, file: "tally.yml")
        #expect(configuration.views.defaultCardinalityLimit == 500)
        #expect(configuration.maxPushedSeries == 10000)
        #expect(configuration.defaultTimeToLiveSeconds == 3600)
        #expect(configuration.views.rules.count == 3)
        let histogram = configuration.views.rules[0]
        #expect(histogram.type == .histogram)
        #expect(histogram.buckets == [0.01, 0.1, 1, 10])
        #expect(histogram.timeToLiveSeconds == 900)
        #expect(histogram.cardinalityLimit == 5000)
        #expect(histogram.allowedLabels == ["operation", "stage", "status", "symbol"])
        #expect(histogram.selects(names: ["crypto_processing_duration_seconds"], type: .histogram))
        #expect(configuration.views.rules[1].drop)
        #expect(configuration.views.rules[2].rename == "pipeline_jobs")
        #expect(configuration.views.rules[2].excludedLabels == ["request_id"])
    }

    @Test func anEmptyFileMeansDefaults() throws {
        #expect(try TallyConfiguration.parse(yaml: "", file: "empty.yml") == TallyConfiguration())
        #expect(try TallyConfiguration.parse(yaml: "# nothing\n", file: "empty.yml") == TallyConfiguration())
    }

    @Test(arguments: [
        ("rules:\n  - match: a\n    bukets: [1]\n", 3, "unknown key \"bukets\" in rule 1"),
        ("push:\n  max_series: -3\n", 2, "max_series must be a positive integer"),
        ("push:\n  ttl: forever\n", 2, "ttl \"forever\" is not a duration"),
        ("rules:\n  - type: counter\n", 2, "rule 1 needs a match pattern"),
        (
            "rules:\n  - match: a\n    type: summary\n", 3,
            "type \"summary\" is not counter, gauge or histogram"
        ),
        ("rules:\n  - match: a\n    buckets: [1, 1]\n", 3, "boundaries must increase strictly"),
        ("rules:\n  - match: a\n    buckets: [1, x]\n", 3, "bucket boundary must be a number"),
        ("rules:\n  - match: a\n    rename: 9bad\n", 3, "invalid metric name \"9bad\""),
        ("rules:\n  - match: a\n    keep_labels: [ok, __bad]\n", 3, "invalid label name \"__bad\""),
        ("rules:\n  - match: a\n    drop: true\n    help: x\n", 2, "drops the metric"),
        ("rules: {a: 1}\n", 1, "rules must be a list"),
        ("listen: 1\n", 1, "unknown key \"listen\" in the configuration"),
        ("rules:\n  - match: [unclosed\n", 3, "invalid YAML"),
    ])
    func explainsErrorsByLine(yaml: String, line: Int, message: String) {
        do {
            _ = try TallyConfiguration.parse(yaml: yaml, file: "bad.yml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.description.hasPrefix("bad.yml:\(line): "), "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test(arguments: [
        ("0", 0.0), ("30s", 30), ("15m", 900), ("1h30m", 5400), ("500ms", 0.5), ("2d", 172_800), ("1w", 604_800),
    ])
    func parsesDurations(text: String, seconds: Double) {
        #expect(parseDuration(text) == seconds)
    }

    @Test(arguments: ["", "s", "10", "1x", "-5s", "1.5s", "5 s"])
    func refusesMalformedDurations(text: String) {
        #expect(parseDuration(text) == nil)
    }
}
