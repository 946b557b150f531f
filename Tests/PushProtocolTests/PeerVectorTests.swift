import Foundation
import PushProtocol
import Testing

/// Where the statsd_exporter vectors are on this machine.
enum PeerVectorFile {
    static let path = referenceDirectory + "/peer-vectors/statsd_exporter_lines.json"
    static let isAvailable = FileManager.default.fileExists(atPath: path)

    static var referenceDirectory: String {
        if let directory = ProcessInfo.processInfo.environment["TALLY_REFERENCE_DIR"] { return directory }
        let repository = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repository.deletingLastPathComponent().appendingPathComponent("shared/reference").path
    }
}

/// Whether the tests run on CI (`CI` is set, as CI services set it), where a missing reference directory is a
/// failure rather than a reason to skip.
let isCI = ProcessInfo.processInfo.environment["CI"] != nil

extension Trait where Self == ConditionTrait {
    /// Runs tests that read ``PeerVectorFile`` where it exists, and skips them with the reason elsewhere, except on
    /// CI: there they run, and fail on the missing file.
    static var needsPeerVectors: Self {
        .enabled(
            if: PeerVectorFile.isAvailable || isCI,
            "statsd_exporter's vectors are not at \(PeerVectorFile.path) (set TALLY_REFERENCE_DIR)")
    }
}

/// Replays statsd_exporter's line-parser table (machine-shared reference; see its README): for every case,
/// tally must produce `tally_events` where given, else `events`. The table lives in the reference directory
/// (`$TALLY_REFERENCE_DIR`, by default `../shared/reference` beside the repository), not in the repository, so
/// outside CI the suite is skipped where that directory does not exist.
@Suite(.needsPeerVectors)
struct PeerVectorTests {
    static let path = PeerVectorFile.path

    struct Event: Decodable, Equatable, CustomStringConvertible {
        var type: String
        var name: String
        var value: Double
        var relative: Bool
        var labels: [String: String]

        var description: String { "\(type) \(name) \(value) relative=\(relative) \(labels.sorted { $0.key < $1.key })" }
    }

    struct Vector: Decodable {
        var name: String
        var line: String
        var line_base64: String?
        var events: [Event]
        var tally_events: [Event]?
    }

    static func loadVectors() throws -> [Vector] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VectorFileMissing(path: path)
        }
        return try JSONDecoder().decode([Vector].self, from: data)
    }

    struct VectorFileMissing: Error, CustomStringConvertible {
        var path: String
        var description: String { "the shared peer vectors are missing: \(path)" }
    }

    /// statsd_exporter keeps dots in names; tally's names replace every byte outside `[a-zA-Z0-9_:]`.
    static func prometheusName(_ statsdName: String) -> String {
        String(statsdName.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") ? $0 : "_" })
    }

    /// What tally makes of `bytes` (a datagram of one or more lines), as statsd_exporter-style events.
    static func events(for bytes: [UInt8]) -> [Event] {
        var lines: [[UInt8]] = []
        bytes.withUnsafeBytes { buffer in
            PushLineSplitter.forEachLine(inDatagram: buffer) { output in
                if case .line(let line) = output { lines.append(Array(line)) }
            }
        }
        var result: [Event] = []
        for line in lines {
            guard case .success(let (parsed, key)) = series(bytes: line) else { continue }
            let type =
                switch parsed.type {
                case .counter: "counter"
                case .gauge: "gauge"
                case .timer, .histogram, .distribution: "observer"
                }
            let labels = Dictionary(key.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
            let event = Event(
                type: type, name: key.name, value: parsed.recordedValue, relative: parsed.isRelative, labels: labels)
            result.append(contentsOf: repeatElement(event, count: parsed.repeatCount))
        }
        return result
    }

    @Test func vectorFileHoldsTheKeptCases() throws {
        let vectors = try Self.loadVectors()
        #expect(vectors.count == 47)
        #expect(vectors.filter { $0.tally_events != nil }.count == 13)
    }

    @Test func replaysEveryVector() throws {
        for vector in try Self.loadVectors() {
            let bytes: [UInt8]
            if let encoded = vector.line_base64 {
                bytes = try #require(Data(base64Encoded: encoded).map { Array($0) }, "\(vector.name)")
            } else {
                bytes = Array(vector.line.utf8)
            }
            var expected = vector.tally_events ?? vector.events
            for index in expected.indices { expected[index].name = Self.prometheusName(expected[index].name) }
            #expect(Self.events(for: bytes) == expected, "\(vector.name): \(vector.line)")
        }
    }
}
