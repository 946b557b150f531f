import MetricsCore
import MonotonicTime
import PushProtocol
import Synchronization
import Testing

@testable import PushStore

/// A store over a fresh registry, with a clock the test moves.
private struct Fixture {
    let registry: MetricRegistry
    let store: PushStore
    private let clock = ManualClock()

    init(views: ViewSet = ViewSet(), limits: PushLimits = PushLimits()) throws {
        registry = try MetricRegistry(views: views)
        store = try PushStore(registry: registry, limits: limits, clock: clock.clock)
    }

    func advance(seconds: UInt64) {
        clock.advance(by: .seconds(seconds))
    }

    /// Pushes lines; returns the refusals in order (nil for a line taken).
    @discardableResult
    func push(_ lines: String...) -> [PushRejection?] {
        store.ingest(from: .stream) { apply, _ in
            lines.map { line in
                var bytes = Array(line.utf8)
                return bytes.withUnsafeMutableBytes { apply(UnsafeRawBufferPointer($0)) }
            }
        }
    }

    func family(_ name: String) -> MetricFamilySnapshot? {
        registry.collect().family(named: name)
    }

    /// The value of one series of a counter or gauge family, by its exposition labels text.
    func value(_ name: String, _ labels: String = "") -> Double? {
        guard let family = family(name) else { return nil }
        guard let index = family.labelSets.firstIndex(where: { String(decoding: $0.encoded, as: UTF8.self) == labels })
        else { return nil }
        return family.values[index]
    }

    func rejected(_ reason: PushRejectionReason) -> Double? {
        value("tally_push_rejected_lines", #"reason="\#(reason.rawValue)""#)
    }
}

@Suite struct PushStoreTests {
    @Test func countersAccumulateUnderOneFamilyWithOrWithoutTotal() throws {
        let fixture = try Fixture()
        let outcomes = fixture.push(
            "crypto.data.processed:100|c|#symbol:BTCUSDT,stage:fetch",
            "crypto_data_processed_total:50|c|#stage:fetch,symbol:BTCUSDT",
            "crypto.data.processed:5|c|@0.1|#symbol:ETHUSDT,stage:fetch")
        #expect(outcomes.allSatisfy { $0 == nil })
        let family = try #require(fixture.family("crypto_data_processed"))
        #expect(family.descriptor.type == .counter)
        #expect(fixture.value("crypto_data_processed", #"stage="fetch",symbol="BTCUSDT""#) == 150)
        #expect(fixture.value("crypto_data_processed", #"stage="fetch",symbol="ETHUSDT""#) == 50)
        #expect(fixture.value("tally_push_lines", #"transport="stream""#) == 3)
        #expect(fixture.value("tally_push_series") == 2)
    }

    @Test func gaugesSetAndChange() throws {
        let fixture = try Fixture()
        fixture.push("crypto_processing_queue_size:10|g", "crypto_processing_queue_size:+5|g")
        #expect(fixture.value("crypto_processing_queue_size") == 15)
        fixture.push("crypto_processing_queue_size:-20|g")
        #expect(fixture.value("crypto_processing_queue_size") == -5)
        fixture.push("crypto_processing_queue_size:3|g|@0.5")
        #expect(fixture.value("crypto_processing_queue_size") == 3)
    }

    @Test func timersBecomeSecondsHistogramsWithPrometheusBuckets() throws {
        let fixture = try Fixture()
        fixture.push(
            "crypto_processing_duration:4|ms|#stage:store", "crypto_processing_duration:250|ms|#stage:store",
            "crypto_processing_duration:20000|ms|#stage:store", "crypto_processing_duration:100|ms|@0.5|#stage:store")
        let family = try #require(fixture.family("crypto_processing_duration_seconds"))
        let histogram = try #require(family.histogram)
        #expect(histogram.upperBounds == HistogramBuckets.prometheusDefault)
        #expect(histogram.counts == [5])
        #expect(Array(histogram.cumulativeCounts(ofSeries: 0)) == [1, 1, 1, 1, 3, 4, 4, 4, 4, 4, 4])
        #expect(family.values == [0.004 + 0.25 + 20 + 0.1 * 2])
    }

    @Test func histogramsAndDistributionsShareOpenTelemetryBuckets() throws {
        let fixture = try Fixture()
        fixture.push("crypto_data_volume:7|h", "crypto_data_volume:7000|d", "crypto_data_volume:20000|h")
        let histogram = try #require(fixture.family("crypto_data_volume")?.histogram)
        #expect(histogram.upperBounds == HistogramBuckets.openTelemetryDefault)
        #expect(histogram.counts == [3])
        #expect(histogram.cumulativeCounts(ofSeries: 0).last == 2)
    }

    @Test func refusedLinesAreCountedAndChangeNothingElse() throws {
        let fixture = try Fixture()
        fixture.push("jobs:1|c|#queue:a")
        let refusals = fixture.push(
            "jobs:-1|c|#queue:a", "jobs:abc|c|#queue:a", "jobs:1|c|@2|#queue:a", "jobs:1|c|#queue",
            "jobs:1|x|#queue:a", "jobs:1|g|#queue:a", "latency:-5|ms", "latency:1|h|#le:1", "no_separator",
            "jobs:1|c|#__name__:x")
        #expect(
            refusals.map { $0?.reason } == [
                .negativeCounter, .invalidValue, .invalidSampleRate, .tagWithoutValue, .unknownType, .typeConflict,
                .invalidValue, .invalidTagKey, .malformedLine, .invalidTagKey,
            ])
        #expect(fixture.value("jobs", #"queue="a""#) == 1)
        #expect(fixture.value("tally_push_series") == 1)
        #expect(fixture.family("latency") == nil)
        #expect(fixture.rejected(.invalidValue) == 2)
        #expect(fixture.rejected(.typeConflict) == 1)
        #expect(fixture.rejected(.seriesLimit) == 0)
    }

    @Test func namesOwnedByOtherFamiliesAreRefused() throws {
        let fixture = try Fixture()
        let meter = fixture.registry.makeMeter(name: "loadavg")
        _ = try meter.makeObservableGauge(name: "node_load1", help: "Load.")
        let refusals = fixture.push(
            "node_load1:3|g", "tally_push_series:1|g", "requests:1|c", "requests_total:1|g", "duration:1|h",
            "duration_count:1|g")
        #expect(refusals.map { $0?.reason } == [.typeConflict, .typeConflict, nil, .typeConflict, nil, .typeConflict])
    }

    @Test func sameStatsDNameWithAnotherTypeConflicts() throws {
        let fixture = try Fixture()
        let refusals = fixture.push("fetch:1|c", "fetch:1|ms", "fetch:1|c")
        #expect(refusals.map { $0?.reason } == [nil, .typeConflict, nil])
        #expect(fixture.value("fetch") == 2)
    }

    @Test func tagOrderDoesNotSplitSeries() throws {
        let fixture = try Fixture()
        fixture.push("api:1|c|#a:1,b:2", "api:1|c|#b:2,a:1", "api:1|c|#b:2,#a:1")
        #expect(fixture.value("api", #"a="1",b="2""#) == 3)
        #expect(fixture.value("tally_push_series") == 1)
    }

    @Test func cardinalityLimitOverflowsIntoOneSeriesCountingEveryLineOnce() throws {
        let views = ViewSet(rules: [ViewRule(pattern: NamePattern("requests"), cardinalityLimit: 2)])
        let fixture = try Fixture(views: views)
        let outcomes = fixture.push(
            "requests:1|c|#id:1", "requests:1|c|#id:2", "requests:1|c|#id:3", "requests:1|c|#id:4",
            "requests:1|c|#id:1", "requests:1|c|#id:3")
        #expect(outcomes.allSatisfy { $0 == nil })
        let family = try #require(fixture.family("requests"))
        #expect(family.labelSets.map(\.description) == [#"{id="1"}"#, #"{id="2"}"#, #"{otel_metric_overflow="true"}"#])
        #expect(family.values == [2, 1, 3])
        #expect(fixture.value("tally_push_overflow_lines") == 3)
    }

    @Test func globalSeriesLimitRefusesNewSeriesOnly() throws {
        let fixture = try Fixture(limits: PushLimits(maxSeries: 2))
        let outcomes = fixture.push("a:1|c|#k:1", "a:1|c|#k:2", "a:1|c|#k:3", "b:1|g", "a:5|c|#k:1")
        #expect(outcomes.map { $0?.reason } == [nil, nil, .seriesLimit, .seriesLimit, nil])
        #expect(fixture.value("a", #"k="1""#) == 6)
    }

    @Test func viewRulesDropRenameRebucketAndFilterLabels() throws {
        let views = ViewSet(rules: [
            ViewRule(pattern: NamePattern("debug_*"), drop: true),
            ViewRule(pattern: NamePattern("legacy_jobs"), rename: "pipeline_jobs", help: "Jobs run."),
            ViewRule(pattern: NamePattern("*_duration_seconds"), type: .histogram, buckets: [0.5, 1]),
            ViewRule(pattern: NamePattern("api_requests*"), excludedLabels: ["request_id"]),
        ])
        let fixture = try Fixture(views: views)
        let outcomes = fixture.push(
            "debug_noise:1|c", "legacy_jobs:2|c", "fetch_duration:700|ms",
            "api_requests:1|c|#endpoint:/x,request_id:1", "api_requests:1|c|#endpoint:/x,request_id:2")
        #expect(outcomes.allSatisfy { $0 == nil })
        #expect(fixture.family("debug_noise") == nil)
        #expect(fixture.family("pipeline_jobs")?.descriptor.help == "Jobs run.")
        #expect(fixture.family("fetch_duration_seconds")?.histogram?.upperBounds == [0.5, 1])
        #expect(fixture.value("api_requests", #"endpoint="/x""#) == 2)
    }

    @Test func seriesExpireAfterTheirTimeToLive() throws {
        let views = ViewSet(rules: [ViewRule(pattern: NamePattern("short_*"), timeToLiveSeconds: 10)])
        let fixture = try Fixture(views: views)
        fixture.push("short_lived:1|g|#k:old", "short_lived:1|g|#k:fresh", "kept:1|g")
        fixture.advance(seconds: 8)
        fixture.push("short_lived:2|g|#k:fresh")
        fixture.advance(seconds: 3)
        #expect(fixture.store.expireSeries() == 1)
        #expect(fixture.family("short_lived")?.labelSets.map(\.description) == [#"{k="fresh"}"#])
        fixture.advance(seconds: 20)
        #expect(fixture.store.expireSeries() == 1)
        #expect(fixture.family("short_lived") == nil)
        #expect(fixture.value("kept") == 1)
        // An expired metric starts again from nothing, and its name is free again.
        #expect(fixture.push("short_lived:1|c") == [nil])
    }

    @Test func deleteRemovesOneSeriesOrAWholeMetric() throws {
        let fixture = try Fixture()
        fixture.push("jobs:1|c|#queue:a", "jobs:1|c|#queue:b", "other:1|g")
        #expect(fixture.store.delete(name: "jobs", labels: [PushLabel(name: "queue", value: "a")]) == 1)
        #expect(fixture.store.delete(name: "jobs", labels: [PushLabel(name: "queue", value: "zzz")]) == 0)
        #expect(fixture.family("jobs")?.labelSets.map(\.description) == [#"{queue="b"}"#])
        #expect(fixture.store.delete(name: "jobs_total", labels: nil) == 1)
        #expect(fixture.family("jobs") == nil)
        #expect(fixture.value("tally_push_series") == 1)
        // The name is free for another type now, and the cache does not point at freed slots.
        #expect(fixture.push("jobs:4|g", "other:2|g") == [nil, nil])
        #expect(fixture.value("jobs") == 4)
        #expect(fixture.value("other") == 2)
    }

    @Test func stateRoundTripsIntoAFreshStore() throws {
        let fixture = try Fixture()
        fixture.push(
            "crypto_api_requests:3|c|#endpoint:/klines,status:success,symbol:BTCUSDT",
            #"crypto_api_requests:1|c|#endpoint:/with "quotes" and \back,status:error,symbol:BTCUSDT"#,
            "crypto_processing_queue_size:-2.5|g", "crypto_processing_duration:12|ms|#stage:fetch",
            "crypto_data_volume:1e9|h")
        let snapshot = fixture.store.stateSnapshot()
        #expect(snapshot.version == 5)
        let bytes = snapshot.encode(generation: 3)
        let restored = try Fixture()
        let report = try restored.store.restoreState(bytes)
        #expect(report == PushStateRestoreReport(generation: 3, families: 4, series: 5, skipped: []))
        let original = fixture.registry.collect()
        let copy = restored.registry.collect()
        #expect(copy.families.map(\.descriptor) == original.families.map(\.descriptor))
        for (left, right) in zip(copy.families, original.families) where !left.descriptor.name.hasPrefix("tally_") {
            #expect(left.labelSets == right.labelSets)
            #expect(left.values == right.values)
            #expect(left.histogram?.cumulativeCounts == right.histogram?.cumulativeCounts)
        }
        // The restored cache works: a further line lands in the restored series.
        restored.push("crypto_processing_queue_size:+2.5|g")
        #expect(restored.value("crypto_processing_queue_size") == 0)
    }

    @Test(arguments: ["truncate", "flip", "empty", "header"])
    func corruptStateIsRefusedWhole(damage: String) throws {
        let fixture = try Fixture()
        fixture.push("a:1|c|#k:v", "b:2|g")
        var bytes = fixture.store.stateSnapshot().encode(generation: 1)
        switch damage {
        case "truncate": bytes.removeLast(10)
        case "flip": bytes[30] ^= 0x01
        case "empty": bytes = []
        default: bytes.replaceSubrange(0..<5, with: Array("xxxxx".utf8))
        }
        let restored = try Fixture()
        #expect(throws: PushStateError.self) { try restored.store.restoreState(bytes) }
        #expect(restored.store.seriesCount == 0)
    }

    @Test func randomBytesNeverCrashTheStore() throws {
        let fixture = try Fixture(limits: PushLimits(maxSeries: 500))
        var generator = SplitMix64(seed: 42)
        let alphabet = Array("abc.:|#@,+-0123456789e_!cgmshd \u{7f}".utf8) + [0xff, 0xc3]
        for _ in 0..<50_000 {
            let length = Int(generator.next() % 40)
            let line = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            _ = fixture.store.ingest(from: .datagram) { apply, _ in
                line.withUnsafeBytes { apply($0) }
            }
        }
        let snapshot = fixture.registry.collect()
        #expect(fixture.store.seriesCount <= 500)
        #expect(snapshot.family(named: "tally_push_lines")?.values.reduce(0, +) == 50_000)
    }
}

/// A small deterministic generator for the fuzz test.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }
}
