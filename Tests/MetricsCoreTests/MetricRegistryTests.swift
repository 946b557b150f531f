import MonotonicTime
import Synchronization
import Testing

@testable import MetricsCore

private struct CollectorFailure: Error, CustomStringConvertible {
    var description: String { "cannot read /proc/stat" }
}

@Suite struct MetricRegistryTests {
    @Test func synchronousInstrumentsAreCollectedSortedByNameAndLabels() throws {
        let registry = try MetricRegistry()
        let requests = try registry.makeCounter(name: "crypto_api_requests_total", help: "API requests.")
        let queue = try registry.makeUpDownCounter(name: "crypto_processing_queue_size", help: "Queue.")
        let temperature = try registry.makeGauge(name: "a_temperature", unit: "Cel", help: "Temp.")
        let duration = try registry.makeHistogram(
            name: "crypto_processing_duration", unit: "s", help: "Duration.", buckets: [0.1, 1])
        requests.add(2, labels: LabelSet(["symbol": "ETH"]))
        requests.add(1, labels: LabelSet(["symbol": "BTC"]))
        requests.add(-5, labels: LabelSet(["symbol": "BTC"]))
        queue.add(10)
        queue.add(-3)
        temperature.record(21.5)
        duration.record(0.5)
        let snapshot = registry.collect()
        #expect(
            snapshot.families.map(\.descriptor.name) == [
                "a_temperature_celsius", "crypto_api_requests", "crypto_processing_duration_seconds",
                "crypto_processing_queue_size",
            ])
        let counter = try #require(snapshot.family(named: "crypto_api_requests"))
        #expect(counter.labelSets.map { $0["symbol"]! } == ["BTC", "ETH"])
        #expect(counter.values == [1, 2])
        #expect(snapshot.family(named: "crypto_processing_queue_size")?.values == [7])
        #expect(snapshot.family(named: "crypto_processing_duration_seconds")?.histogram?.counts == [1])
    }

    @Test func registeringTheSameInstrumentAgainReturnsIt() throws {
        let registry = try MetricRegistry()
        let first = try registry.makeCounter(name: "jobs_total", help: "Jobs.")
        let second = try registry.makeCounter(name: "jobs", help: "Jobs.")
        #expect(first === second)
    }

    @Test(arguments: [
        ("jobs", MetricType.gauge),
        ("jobs_total", .gauge),
        ("jobs_created", .gauge),
    ])
    func refusesFamiliesThatWouldWriteTheSameNames(name: String, type: MetricType) throws {
        let registry = try MetricRegistry()
        _ = try registry.makeCounter(name: "jobs", help: "Jobs.")
        #expect(throws: MetricsError.self) {
            switch type {
            case .gauge: _ = try registry.makeGauge(name: name, help: "")
            default: _ = try registry.makeCounter(name: name, help: "")
            }
        }
    }

    @Test func histogramSampleNamesAreReserved() throws {
        let registry = try MetricRegistry()
        _ = try registry.makeHistogram(name: "latency", help: "", buckets: [1])
        #expect(throws: MetricsError.self) { _ = try registry.makeGauge(name: "latency_count", help: "") }
        #expect(throws: MetricsError.self) { _ = try registry.makeCounter(name: "latency_bucket", help: "") }
        #expect(throws: MetricsError.self) {
            try registry.reserve(try MetricDescriptor(name: "latency_sum", type: .gauge, help: ""))
        }
        let free = try MetricDescriptor(name: "latency_p99", type: .gauge, help: "")
        try registry.reserve(free)
        registry.release(free)
        try registry.reserve(free)
    }

    @Test func viewsDropRenameRebucketFilterAndLimit() throws {
        let views = ViewSet(rules: [
            ViewRule(pattern: NamePattern("debug_*"), drop: true),
            ViewRule(pattern: NamePattern("old_name"), rename: "new_name", help: "Renamed."),
            ViewRule(pattern: NamePattern("latency*"), type: .histogram, buckets: [1, 2]),
            ViewRule(pattern: NamePattern("requests"), allowedLabels: ["endpoint"], cardinalityLimit: 2),
        ])
        let registry = try MetricRegistry(views: views)
        let dropped = try registry.makeCounter(name: "debug_events", help: "")
        dropped.add(1)
        let renamed = try registry.makeGauge(name: "old_name", help: "Old.")
        renamed.record(3)
        let latency = try registry.makeHistogram(name: "latency", help: "", buckets: [10, 20, 30])
        latency.record(1.5)
        let requests = try registry.makeCounter(name: "requests", help: "")
        for endpoint in ["/a", "/b", "/c", "/d"] {
            requests.add(1, labels: LabelSet(["endpoint": endpoint, "request_id": endpoint + "-1"]))
        }
        let snapshot = registry.collect()
        #expect(snapshot.family(named: "debug_events") == nil)
        #expect(snapshot.family(named: "old_name") == nil)
        #expect(snapshot.family(named: "new_name")?.descriptor.help == "Renamed.")
        #expect(snapshot.family(named: "latency")?.histogram?.upperBounds == [1, 2])
        let limited = try #require(snapshot.family(named: "requests"))
        #expect(
            limited.labelSets.map(\.description) == [
                #"{endpoint="/a"}"#, #"{endpoint="/b"}"#, #"{otel_metric_overflow="true"}"#,
            ])
        #expect(limited.values == [1, 1, 2])
        // A dropped instrument reserves no names.
        _ = try registry.makeGauge(name: "debug_events_total", help: "")
    }

    @Test func observableCallbacksRunOncePerCollectionAndForgetUnobservedSeries() throws {
        let registry = try MetricRegistry()
        let meter = registry.makeMeter(name: "diskstats", reportsCollectorStatus: true)
        let reads = try meter.makeObservableCounter(name: "node_disk_reads_completed_total", help: "Reads.")
        let ioNow = try meter.makeObservableGauge(name: "node_disk_io_now", help: "In progress.")
        let calls = Mutex(0)
        let devices = Mutex(["sda", "sdb"])
        meter.addCallback { recorder in
            let call = calls.withLock {
                $0 += 1; return $0
            }
            for device in devices.withLock({ $0 }).reversed() {
                recorder.observe(reads, Double(call * 10), labels: LabelSet(["device": device]))
                recorder.observe(ioNow, 1, labels: LabelSet(["device": device]))
            }
        }
        let first = registry.collect()
        #expect(calls.withLock { $0 } == 1)
        #expect(first.family(named: "node_disk_reads_completed")?.labelSets.map { $0["device"]! } == ["sda", "sdb"])
        devices.withLock { $0 = ["sdb"] }
        let second = registry.collect()
        #expect(calls.withLock { $0 } == 2)
        #expect(second.family(named: "node_disk_reads_completed")?.labelSets.map { $0["device"]! } == ["sdb"])
        #expect(second.family(named: "node_disk_reads_completed")?.values == [20])
    }

    @Test func anUntypedInstrumentIsCollectedAsUntyped() throws {
        let registry = try MetricRegistry()
        let meter = registry.makeMeter(name: "netstat")
        let maxConn = try meter.makeObservableUntyped(name: "node_netstat_Tcp_MaxConn", help: "Statistic TcpMaxConn.")
        meter.addCallback { recorder in recorder.observe(maxConn, -1) }
        let family = try #require(registry.collect().family(named: "node_netstat_Tcp_MaxConn"))
        #expect(family.descriptor.type == .untyped)
        #expect(family.values == [-1])
        #expect(throws: MetricsError.self) { try registry.makeGauge(name: "node_netstat_Tcp_MaxConn", help: "") }
    }

    /// The registry reuses the last collection's family order and collector list; families and producers that come
    /// and go between collections must still come out complete and sorted.
    @Test func familiesAndProducersChangingBetweenCollectionsStaySorted() throws {
        let registry = try MetricRegistry(collectorStatusPrefix: "node_scrape_collector")
        let stat = registry.makeMeter(name: "stat", reportsCollectorStatus: true)
        let forks = try stat.makeObservableCounter(name: "node_forks_total", help: "Forks.")
        let boot = try stat.makeObservableGauge(name: "node_boot_time_seconds", help: "Boot time.")
        let observesBoot = Mutex(true)
        stat.addCallback { recorder in
            recorder.observe(forks, 3)
            if observesBoot.withLock({ $0 }) { recorder.observe(boot, 100) }
        }
        func names(_ snapshot: MetricsSnapshot) -> [String] { snapshot.families.map(\.descriptor.name) }
        func collectors(_ snapshot: MetricsSnapshot) -> [String] {
            snapshot.family(named: "node_scrape_collector_success")?.labelSets.map { $0["collector"]! } ?? []
        }

        let first = registry.collect()
        #expect(
            names(first) == [
                "node_boot_time_seconds", "node_forks", "node_scrape_collector_duration_seconds",
                "node_scrape_collector_success",
            ])
        #expect(names(registry.collect()) == names(first))

        observesBoot.withLock { $0 = false }
        #expect(
            names(registry.collect()) == [
                "node_forks", "node_scrape_collector_duration_seconds", "node_scrape_collector_success",
            ])

        let load = registry.makeMeter(name: "loadavg", reportsCollectorStatus: true)
        let load1 = try load.makeObservableGauge(name: "node_load1", help: "Load.")
        load.addCallback { recorder in recorder.observe(load1, 0.5) }
        observesBoot.withLock { $0 = true }
        let last = registry.collect()
        #expect(
            names(last) == [
                "node_boot_time_seconds", "node_forks", "node_load1", "node_scrape_collector_duration_seconds",
                "node_scrape_collector_success",
            ])
        #expect(collectors(last) == ["loadavg", "stat"])
        #expect(last.family(named: "node_scrape_collector_success")?.values == [1, 1])
    }

    @Test func aThrowingCallbackFailsOnlyItsOwnMeter() throws {
        let clock = ManualClock()
        let ticking = MonotonicClock {
            defer { clock.advance(by: .milliseconds(250)) }
            return clock.now
        }
        let registry = try MetricRegistry(clock: ticking, collectorStatusPrefix: "node_scrape_collector")
        let broken = registry.makeMeter(name: "stat", reportsCollectorStatus: true)
        let boot = try broken.makeObservableGauge(name: "node_boot_time_seconds", unit: "s", help: "Boot.")
        broken.addCallback { recorder in
            recorder.observe(boot, 1)
            throw CollectorFailure()
        }
        let working = registry.makeMeter(name: "loadavg", reportsCollectorStatus: true)
        let load = try working.makeObservableGauge(name: "node_load1", help: "Load.")
        working.addCallback { $0.observe(load, 0.21) }
        let silent = registry.makeMeter(name: "process")
        let fds = try silent.makeObservableGauge(name: "process_open_fds", help: "Fds.")
        silent.addCallback { $0.observe(fds, 7) }

        let snapshot = registry.collect()
        #expect(snapshot.family(named: "node_boot_time_seconds") == nil)
        #expect(snapshot.family(named: "node_load1")?.values == [0.21])
        #expect(snapshot.family(named: "process_open_fds")?.values == [7])
        #expect(snapshot.producerResults.first { $0.name == "stat" }?.error == "cannot read /proc/stat")
        let success = try #require(snapshot.family(named: "node_scrape_collector_success"))
        #expect(success.labelSets.map { $0["collector"]! } == ["loadavg", "stat"])
        #expect(success.values == [1, 0])
        #expect(snapshot.family(named: "node_scrape_collector_duration_seconds")?.values == [0.25, 0.25])
    }

    @Test func observationsOfOtherMetersAndDuplicatesAreHandled() throws {
        let registry = try MetricRegistry()
        let meterA = registry.makeMeter(name: "a")
        let meterB = registry.makeMeter(name: "b")
        let gaugeA = try meterA.makeObservableGauge(name: "gauge_a", help: "")
        let gaugeB = try meterB.makeObservableGauge(name: "gauge_b", help: "")
        meterA.addCallback { recorder in
            recorder.observe(gaugeB, 99)
            recorder.observe(gaugeA, 1, labels: LabelSet(["k": "z"]))
            recorder.observe(gaugeA, 2, labels: LabelSet(["k": "a"]))
            recorder.observe(gaugeA, 3, labels: LabelSet(["k": "z"]))
        }
        let snapshot = registry.collect()
        #expect(snapshot.family(named: "gauge_b") == nil)
        #expect(snapshot.family(named: "gauge_a")?.values == [2, 3])
    }

    @Test func anInstrumentCreatedWhileCollectingIsCollectedFromTheNextCollectionOn() throws {
        let registry = try MetricRegistry()
        let meter = registry.makeMeter(name: "sockstat")
        let learned = Mutex<ObservableInstrument?>(nil)
        meter.addCallback { recorder in
            let instrument = try learned.withLock { learned in
                if learned == nil { learned = try meter.makeObservableGauge(name: "node_sockstat_TCP_inuse", help: "") }
                return learned!
            }
            recorder.observe(instrument, 14)
        }
        #expect(registry.collect().family(named: "node_sockstat_TCP_inuse") == nil)
        #expect(registry.collect().family(named: "node_sockstat_TCP_inuse")?.values == [14])
    }
}
