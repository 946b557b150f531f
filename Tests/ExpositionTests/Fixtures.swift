import MetricsCore

/// Snapshots the tests encode.
enum Fixtures {
    /// Help text with every character HELP escaping touches.
    static let escapingHelp = #"Events with "odd" values, a \ backslash,"# + "\nand a second line."

    /// A snapshot holding every instrument kind: counters with and without labels, gauges with and without a unit
    /// and help, an untyped value, histograms with labels and a unit, without labels, and with a negative bound;
    /// escaping-heavy help and label values; integral, fractional, huge, tiny, infinite and NaN values; an empty family.
    static func everyKind() throws -> MetricsSnapshot {
        let processed = MetricFamilySnapshot(
            descriptor: try MetricDescriptor(
                name: "crypto_data_processed", type: .counter, help: "Records processed by the pipelines."),
            labelSets: [
                LabelSet(["exchange": "binance", "pipeline": "trades"]),
                LabelSet(["exchange": "coinbase", "pipeline": "trades"]),
                LabelSet(["exchange": "kraken", "pipeline": "book"]),
            ],
            values: [1234.56, 1027, .infinity])
        let pushedLines = MetricFamilySnapshot(
            descriptor: try MetricDescriptor(
                name: "tally_push_lines", type: .counter, help: "Lines accepted on the push socket."),
            labelSets: [.empty], values: [98765])
        let oddEvents = MetricFamilySnapshot(
            descriptor: try MetricDescriptor(name: "tally_odd_events", type: .counter, help: escapingHelp),
            labelSets: [LabelSet(["kind": "nan"]), LabelSet(["kind": "negative"]), LabelSet(["kind": "normal"])],
            values: [.nan, -3, 7])
        let queueSize = MetricFamilySnapshot(
            descriptor: try MetricDescriptor(
                name: "crypto_processing_queue_size", type: .gauge, help: "Items waiting in each queue."),
            labelSets: [
                LabelSet(["queue": #"C:\spool\in"#]),
                LabelSet(["queue": "huge"]),
                LabelSet(["queue": "line\nbreak"]),
                LabelSet(["queue": #"quoted "q""#]),
                LabelSet(["queue": "tiny"]),
                LabelSet(["queue": "ünïcödé"]),
            ],
            values: [42, 1.7976931348623157e+308, .nan, -.infinity, -0.0, 1e-05])
        let residentMemory = MetricFamilySnapshot(
            descriptor: try MetricDescriptor(
                name: "process_resident_memory_bytes", type: .gauge, help: "", unit: "bytes"),
            labelSets: [.empty], values: [8_511_488])
        let clockSkew = MetricFamilySnapshot(
            descriptor: try MetricDescriptor(
                name: "crypto_exchange_clock_skew", type: .untyped, help: "Reported clock skew, of unknown kind."),
            labelSets: [.empty], values: [-1])
        let empty = MetricFamilySnapshot(
            descriptor: try MetricDescriptor(name: "tally_empty", type: .gauge, help: "Never has a series."),
            labelSets: [], values: [])

        let duration = try histogram(
            name: "crypto_processing_duration_seconds", unit: "seconds", help: "Time to process one batch.",
            bounds: HistogramBuckets.prometheusDefault,
            observations: [
                LabelSet(["stage": "parse"]): [0.003, 0.004, 0.02, 0.07, 0.3, 0.3, 1.2],
                LabelSet(["stage": "write"]): [0.5, 2, 4.5, 12],
            ])
        let batchLines = try histogram(
            name: "tally_push_batch_lines", unit: "", help: "Lines per push batch.",
            bounds: [0, 1e-05, 0.25, 1, 100_000, 1e6],
            observations: [.empty: [0, 0.25, 3, 250_000, 5e6]])
        let temperature = try histogram(
            name: "tally_probe_temperature_celsius", unit: "celsius", help: "Probe temperatures.",
            bounds: [-10, 0, 10, 30],
            observations: [.empty: [-15, 5, 25]])

        return MetricsSnapshot(families: [
            processed, pushedLines, oddEvents, queueSize, residentMemory, clockSkew, empty, duration, batchLines,
            temperature,
        ])
    }

    /// A histogram family built the way the registry builds one.
    static func histogram(
        name: String, unit: String, help: String, bounds: [Double], observations: [LabelSet: [Double]]
    ) throws -> MetricFamilySnapshot {
        var table = SeriesTable<HistogramAccumulator>(initialValue: HistogramAccumulator(bucketCount: bounds.count))
        for (labels, values) in observations.sorted(by: { $0.key < $1.key }) {
            let slot = table.slot(for: labels)
            for value in values { table[slot].record(value, upperBounds: bounds) }
        }
        let descriptor = try MetricDescriptor(name: name, type: .histogram, help: help, unit: unit)
        return table.snapshot(descriptor, upperBounds: bounds)
    }

    /// `familyCount` families of `seriesPerFamily` series with two labels each: counters and gauges with integral
    /// and fractional values, like the benchmark's.
    static func manySeries(familyCount: Int, seriesPerFamily: Int) throws -> MetricsSnapshot {
        var families: [MetricFamilySnapshot] = []
        for family in 0..<familyCount {
            let labelSets = (0..<seriesPerFamily).map { series in
                LabelSet(["device": "sd\(series / 26)\(series % 26)", "mode": series.isMultiple(of: 2) ? "r" : "w"])
            }.sorted()
            let values = (0..<seriesPerFamily).map { series in
                series.isMultiple(of: 2) ? Double(series * 1000 + family) : Double(series) * 1234.56
            }
            let descriptor = try MetricDescriptor(
                name: "bench_family_\(family)", type: family.isMultiple(of: 2) ? .counter : .gauge,
                help: "Family \(family).")
            families.append(MetricFamilySnapshot(descriptor: descriptor, labelSets: labelSets, values: values))
        }
        return MetricsSnapshot(families: families)
    }
}
