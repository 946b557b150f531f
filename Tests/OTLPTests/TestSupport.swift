import Foundation
import OTLP
import Testing

/// The vectors written by `Vectors/generate.py`, and its manifest.
enum Vectors {
    static let directory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("Vectors")

    struct Entry: Decodable, Sendable, CustomTestStringConvertible {
        var file: String
        var format: String
        var note: String
        /// What a valid vector decodes to, in the dump format of ``DumpingVisitor``.
        var dump: [String]?
        /// The reason a malformed vector is refused with (``OTLPDecodingError/Reason`` raw value).
        var error: String?

        var testDescription: String { file }
    }

    static let manifest: [Entry] = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode([Entry].self, from: data)
    }()

    static func bytes(_ file: String) -> [UInt8] {
        Array(try! Data(contentsOf: directory.appendingPathComponent(file)))
    }

    static func entries(format: String) -> [Entry] { manifest.filter { $0.format == format } }
}

/// Renders what the decoder hands over in the dump format `generate.py` writes: one line per metric and one per
/// data point.
struct DumpingVisitor: OTLPMetricsVisitor {
    var lines: [String] = []

    static func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }

    static func value(_ value: OTLPAnyValue) -> String {
        switch value {
        case .empty: "e"
        case .string(let bytes): "s:" + text(bytes)
        case .bool(let bool): "b:\(bool)"
        case .int(let int): "i:\(int)"
        case .double(let double): "d:\(double)"
        case .array(let values): "a:[" + values.map(Self.value).joined(separator: ",") + "]"
        case .keyValueList(let pairs): "m:" + attributes(pairs)
        case .bytes(let bytes): "x:" + bytes.map { String(format: "%02x", $0) }.joined()
        }
    }

    static func attributes(_ attributes: OTLPAttributes) -> String {
        "{" + attributes.map { text($0.key) + "=" + value($0.value) }.joined(separator: ",") + "}"
    }

    static func optional(_ value: Double?) -> String { value.map { "\($0)" } ?? "none" }

    static func kind(_ kind: OTLPMetricKind) -> String {
        switch kind {
        case .none: "none"
        case .gauge: "gauge"
        case .sum: "sum"
        case .histogram: "histogram"
        case .exponentialHistogram: "exponential_histogram"
        case .summary: "summary"
        }
    }

    static func head(_ attributes: OTLPAttributes, _ start: UInt64, _ time: UInt64) -> String {
        "\(Self.attributes(attributes)) start=\(start) time=\(time)"
    }

    mutating func visitMetric(_ context: OTLPMetricContext) {
        let (resource, scope, metric) = (context.resource, context.scope, context.metric)
        lines.append(
            "metric resource=\(Self.attributes(resource.attributes)) schema=\(Self.text(resource.schemaURL))"
                + " scope=\(Self.text(scope.name))@\(Self.text(scope.version))\(Self.attributes(scope.attributes))"
                + " name=\(Self.text(metric.name)) desc=\(Self.text(metric.description)) unit=\(Self.text(metric.unit))"
                + " kind=\(Self.kind(metric.kind)) temporality=\(metric.aggregationTemporality.rawValue)"
                + " monotonic=\(metric.isMonotonic) points=\(metric.dataPointCount)"
                + " metadata=\(Self.attributes(metric.metadata))")
    }

    mutating func visitNumberDataPoint(_ point: OTLPNumberDataPoint, _ context: OTLPMetricContext) {
        let value =
            switch point.value {
            case .double(let double): "d:\(double)"
            case .int(let int): "i:\(int)"
            case nil: "none"
            }
        lines.append(
            "  number \(Self.head(point.attributes, point.startTimeUnixNano, point.timeUnixNano)) value=\(value)"
                + " flags=\(point.flags.rawValue)")
    }

    mutating func visitHistogramDataPoint(_ point: OTLPHistogramDataPoint, _ context: OTLPMetricContext) {
        let buckets = point.bucketCounts.map { "\($0)" }.joined(separator: ",")
        let bounds = point.explicitBounds.map { "\($0)" }.joined(separator: ",")
        lines.append(
            "  histogram \(Self.head(point.attributes, point.startTimeUnixNano, point.timeUnixNano))"
                + " count=\(point.count) sum=\(Self.optional(point.sum)) buckets=[\(buckets)] bounds=[\(bounds)]"
                + " min=\(Self.optional(point.min)) max=\(Self.optional(point.max)) flags=\(point.flags.rawValue)")
    }

    mutating func visitExponentialHistogramDataPoint(
        _ point: OTLPExponentialHistogramDataPoint, _ context: OTLPMetricContext
    ) {
        func buckets(_ buckets: OTLPExponentialBuckets) -> String {
            "\(buckets.offset):[" + buckets.bucketCounts.map { "\($0)" }.joined(separator: ",") + "]"
        }
        lines.append(
            "  exponential \(Self.head(point.attributes, point.startTimeUnixNano, point.timeUnixNano))"
                + " count=\(point.count) sum=\(Self.optional(point.sum)) scale=\(point.scale) zero=\(point.zeroCount)"
                + " threshold=\(point.zeroThreshold) positive=\(buckets(point.positive))"
                + " negative=\(buckets(point.negative)) min=\(Self.optional(point.min))"
                + " max=\(Self.optional(point.max)) flags=\(point.flags.rawValue)")
    }

    mutating func visitSummaryDataPoint(_ point: OTLPSummaryDataPoint, _ context: OTLPMetricContext) {
        let quantiles = point.quantileValues.map { "\($0.quantile):\($0.value)" }.joined(separator: ",")
        lines.append(
            "  summary \(Self.head(point.attributes, point.startTimeUnixNano, point.timeUnixNano))"
                + " count=\(point.count) sum=\(point.sum) quantiles=[\(quantiles)] flags=\(point.flags.rawValue)")
    }
}

/// Decodes a protobuf body into its dump.
func protobufDump(
    _ bytes: [UInt8], decoder: OTLPMetricsDecoder = OTLPMetricsDecoder()
) throws(OTLPDecodingError)
    -> [String]
{
    var visitor = DumpingVisitor()
    try decoder.decode(bytes, into: &visitor)
    return visitor.lines
}

/// A small seeded generator (SplitMix64), so that random tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
