import Benchmark
import Exposition
import MetricsCore

/// A scrape-sized snapshot: 10 families of 1,000 series with two labels each (counters and gauges, integral and
/// fractional values) and one histogram family of 100 series with client_golang's 11 default buckets.
func makeSnapshot() -> MetricsSnapshot {
    var families: [MetricFamilySnapshot] = []
    for family in 0..<10 {
        let labelSets = (0..<1000).map { series in
            LabelSet(["device": "dev\(series / 2)", "mode": series.isMultiple(of: 2) ? "read" : "write"])
        }.sorted()
        // Half integral (packet counts), half fractional (seconds, 1234.56-like).
        let values = (0..<1000).map { series in
            series.isMultiple(of: 2) ? Double(series * 1_048_576 + family) : Double(series) * 1234.56 + 0.25
        }
        guard
            let descriptor = try? MetricDescriptor(
                name: "bench_family_\(family)", type: family.isMultiple(of: 2) ? .counter : .gauge,
                help: "Benchmark family \(family).")
        else { fatalError("invalid benchmark metric name") }
        families.append(MetricFamilySnapshot(descriptor: descriptor, labelSets: labelSets, values: values))
    }
    let bounds = HistogramBuckets.prometheusDefault
    var table = SeriesTable<HistogramAccumulator>(initialValue: HistogramAccumulator(bucketCount: bounds.count))
    for series in 0..<100 {
        let slot = table.slot(for: LabelSet(["route": "/api/v\(series)", "method": "GET"]))
        for observation in 0..<20 { table[slot].record(Double(observation * series) / 400, upperBounds: bounds) }
    }
    guard
        let histogram = try? MetricDescriptor(
            name: "bench_request_duration_seconds", type: .histogram, help: "Benchmark histogram.", unit: "seconds")
    else { fatalError("invalid benchmark metric name") }
    families.append(table.snapshot(histogram, upperBounds: bounds))
    return MetricsSnapshot(families: families)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 5,
        maxDuration: .seconds(3),
        maxIterations: 2000
    )

    let snapshot = makeSnapshot()

    // The framework's own allocations per measured iteration, to subtract from the counts below.
    Benchmark("Baseline: an empty measured iteration") { benchmark in
        var buffer: [UInt8] = [0]
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer[0] &+= 1
            blackHole(buffer.count)
        }
        benchmark.stopMeasurement()
    }

    for format in ExpositionFormat.allCases {
        let name = format == .prometheusText004 ? "text 0.0.4" : "OpenMetrics"
        // The buffer is kept between encodes, as a server keeps it between scrapes; the first encode, outside the
        // measurement, sizes it.
        Benchmark("Encode \(snapshot.seriesCount) series, \(name), reused buffer") { benchmark in
            let encoder = ExpositionEncoder(format: format)
            var buffer: [UInt8] = []
            encoder.encode(snapshot, into: &buffer)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                buffer.removeAll(keepingCapacity: true)
                encoder.encode(snapshot, into: &buffer)
                blackHole(buffer.count)
            }
            benchmark.stopMeasurement()
        }
    }

    Benchmark("Encode \(snapshot.seriesCount) series, text 0.0.4, fresh buffer") { benchmark in
        let encoder = ExpositionEncoder(format: .prometheusText004)
        for _ in benchmark.scaledIterations {
            var buffer: [UInt8] = []
            encoder.encode(snapshot, into: &buffer)
            blackHole(buffer.count)
        }
    }

    Benchmark("Gzip the text 0.0.4 exposition (level 1), reused output") { benchmark in
        var body: [UInt8] = []
        ExpositionEncoder(format: .prometheusText004).encode(snapshot, into: &body)
        guard let compressor = try? GzipCompressor() else { fatalError("zlib could not be initialized") }
        var compressed: [UInt8] = []
        try? compressor.compress(body, into: &compressed)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            compressed.removeAll(keepingCapacity: true)
            try? compressor.compress(body, into: &compressed)
            blackHole(compressed.count)
        }
        benchmark.stopMeasurement()
    }

    Benchmark(
        "Negotiate Prometheus 3's Accept header",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        let accept =
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
            + "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
            + "text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
        for _ in benchmark.scaledIterations {
            blackHole(ExpositionFormat.negotiate(accept: accept))
        }
    }
}
