import Exposition
import Foundation
import MetricsCore
import Testing

@Suite("Encoder")
struct ExpositionEncoderTests {
    private static func encode(_ snapshot: MetricsSnapshot, _ format: ExpositionFormat) -> String {
        var buffer: [UInt8] = []
        ExpositionEncoder(format: format).encode(snapshot, into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test("an empty snapshot is empty in text 0.0.4 and just # EOF in OpenMetrics")
    func emptySnapshot() throws {
        let empty = MetricsSnapshot(families: [
            MetricFamilySnapshot(
                descriptor: try MetricDescriptor(name: "gone", type: .gauge, help: "h"), labelSets: [], values: [])
        ])
        #expect(Self.encode(empty, .prometheusText004) == "")
        #expect(Self.encode(empty, .openMetrics100) == "# EOF\n")
    }

    @Test("a counter is announced under its sample name in text 0.0.4 and its family name in OpenMetrics")
    func counter() throws {
        let snapshot = MetricsSnapshot(families: [
            MetricFamilySnapshot(
                descriptor: try MetricDescriptor(
                    name: "io_time_seconds", type: .counter, help: "Time spent.", unit: "seconds"),
                labelSets: [LabelSet(["device": "sda"])], values: [12.5])
        ])
        #expect(
            Self.encode(snapshot, .prometheusText004) == """
                # HELP io_time_seconds_total Time spent.
                # TYPE io_time_seconds_total counter
                io_time_seconds_total{device="sda"} 12.5

                """)
        #expect(
            Self.encode(snapshot, .openMetrics100) == """
                # TYPE io_time_seconds counter
                # UNIT io_time_seconds seconds
                # HELP io_time_seconds Time spent.
                io_time_seconds_total{device="sda"} 12.5
                # EOF

                """)
    }

    @Test("an untyped family is untyped in text 0.0.4 and unknown in OpenMetrics, its samples unchanged")
    func untyped() throws {
        let snapshot = MetricsSnapshot(families: [
            MetricFamilySnapshot(
                descriptor: try MetricDescriptor(
                    name: "node_netstat_Tcp_MaxConn", type: .untyped, help: "Statistic TcpMaxConn."),
                labelSets: [.empty], values: [-1])
        ])
        #expect(
            Self.encode(snapshot, .prometheusText004) == """
                # HELP node_netstat_Tcp_MaxConn Statistic TcpMaxConn.
                # TYPE node_netstat_Tcp_MaxConn untyped
                node_netstat_Tcp_MaxConn -1

                """)
        #expect(
            Self.encode(snapshot, .openMetrics100) == """
                # TYPE node_netstat_Tcp_MaxConn unknown
                # HELP node_netstat_Tcp_MaxConn Statistic TcpMaxConn.
                node_netstat_Tcp_MaxConn -1
                # EOF

                """)
    }

    @Test("OpenMetrics leaves out a histogram's _sum and _count where the specification forbids a sum")
    func histogramWithoutSum() throws {
        let negativeSum = try Fixtures.histogram(
            name: "offset", unit: "", help: "", bounds: [0, 1],
            observations: [LabelSet(["a": "negative"]): [-5], LabelSet(["a": "positive"]): [0.5]])
        let snapshot = MetricsSnapshot(families: [negativeSum])
        #expect(
            Self.encode(snapshot, .openMetrics100) == """
                # TYPE offset histogram
                offset_bucket{a="negative",le="0.0"} 1
                offset_bucket{a="negative",le="1.0"} 1
                offset_bucket{a="negative",le="+Inf"} 1
                offset_bucket{a="positive",le="0.0"} 0
                offset_bucket{a="positive",le="1.0"} 1
                offset_bucket{a="positive",le="+Inf"} 1
                offset_sum{a="positive"} 0.5
                offset_count{a="positive"} 1
                # EOF

                """)
        #expect(Self.encode(snapshot, .prometheusText004).contains("offset_sum{a=\"negative\"} -5\n"))
    }

    @Test("a histogram without finite bounds has only the +Inf bucket")
    func histogramWithoutBounds() throws {
        let snapshot = MetricsSnapshot(families: [
            try Fixtures.histogram(name: "h", unit: "", help: "", bounds: [], observations: [.empty: [1, 2]])
        ])
        #expect(
            Self.encode(snapshot, .prometheusText004) == """
                # TYPE h histogram
                h_bucket{le="+Inf"} 2
                h_sum 3
                h_count 2

                """)
    }

    @Test("encoding appends, and a reused buffer keeps its capacity")
    func reusedBuffer() throws {
        let snapshot = try Fixtures.manySeries(familyCount: 3, seriesPerFamily: 500)
        let encoder = ExpositionEncoder(format: .openMetrics100)
        var buffer = Array("HTTP/1.1 200 OK\r\n\r\n".utf8)
        encoder.encode(snapshot, into: &buffer)
        let first = buffer
        #expect(first.starts(with: Array("HTTP/1.1 200 OK\r\n\r\n".utf8)))
        #expect(first.count - 19 == Self.encode(snapshot, .openMetrics100).utf8.count)

        let capacity = buffer.capacity
        for _ in 0..<3 {
            buffer.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: "HTTP/1.1 200 OK\r\n\r\n".utf8)
            encoder.encode(snapshot, into: &buffer)
            #expect(buffer == first)
            #expect(buffer.capacity == capacity, "no growth once the buffer has held an exposition")
        }
    }

    @Test("series far longer than the size estimate assumes still come out whole", arguments: ExpositionFormat.allCases)
    func growthBeyondEstimate(format: ExpositionFormat) throws {
        // The estimate looks at the first and last series only; the long ones in between need the buffer to grow.
        let long = String(repeating: "x", count: 5000)
        let labelSets =
            [LabelSet(["k": "a"])] + (0..<50).map { LabelSet(["k": "b\($0)" + long]) } + [LabelSet(["k": "c"])]
        let values = labelSets.indices.map { Double($0) + 0.5 }
        let gauges = MetricFamilySnapshot(
            descriptor: try MetricDescriptor(name: "g", type: .gauge, help: ""), labelSets: labelSets, values: values)
        let histogram = try Fixtures.histogram(
            name: "h", unit: "", help: "", bounds: [1, 2],
            observations: Dictionary(uniqueKeysWithValues: labelSets.map { ($0, [1.5]) }))
        let encoded = Self.encode(MetricsSnapshot(families: [gauges, histogram]), format)

        var expected = "# TYPE g gauge\n"
        for (labels, value) in zip(labelSets, values) {
            expected += "g{\(String(decoding: labels.encoded, as: UTF8.self))} \(value)\n"
        }
        expected += "# TYPE h histogram\n"
        let bounds = format == .openMetrics100 ? ["1.0", "2.0", "+Inf"] : ["1", "2", "+Inf"]
        for labels in labelSets.sorted() {
            let text = String(decoding: labels.encoded, as: UTF8.self)
            for (bound, count) in zip(bounds, [0, 1, 1]) {
                expected += "h_bucket{\(text),le=\"\(bound)\"} \(count)\n"
            }
            expected += "h_sum{\(text)} 1.5\nh_count{\(text)} 1\n"
        }
        if format == .openMetrics100 { expected += "# EOF\n" }
        #expect(encoded == expected)
    }

    @Test("the first encode into an empty buffer reserves enough at once", arguments: [1, 10, 1000])
    func reservation(seriesPerFamily: Int) throws {
        let snapshot = try Fixtures.manySeries(familyCount: 10, seriesPerFamily: seriesPerFamily)
        for format in ExpositionFormat.allCases {
            var buffer: [UInt8] = []
            ExpositionEncoder(format: format).encode(snapshot, into: &buffer)
            let reserved = buffer.capacity
            #expect(reserved >= buffer.count)
            #expect(reserved < 4 * buffer.count + 1024, "the estimate is generous, not wasteful")
        }
    }
}

@Suite("Golden expositions")
struct GoldenTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func path(_ format: ExpositionFormat) -> String {
        directory.appendingPathComponent(
            format == .prometheusText004 ? "every-kind.prom" : "every-kind.openmetrics"
        ).path
    }

    @Test(
        "every instrument kind, byte for byte (UPDATE_GOLDEN=1 rewrites the files)",
        arguments: ExpositionFormat.allCases)
    func everyKind(format: ExpositionFormat) throws {
        var buffer: [UInt8] = []
        ExpositionEncoder(format: format).encode(try Fixtures.everyKind(), into: &buffer)
        let path = Self.path(format)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try Data(buffer).write(to: URL(fileURLWithPath: path))
        }
        let expected = try #require(FileManager.default.contents(atPath: path), "missing \(path)")
        #expect(String(decoding: buffer, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }
}
