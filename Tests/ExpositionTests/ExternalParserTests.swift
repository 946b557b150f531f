import Exposition
import Foundation
import MetricsCore
import Testing

/// Checks the golden files with the parsers Prometheus users run: `promtool check metrics` (client_golang's text
/// parser and promlint), Prometheus' own OpenMetrics parser (through promtool's backfill), and prometheus_client's
/// strict OpenMetrics parser and its text parser. The tools come from `make test-deps`; without them the tests are
/// skipped, except on CI, where they must be there.
@Suite("Golden files in real parsers")
struct ExternalParserTests {
    static let isCI = ProcessInfo.processInfo.environment["CI"] != nil
    static let hasPromtool = (try? run(["promtool", "--version"]))?.status == 0
    static let hasPrometheusClient = (try? run(["python3", "-c", "import prometheus_client"]))?.status == 0

    struct Outcome {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs a program found on PATH with `input` on its standard input.
    static func run(_ arguments: [String], input: Data = Data()) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let standardInput = Pipe()
        let standardOutput = Pipe()
        let standardError = Pipe()
        process.standardInput = standardInput
        process.standardOutput = standardOutput
        process.standardError = standardError
        try process.run()
        try standardInput.fileHandleForWriting.write(contentsOf: input)
        try standardInput.fileHandleForWriting.close()
        // Read both pipes before waiting so that a full pipe cannot block the child.
        let errorData = standardError.fileHandleForReading.readDataToEndOfFile()
        let outputData = standardOutput.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self))
    }

    @Test(
        "promtool parses the text golden file; its only lint finding is the family left without help on purpose",
        .enabled(if: hasPromtool || isCI, "promtool is not installed (make test-deps)"))
    func promtool() throws {
        let golden = try #require(FileManager.default.contents(atPath: GoldenTests.path(.prometheusText004)))
        let outcome = try Self.run(["promtool", "check", "metrics"], input: golden)
        // promtool exits 1 on a parse error and 3 when only lint problems were found.
        #expect(outcome.status == 3)
        #expect(outcome.standardError == "process_resident_memory_bytes no help text\n")
        #expect(outcome.standardOutput == "")
    }

    @Test(
        "Prometheus' own OpenMetrics parser (promtool's backfill, the parser a 2.42 scrape uses) takes every sample",
        .enabled(if: hasPromtool || isCI, "promtool is not installed (make test-deps)"))
    func prometheusOpenMetricsParser() throws {
        let golden = try #require(FileManager.default.contents(atPath: GoldenTests.path(.openMetrics100)))
        // Backfilling needs a timestamp on every sample; metadata and # EOF stay as they are.
        let timestamped =
            String(decoding: golden, as: UTF8.self).split(separator: "\n").map { line in
                line.hasPrefix("#") ? String(line) : line + " 1700000000"
            }.joined(separator: "\n") + "\n"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("every-kind.openmetrics")
        try Data(timestamped.utf8).write(to: input)
        let outcome = try Self.run([
            "promtool", "tsdb", "create-blocks-from", "openmetrics", input.path,
            directory.appendingPathComponent("blocks").path,
        ])
        try #require(outcome.status == 0, "promtool rejected the exposition: \(outcome.standardError)")
        // The block table's columns: ULID, min time, max time, duration, samples, chunks, series, size.
        let blockRow = try #require(outcome.standardOutput.split(separator: "\n").last)
        let columns = blockRow.split(separator: " ")
        let expectedSamples = Self.expectedFamilies(try Fixtures.everyKind(), .openMetrics100).reduce(0) {
            $0 + $1.samples.count
        }
        #expect(columns.count == 8)
        #expect(columns.dropFirst(4).first.flatMap { Int($0) } == expectedSamples)
    }

    /// A sample as a parser saw it.
    struct ParsedSample: Decodable, Equatable, CustomStringConvertible {
        var name: String
        var labels: [String: String]
        /// Python's `repr` of the value (`2`, `1234.56`, `nan`, `inf`).
        var value: String

        static func == (lhs: Self, rhs: Self) -> Bool {
            guard lhs.name == rhs.name, lhs.labels == rhs.labels,
                let left = Double(lhs.value), let right = Double(rhs.value)
            else { return false }
            return left == right || (left.isNaN && right.isNaN)
        }

        var description: String { "\(name)\(labels.sorted { $0.key < $1.key }) \(value)" }
    }

    /// A family as a parser saw it.
    struct ParsedFamily: Decodable, Equatable {
        var name: String
        var type: String
        var unit: String
        var help: String
        var samples: [ParsedSample]
    }

    /// Prints the families a prometheus_client parser reads from the file named by the first argument as JSON.
    static func parserScript(module: String) -> String {
        """
        import json, sys
        from \(module) import text_string_to_metric_families as parse
        families = list(parse(open(sys.argv[1], encoding="utf-8").read()))
        print(json.dumps([{"name": f.name, "type": f.type, "unit": f.unit, "help": f.documentation,
            "samples": [{"name": s.name, "labels": s.labels, "value": repr(s.value)} for s in f.samples]}
            for f in families]))
        """
    }

    /// What a parser should read from the encoding of `snapshot` in `format`.
    static func expectedFamilies(_ snapshot: MetricsSnapshot, _ format: ExpositionFormat) -> [ParsedFamily] {
        let isOpenMetrics = format == .openMetrics100
        return snapshot.families.map { family in
            let descriptor = family.descriptor
            var samples: [ParsedSample] = []
            func add(_ suffix: String, _ labels: LabelSet, _ value: Double, le: String? = nil, quantile: String? = nil)
            {
                var labelDictionary = Dictionary(uniqueKeysWithValues: labels.labels.map { ($0.name, $0.value) })
                labelDictionary["le"] = le
                labelDictionary["quantile"] = quantile
                samples.append(ParsedSample(name: descriptor.name + suffix, labels: labelDictionary, value: "\(value)"))
            }
            for (series, labels) in family.labelSets.enumerated() {
                let value = family.values[series]
                switch descriptor.type {
                case .counter:
                    if !isOpenMetrics || value >= 0 { add("_total", labels, value) }
                case .gauge, .untyped:
                    add("", labels, value)
                case .summary:
                    guard let columns = family.summary else { break }
                    for position in columns.quantileRange(ofSeries: series) {
                        var quantile: [UInt8] = []
                        format.appendBucketBound(columns.quantiles[position], to: &quantile)
                        add(
                            "", labels, columns.quantileValues[position],
                            quantile: String(decoding: quantile, as: UTF8.self))
                    }
                    if !isOpenMetrics || value >= 0 {
                        add("_sum", labels, value)
                        add("_count", labels, Double(columns.counts[series]))
                    }
                case .histogram:
                    guard let columns = family.histogram else { break }
                    for (bucket, count) in columns.cumulativeCounts(ofSeries: series).enumerated() {
                        var bound: [UInt8] = []
                        format.appendBucketBound(columns.upperBounds[bucket], to: &bound)
                        add("_bucket", labels, Double(count), le: String(decoding: bound, as: UTF8.self))
                    }
                    add("_bucket", labels, Double(columns.counts[series]), le: "+Inf")
                    if !isOpenMetrics || (columns.upperBounds.first ?? 0 >= 0 && value >= 0) {
                        add("_sum", labels, value)
                        add("_count", labels, Double(columns.counts[series]))
                    }
                }
            }
            return ParsedFamily(
                name: descriptor.name, type: descriptor.type == .untyped ? "unknown" : descriptor.type.rawValue,
                unit: isOpenMetrics ? descriptor.unit : "",
                help: descriptor.help, samples: samples)
        }
    }

    @Test(
        "prometheus_client's parsers read back every family, label and value",
        .enabled(if: hasPrometheusClient || isCI, "prometheus_client is not installed (make test-deps)"),
        arguments: [
            (ExpositionFormat.openMetrics100, "prometheus_client.openmetrics.parser"),
            (.prometheusText004, "prometheus_client.parser"),
        ])
    func prometheusClient(format: ExpositionFormat, module: String) throws {
        let outcome = try Self.run(["python3", "-c", Self.parserScript(module: module), GoldenTests.path(format)])
        try #require(outcome.status == 0, "\(module) rejected the golden file: \(outcome.standardError)")
        let parsed = try JSONDecoder().decode([ParsedFamily].self, from: Data(outcome.standardOutput.utf8))
        let expected = Self.expectedFamilies(try Fixtures.everyKind(), format)
        #expect(parsed.map(\.name) == expected.map(\.name))
        for (parsedFamily, expectedFamily) in zip(parsed, expected) {
            #expect(parsedFamily == expectedFamily)
        }
    }

    @Test(
        "the strict OpenMetrics parser rejects what the encoder must not write, so the checks above mean something",
        .enabled(if: hasPrometheusClient || isCI, "prometheus_client is not installed (make test-deps)"),
        arguments: [
            "# TYPE a counter\na_total NaN\n# EOF\n",
            "# TYPE a histogram\na_bucket{le=\"-1.0\"} 1\na_bucket{le=\"+Inf\"} 1\na_sum -1\na_count 1\n# EOF\n",
            "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\na_count 1\n# EOF\n",
            "# TYPE a histogram\na_bucket{le=\"1.0\"} 1\n# EOF\n",
            "# TYPE a gauge\na 1\n",
        ])
    func strictParserRejects(exposition: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tally-\(UUID().uuidString).om")
        try Data(exposition.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = Self.parserScript(module: "prometheus_client.openmetrics.parser")
        let outcome = try Self.run(["python3", "-c", script, file.path])
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains("ValueError"))
    }
}
