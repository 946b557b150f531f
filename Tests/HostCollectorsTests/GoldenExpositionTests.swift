import Exposition
import Foundation
import HostCollectors
import MetricsCore
import MonotonicTime
import Synchronization
import Testing

/// A clock that advances 1 ms per reading, so that every collector's duration is exactly 0.001 s.
final class SteppingClock: Sendable {
    private let nanoseconds = Atomic<Int64>(0)

    var clock: MonotonicClock {
        MonotonicClock { [self] in
            MonotonicInstant(nanoseconds: nanoseconds.add(1_000_000, ordering: .relaxed).newValue)
        }
    }
}

/// The whole /metrics of the fixture machine, byte for byte: every default collector and the process metrics over
/// `Tests/Fixtures`, with fixed filesystem statistics, page size and collector durations. `UPDATE_GOLDEN=1`
/// rewrites the golden files.
@Suite struct GoldenExpositionTests {
    static let goldenDirectory = Fixtures.directory + "/golden"

    static func exposition(_ format: ExpositionFormat) throws -> String {
        let registry = try makeRegistry(
            collectors: HostCollectorTable.entries.map(\.name), options: Fixtures.options(),
            clock: SteppingClock().clock, process: true)
        var buffer: [UInt8] = []
        ExpositionEncoder(format: format).encode(registry.collect(), into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test(arguments: [
        (ExpositionFormat.prometheusText004, "metrics.prom"), (.openMetrics100, "metrics.openmetrics"),
    ])
    func matchesTheGoldenFile(format: ExpositionFormat, file: String) throws {
        let actual = try Self.exposition(format)
        let path = Self.goldenDirectory + "/" + file
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        if actual != expected {
            Issue.record(
                "\(file) differs from the collected exposition (UPDATE_GOLDEN=1 rewrites it):\n\(lineDiff(expected: expected, actual: actual))"
            )
        }
    }

    @Test(.needsPromtool)
    func promtoolFindsOnlyNamesInheritedFromNodeExporter() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(promtoolPath, "promtool is not on PATH"))
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let exposition = try Self.exposition(.prometheusText004)
        input.fileHandleForWriting.write(Data(exposition.utf8))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        let findings = report.split(separator: "\n").map(String.init)
        #expect(!findings.isEmpty)
        let camelCase =
            /^node_(memory|netstat)_[A-Za-z0-9_]+ metric names should be written in 'snake_case' not 'camelCase'$/
        // node_exporter counts entropy in bits, which promtool would have in bytes.
        let bits = /^node_entropy_[a-z_]+_bits use base unit "bytes" instead of "bits"$/
        let others = findings.filter { $0.wholeMatch(of: camelCase) == nil && $0.wholeMatch(of: bits) == nil }
        #expect(others.isEmpty, "promtool: \(others.joined(separator: "\n"))")
    }
}

/// A unified-diff-like rendering of the first differing region of two texts, with three lines of context.
func lineDiff(expected: String, actual: String) -> String {
    let old = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let new = actual.split(separator: "\n", omittingEmptySubsequences: false)
    var prefix = 0
    while prefix < old.count && prefix < new.count && old[prefix] == new[prefix] { prefix += 1 }
    var suffix = 0
    while suffix < old.count - prefix && suffix < new.count - prefix
        && old[old.count - 1 - suffix] == new[new.count - 1 - suffix]
    {
        suffix += 1
    }
    let start = max(0, prefix - 3)
    var lines = ["@@ -\(start + 1) +\(start + 1) @@ (\(old.count) expected lines, \(new.count) collected)"]
    lines += old[start..<prefix].map { " " + $0 }
    let removed = old[prefix..<(old.count - suffix)]
    let added = new[prefix..<(new.count - suffix)]
    lines += removed.prefix(40).map { "-" + $0 }
    if removed.count > 40 { lines.append("-… \(removed.count - 40) more") }
    lines += added.prefix(40).map { "+" + $0 }
    if added.count > 40 { lines.append("+… \(added.count - 40) more") }
    lines += old[(old.count - suffix)..<min(old.count, old.count - suffix + 3)].map { " " + $0 }
    return lines.joined(separator: "\n")
}
