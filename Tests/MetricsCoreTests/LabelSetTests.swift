import Testing

@testable import MetricsCore

@Suite struct LabelSetTests {
    @Test(arguments: [
        ([Label("b", "2"), Label("a", "1")], #"a="1",b="2""#),
        ([], ""),
        ([Label("a", #"x"y"#)], #"a="x\"y""#),
        ([Label("a", "back\\slash")], #"a="back\\slash""#),
        ([Label("a", "line\nfeed")], #"a="line\nfeed""#),
        ([Label("a", "1"), Label("a", "2")], #"a="2""#),
        ([Label("mode", "idle"), Label("cpu", "0")], #"cpu="0",mode="idle""#),
        ([Label("path", "/mnt/my disk ünï")], #"path="/mnt/my disk ünï""#),
    ])
    func encodesSortedEscapedLabels(labels: [Label], expected: String) {
        #expect(String(decoding: LabelSet(labels).encoded, as: UTF8.self) == expected)
    }

    @Test func equalityAndHashingFollowContentNotOrder() {
        let first = LabelSet(["cpu": "0", "mode": "idle"])
        let second = LabelSet(["mode": "idle", "cpu": "0"])
        #expect(first == second)
        #expect(Set([first, second]).count == 1)
        #expect(first != LabelSet(["cpu": "1", "mode": "idle"]))
        #expect(first["mode"] == "idle")
        #expect(first["missing"] == nil)
    }

    @Test(
        arguments: [
            (["a": "1"], ["a": "2"], true),
            (["a": "2"], ["a": "10"], false),
            (["a": "x"], ["a": "x", "b": ""], true),
            (["a": "x"], ["b": "a"], true),
            (["a": "Z"], ["a": "a"], true),
            (["a": "same"], ["a": "same"], false),
            (["a": "x\"y"], ["a": "x!"], false),
            (["a": "x\\"], ["a": "x]"], true),
            (["a": "x\n"], ["a": "x "], true),
        ] as [([String: String], [String: String], Bool)])
    func ordersByNameThenValueBytes(lhs: [String: String], rhs: [String: String], lhsFirst: Bool) {
        let left = LabelSet(lhs.map { Label($0.key, $0.value) })
        let right = LabelSet(rhs.map { Label($0.key, $0.value) })
        #expect((left < right) == lhsFirst)
    }

    @Test func decodesWhatItEncoded() {
        let labels = [Label("a", "quote \" back \\ line \n end"), Label("b", ""), Label("c", "ünï")]
        #expect(LabelSet(labels).labels == labels)
        #expect(LabelSet(labels).count == 3)
        #expect(LabelSet.empty.labels.isEmpty)
    }

    @Test func filterKeepsOnlySelectedNames() {
        let labels = LabelSet(["symbol": "BTC", "stage": "fetch", "host": "a"])
        #expect(labels.filter { $0 != "host" } == LabelSet(["symbol": "BTC", "stage": "fetch"]))
        #expect(labels.filter { _ in true }.isIdentical(to: labels))
    }
}

@Suite struct MetricNamingTests {
    @Test(arguments: [
        ("node_cpu_seconds_total", "s", MetricType.counter, "node_cpu_seconds", "seconds"),
        ("node_cpu_seconds", "s", .counter, "node_cpu_seconds", "seconds"),
        ("node_memory_MemTotal_bytes", "By", .gauge, "node_memory_MemTotal_bytes", "bytes"),
        ("node_memory_HugePages_Total", "", .gauge, "node_memory_HugePages_Total", ""),
        ("crypto.data.processed", "1", .counter, "crypto_data_processed", ""),
        ("crypto_data_processed_total", "1", .counter, "crypto_data_processed", ""),
        ("crypto_processing_duration", "s", .histogram, "crypto_processing_duration_seconds", "seconds"),
        ("http.server.duration", "ms", .histogram, "http_server_duration_milliseconds", "milliseconds"),
        ("queue_total", "", .gauge, "queue_total", ""),
        ("packets", "{packet}", .counter, "packets", ""),
        ("speed", "m/s", .gauge, "speed_meters_per_second", "meters_per_second"),
        ("1st", "", .gauge, "_1st", ""),
        ("_total", "", .counter, "_total", ""),
    ])
    func translatesInstrumentNames(
        instrument: String, unit: String, type: MetricType, family: String, unitWord: String
    ) throws {
        if family == "_total" {
            #expect(throws: MetricsError.self) {
                try MetricDescriptor(instrumentName: instrument, unit: unit, type: type, help: "")
            }
            return
        }
        let descriptor = try MetricDescriptor(instrumentName: instrument, unit: unit, type: type, help: "h")
        #expect(descriptor.name == family)
        #expect(descriptor.unit == unitWord)
    }

    @Test(arguments: ["", "1abc", "a-b", "a b", "ü"])
    func refusesInvalidFamilyNames(name: String) {
        #expect(throws: MetricsError.self) { try MetricDescriptor(name: name, type: .gauge, help: "") }
    }

    @Test func refusesUnitThatIsNotASuffix() {
        #expect(throws: MetricsError.unitNotSuffix(name: "latency", unit: "seconds")) {
            try MetricDescriptor(name: "latency", type: .gauge, help: "", unit: "seconds")
        }
    }

    @Test(arguments: [
        ("cpu", true), ("_x", true), ("a1_b", true), ("", false), ("1a", false), ("__name__", false), ("a:b", false),
        ("a-b", false),
    ])
    func validatesLabelNames(name: String, valid: Bool) {
        #expect(MetricNaming.isValidLabelName(name) == valid)
    }

    @Test func reservedNamesCoverEverySample() throws {
        let histogram = try MetricDescriptor(name: "x", type: .histogram, help: "")
        #expect(Set(histogram.reservedNames) == ["x", "x_bucket", "x_sum", "x_count", "x_created"])
        let counter = try MetricDescriptor(name: "y", type: .counter, help: "")
        #expect(Set(counter.reservedNames) == ["y", "y_total", "y_created"])
        let untyped = try MetricDescriptor(name: "z_total", type: .untyped, help: "")
        #expect(untyped.reservedNames == ["z_total"])
    }
}

@Suite struct NamePatternTests {
    @Test(arguments: [
        ("crypto_*", "crypto_api_requests", true),
        ("crypto_*", "node_load1", false),
        ("*_seconds", "crypto_processing_duration_seconds", true),
        ("*", "", true),
        ("a?c", "abc", true),
        ("a?c", "ac", false),
        ("exact", "exact", true),
        ("exact", "exactly", false),
        ("*api*errors*", "crypto_api_errors_total", true),
        ("a*b*c", "aXbYbZc", true),
        ("a*b*c", "aXbYbZ", false),
    ])
    func matchesGlobs(pattern: String, name: String, matches: Bool) {
        #expect(NamePattern(pattern).matches(name) == matches)
    }
}
