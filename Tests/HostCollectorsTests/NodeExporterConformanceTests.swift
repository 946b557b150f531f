import Exposition
import Foundation
import HostCollectors
import MetricsCore
import ProcFS
import Testing

/// node_exporter's own fixture /proc and the samples its end-to-end test expects from it: collectors cpu, meminfo,
/// loadavg, diskstats and stat must reproduce every one of them (name, labels, type, value within 1e-9 relative).
///
/// The reference directory is `$TALLY_REFERENCE_DIR`, by default `shared/reference` beside the repository; it is
/// not part of the repository, so outside CI the test is skipped where it does not exist
/// (``Testing/Trait/needsPeerReference``).
enum PeerReference {
    static let directory: String = {
        if let configured = ProcessInfo.processInfo.environment["TALLY_REFERENCE_DIR"] { return configured }
        return URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/reference").path
    }()
    static let nodeExporter = directory + "/peer-fixtures/node_exporter"
    static let isAvailable = FileManager.default.fileExists(atPath: nodeExporter + "/expected.prom")
}

/// One sample of a text-format exposition, with the type its family was announced with.
struct ExposedSample: Hashable {
    let name: String
    let labels: [String: String]
    let value: Double
    let type: String
}

/// Parses the Prometheus text format as far as these expositions use it: `# TYPE` lines and samples with
/// optional labels (values with `\\`, `\"` and `\n` escapes).
func parseTextExposition(_ text: String) throws -> [ExposedSample] {
    var types: [String: String] = [:]
    var samples: [ExposedSample] = []
    for line in text.split(separator: "\n") {
        if line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            types[String(parts[2])] = String(parts[3])
            continue
        }
        if line.hasPrefix("#") { continue }
        var rest = Substring(line)
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let equals = try #require(rest.firstIndex(of: "="))
                let key = String(rest[..<equals])
                rest = rest[rest.index(equals, offsetBy: 2)...]
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                rest = rest.dropFirst()
                if rest.first == "," { rest = rest.dropFirst() }
                labels[key] = value
            }
            rest = rest.dropFirst()
        }
        let value = try #require(Double(rest.trimmingCharacters(in: .whitespaces)), "value of \(line)")
        samples.append(ExposedSample(name: name, labels: labels, value: value, type: types[name] ?? "untyped"))
    }
    return samples
}

@Suite struct NodeExporterConformanceTests {
    @Test(.needsPeerReference)
    func reproducesEverySampleOfNodeExporter() throws {
        let expected = try parseTextExposition(
            String(contentsOfFile: PeerReference.nodeExporter + "/expected.prom", encoding: .utf8))
        #expect(expected.count == 306)

        let emptySysFS = NSTemporaryDirectory() + "tally-empty-sysfs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: emptySysFS, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: emptySysFS) }
        let options = HostCollectorOptions(
            procFS: ProcFS(root: PeerReference.nodeExporter + "/proc"), sysFS: SysFS(root: emptySysFS),
            udevDatabase: UdevDatabase(root: emptySysFS + "/udev"))
        let registry = try makeRegistry(
            collectors: ["cpu", "meminfo", "loadavg", "diskstats", "stat"], options: options)
        let snapshot = registry.collect()
        #expect(snapshot.producerResults.allSatisfy { $0.succeeded })
        var buffer: [UInt8] = []
        ExpositionEncoder(format: .prometheusText004).encode(snapshot, into: &buffer)
        let actual = try parseTextExposition(String(decoding: buffer, as: UTF8.self))

        var byKey: [String: ExposedSample] = [:]
        for sample in actual { byKey[Self.key(sample)] = sample }
        var matched = 0
        for sample in expected {
            guard let ours = byKey[Self.key(sample)] else {
                Issue.record("missing \(sample.name)\(sample.labels)")
                continue
            }
            let tolerance = 1e-9 * max(abs(sample.value), abs(ours.value))
            guard abs(ours.value - sample.value) <= tolerance, ours.type == sample.type else {
                Issue.record(
                    "\(sample.name)\(sample.labels): \(ours.value) \(ours.type), expected \(sample.value) \(sample.type)"
                )
                continue
            }
            matched += 1
        }
        #expect(matched == 306)
    }

    static func key(_ sample: ExposedSample) -> String {
        sample.name + "{"
            + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            + "}"
    }
}
