import Exposition
import Foundation
import HostCollectors
import MetricsCore
import Testing

/// A directory of its own under the temporary directory, removed when the test is done with it.
private final class TemporaryDirectory {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent("tally-textfile-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes a file and sets its mtime to `mtime` seconds since the epoch.
    @discardableResult
    func write(_ name: String, _ content: String, mtime: Double = 1_700_000_000) throws -> String {
        let file = path + "/" + name
        try Data(content.utf8).write(to: URL(fileURLWithPath: file))
        try setMtime(name, mtime)
        return file
    }

    func setMtime(_ name: String, _ mtime: Double) throws {
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: mtime)], ofItemAtPath: path + "/" + name)
    }
}

/// Options reading text files from `directories`, at a fixed current time.
private func textfileOptions(
    _ directories: [String], maxAge: Duration? = nil, maxSize: Int? = nil, now: Double = 1_700_000_100
) -> HostCollectorOptions {
    var options = Fixtures.options()
    options.textfileDirectories = directories
    options.textfileMaxAge = maxAge
    if let maxSize { options.textfileMaxSize = maxSize }
    options.wallClock = { now }
    return options
}

extension MetricsSnapshot {
    /// `tally_textfile_errors_total` as file name (the last path component) → reason → count.
    fileprivate var textfileErrors: [String: [String: Double]] {
        var errors: [String: [String: Double]] = [:]
        guard let family = family(sample: "tally_textfile_errors_total") else { return errors }
        for (labels, value) in zip(family.labelSets, family.values) {
            let file = labels["file"].map { String($0.split(separator: "/").last ?? "") } ?? ""
            errors[file, default: [:]][labels["reason"] ?? ""] = value
        }
        return errors
    }

    /// The text 0.0.4 exposition of the families named `names`.
    fileprivate func exposition(of names: [String]) -> String {
        var bytes: [UInt8] = []
        let selected = MetricsSnapshot(families: families.filter { names.contains($0.descriptor.name) })
        ExpositionEncoder(format: .prometheusText004).encode(selected, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

@Suite struct TextfileCollectorTests {
    static let fixtures = Fixtures.directory + "/textfile"

    @Test func servesTheGoodFilesOfTheFixtureDirectoryAndCountsEachBadOneByReason() throws {
        let registry = try makeRegistry(collectors: ["loadavg", "textfile"], options: textfileOptions([Self.fixtures]))
        let snapshot = registry.collect()

        #expect(snapshot.value("backup_runs_total", ["result": "success"]) == 41)
        #expect(snapshot.value("backup_runs_total", ["result": "failure"]) == 2)
        #expect(snapshot.value("backup_last_run_seconds") == 183.5)
        let untyped = try #require(snapshot.family(named: "backup_target_free_ratio"))
        #expect(untyped.descriptor.type == .untyped)
        #expect(untyped.descriptor.help == "Metric read from \(Self.fixtures)/backup.prom")
        #expect(untyped.values == [0.42])

        // bad_conflict.prom's series of this family is left out.
        #expect(snapshot.labelValues("node_apt_upgrades_pending", "arch") == ["all", "amd64"])
        let histogram = try #require(snapshot.family(named: "apt_update_duration_seconds")?.histogram)
        #expect(histogram.upperBounds == [1, 10] && histogram.cumulativeCounts == [2, 5] && histogram.counts == [6])
        #expect(snapshot.family(named: "apt_update_duration_seconds")?.values == [31.5])
        let summary = try #require(snapshot.family(named: "apt_download_seconds")?.summary)
        #expect(summary.quantiles == [0.5, 0.9] && summary.quantileValues == [0.8, 2.5] && summary.counts == [10])

        // One family from two files, with node_exporter's HELP naming both.
        let shared = try #require(snapshot.family(named: "cron_last_success_timestamp_seconds"))
        #expect(shared.labelSets == [LabelSet(["job": "rotate"]), LabelSet(["job": "vacuum"])])
        #expect(shared.values == [1_700_000_000, 1_700_000_300])
        #expect(
            shared.descriptor.help
                == "Metric read from \(Self.fixtures)/shared_a.prom, \(Self.fixtures)/shared_b.prom")

        // The host metric keeps its value; nothing of a left-out file is served.
        #expect(snapshot.value("node_load1") == 0.52)
        for name in ["half_written", "with_timestamp", "broken", "tally_sneaky", "uneven", "not_read"] {
            #expect(snapshot.family(named: name) == nil, "\(name)")
        }

        let served = ["apt.prom", "backup.prom", "shared_a.prom", "shared_b.prom"]
        #expect(snapshot.labelValues("node_textfile_mtime_seconds", "file") == served.map { Self.fixtures + "/" + $0 })
        let mtimes = try served.map { name in
            let attributes = try FileManager.default.attributesOfItem(atPath: Self.fixtures + "/" + name)
            return ((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0).rounded(.down)
        }
        #expect(snapshot.family(named: "node_textfile_mtime_seconds")?.values == mtimes)
        #expect(snapshot.value("node_textfile_scrape_error") == 1)
        #expect(snapshot.success("textfile") == 1)

        let expected: [String: [String: Double]] = [
            "bad_conflict.prom": ["conflicting_metadata": 1], "bad_duplicate.prom": ["duplicate_series": 1],
            "bad_half_written.prom": ["parse_error": 1], "bad_histogram.prom": ["unsupported": 1],
            "bad_name_conflict.prom": ["name_conflict": 1], "bad_syntax.prom": ["parse_error": 1],
            "bad_tally_name.prom": ["name_conflict": 1], "bad_timestamp.prom": ["timestamp": 1],
        ]
        #expect(snapshot.textfileErrors == expected)
        // Every collection that leaves a file out counts once more.
        #expect(registry.collect().textfileErrors == expected.mapValues { $0.mapValues { _ in 2 } })
    }

    @Test func writesFamiliesAsNodeExporterDoes() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write(
            "job.prom",
            """
            # HELP job_runs_total Runs of the job.
            # TYPE job_runs_total counter
            job_runs_total{job="backup"} 3
            # TYPE job_up untyped
            job_up 1
            no_type_metric{a="b"} 2.5
            # TYPE lat summary
            lat{quantile="0.5"} 1
            lat{quantile="0.9"} 2
            lat_sum 10
            lat_count 5
            # TYPE h histogram
            h_bucket{le="0.5"} 1
            h_bucket{le="+Inf"} 3
            h_sum 2
            h_count 3

            """)
        let registry = try makeRegistry(collectors: ["textfile"], options: textfileOptions([directory.path]))
        let snapshot = registry.collect()
        // The families, types, HELP texts and values node_exporter 1.5.0 writes for this file (it writes the mtime as
        // 1.7e+09).
        let expected = """
            # HELP h Metric read from \(file)
            # TYPE h histogram
            h_bucket{le="0.5"} 1
            h_bucket{le="+Inf"} 3
            h_sum 2
            h_count 3
            # HELP job_runs_total Runs of the job.
            # TYPE job_runs_total counter
            job_runs_total{job="backup"} 3
            # HELP job_up Metric read from \(file)
            # TYPE job_up untyped
            job_up 1
            # HELP lat Metric read from \(file)
            # TYPE lat summary
            lat{quantile="0.5"} 1
            lat{quantile="0.9"} 2
            lat_sum 10
            lat_count 5
            # HELP no_type_metric Metric read from \(file)
            # TYPE no_type_metric untyped
            no_type_metric{a="b"} 2.5
            # HELP node_textfile_mtime_seconds Unixtime mtime of textfiles successfully read.
            # TYPE node_textfile_mtime_seconds gauge
            node_textfile_mtime_seconds{file="\(file)"} 1700000000
            # HELP node_textfile_scrape_error 1 if there was an error opening or reading a file, 0 otherwise
            # TYPE node_textfile_scrape_error gauge
            node_textfile_scrape_error 0

            """
        #expect(
            snapshot.exposition(of: [
                "h", "job_runs", "job_up", "lat", "no_type_metric", "node_textfile_mtime_seconds",
                "node_textfile_scrape_error",
            ]) == expected)
        #expect(snapshot.family(sample: "tally_textfile_errors_total") == nil)
    }

    @Test func exposesOnlyANoErrorFlagWithoutADirectory() throws {
        let registry = try makeRegistry(collectors: ["textfile"], options: textfileOptions([]))
        let snapshot = registry.collect()
        #expect(snapshot.value("node_textfile_scrape_error") == 0)
        #expect(snapshot.family(named: "node_textfile_mtime_seconds") == nil)
        #expect(snapshot.success("textfile") == 1)
    }

    @Test func leavesOutAFileOlderThanTheMaximumAgeButKeepsItsMtime() throws {
        let directory = try TemporaryDirectory()
        try directory.write("fresh.prom", "fresh_metric 1\n", mtime: 1_700_000_000)
        try directory.write("dead_cron.prom", "dead_cron_metric 1\n", mtime: 1_699_990_000)
        let registry = try makeRegistry(
            collectors: ["textfile"],
            options: textfileOptions([directory.path], maxAge: .seconds(3600), now: 1_700_000_100))
        let snapshot = registry.collect()
        #expect(snapshot.value("fresh_metric") == 1)
        #expect(snapshot.family(named: "dead_cron_metric") == nil)
        #expect(snapshot.textfileErrors == ["dead_cron.prom": ["stale": 1]])
        #expect(snapshot.value("node_textfile_scrape_error") == 1)
        #expect(
            snapshot.value("node_textfile_mtime_seconds", ["file": directory.path + "/dead_cron.prom"]) == 1_699_990_000
        )

        // The cron job runs again: the file is served.
        try directory.setMtime("dead_cron.prom", 1_700_000_050)
        let after = registry.collect()
        #expect(after.value("dead_cron_metric") == 1)
        #expect(after.value("node_textfile_scrape_error") == 0)
    }

    @Test func leavesOutAFileLargerThanTheSizeLimit() throws {
        let directory = try TemporaryDirectory()
        try directory.write("small.prom", "small 1\n")
        let big = (0..<10).map { "big{n=\"\($0)\"} \($0)\n" }.joined()
        try directory.write("big.prom", big)
        let registry = try makeRegistry(
            collectors: ["textfile"], options: textfileOptions([directory.path], maxSize: big.utf8.count - 1))
        let snapshot = registry.collect()
        #expect(snapshot.value("small") == 1)
        #expect(snapshot.family(named: "big") == nil)
        #expect(snapshot.textfileErrors == ["big.prom": ["too_large": 1]])
        #expect(snapshot.labelValues("node_textfile_mtime_seconds", "file") == [directory.path + "/small.prom"])
    }

    @Test func servesAHalfWrittenFileOnlyOnceItIsComplete() throws {
        let directory = try TemporaryDirectory()
        try directory.write("job.prom", "job_items{part=\"1\"} 1\njob_items{part=\"2\"} 2")
        let registry = try makeRegistry(collectors: ["textfile"], options: textfileOptions([directory.path]))
        let partial = registry.collect()
        #expect(partial.family(named: "job_items") == nil)
        #expect(partial.textfileErrors == ["job.prom": ["parse_error": 1]])

        try directory.write("job.prom", "job_items{part=\"1\"} 1\njob_items{part=\"2\"} 2\n")
        let complete = registry.collect()
        #expect(complete.family(named: "job_items")?.values == [1, 2])
        #expect(complete.value("node_textfile_scrape_error") == 0)
    }

    @Test func readsAFileAgainOnlyWhenItsSizeOrMtimeChanged() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("job.prom", "job_value 1\n", mtime: 1_700_000_000)
        let registry = try makeRegistry(collectors: ["textfile"], options: textfileOptions([directory.path]))
        #expect(registry.collect().value("job_value") == 1)

        // Rewritten in place with the same size and mtime: the parsed file is reused.
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.write(contentsOf: Data("job_value 2\n".utf8))
        try handle.close()
        try directory.setMtime("job.prom", 1_700_000_000)
        #expect(registry.collect().value("job_value") == 1)

        try directory.setMtime("job.prom", 1_700_000_001)
        #expect(registry.collect().value("job_value") == 2)
    }

    @Test func leavesOutTheLaterOfTwoFilesWithTheSameSeries() throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.prom", "# TYPE queue_length gauge\nqueue_length{queue=\"in\"} 5\n")
        try directory.write(
            "b.prom", "# TYPE queue_length gauge\nqueue_length{queue=\"out\"} 1\nqueue_length{queue=\"in\"} 9\n")
        try directory.write("c.prom", "# TYPE queue_length counter\nqueue_length 3\n")
        let registry = try makeRegistry(collectors: ["textfile"], options: textfileOptions([directory.path]))
        let snapshot = registry.collect()
        #expect(snapshot.family(named: "queue_length")?.labelSets == [LabelSet(["queue": "in"])])
        #expect(snapshot.value("queue_length", ["queue": "in"]) == 5)
        #expect(snapshot.textfileErrors == ["b.prom": ["duplicate_series": 1], "c.prom": ["conflicting_metadata": 1]])
    }

    @Test func readsSeveralDirectoriesInTheOrderGiven() throws {
        let first = try TemporaryDirectory()
        let second = try TemporaryDirectory()
        try first.write("z.prom", "# HELP owned_by Who.\nowned_by 1\n")
        try second.write("a.prom", "# HELP owned_by Who.\nowned_by{dir=\"second\"} 2\n")
        let registry = try makeRegistry(
            collectors: ["textfile"], options: textfileOptions([first.path + "/", second.path]))
        let snapshot = registry.collect()
        #expect(snapshot.family(named: "owned_by")?.values == [1, 2])
        #expect(
            snapshot.labelValues("node_textfile_mtime_seconds", "file").sorted()
                == [first.path + "/z.prom", second.path + "/a.prom"].sorted())
    }

    @Test func reportsADirectoryThatCannotBeRead() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.path + "/missing"
        let registry = try makeRegistry(collectors: ["textfile"], options: textfileOptions([missing]))
        let snapshot = registry.collect()
        #expect(snapshot.value("node_textfile_scrape_error") == 1)
        #expect(snapshot.value("tally_textfile_errors_total", ["file": missing, "reason": "read_error"]) == 1)
    }

    @Test func holdsTheNamesOfServedFamiliesOnlyWhileAFileServesThem() throws {
        let directory = try TemporaryDirectory()
        try directory.write("job.prom", "job_queue 4\n")
        let registry = try makeRegistry(collectors: ["textfile"], options: textfileOptions([directory.path]))
        _ = registry.collect()
        #expect(throws: MetricsError.self) { _ = try registry.makeGauge(name: "job_queue", help: "") }

        try FileManager.default.removeItem(atPath: directory.path + "/job.prom")
        _ = registry.collect()
        _ = try registry.makeGauge(name: "job_queue", help: "")
        // Now the name is taken by another family, so the file cannot serve it.
        try directory.write("job.prom", "job_queue 4\n")
        #expect(registry.collect().textfileErrors == ["job.prom": ["name_conflict": 1]])
    }

    @Test(
        arguments: [
            ("directory", "--collector.textfile.directory"), ("max-age", "--collector.textfile.max-age"),
            ("max-size", "--collector.textfile.max-size"), ("huge max-size", "--collector.textfile.max-size"),
        ])
    func refusesInvalidOptionsNamingTheFlag(change: String, flag: String) {
        var options = HostCollectorOptions()
        switch change {
        case "directory": options.textfileDirectories = ["/tmp", ""]
        case "max-age": options.textfileMaxAge = .zero
        case "max-size": options.textfileMaxSize = 0
        default: options.textfileMaxSize = HostCollectorOptions.maximumTextfileMaxSize + 1
        }
        do {
            try options.validate()
            Issue.record("\(change): no error")
        } catch {
            guard case .invalidOption(let named, _) = error else {
                Issue.record("\(change): \(error)")
                return
            }
            #expect(named == flag)
        }
    }
}
