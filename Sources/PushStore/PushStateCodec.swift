import MetricsCore
import PushProtocol

/// A state file that cannot be restored.
public struct PushStateError: Error, Equatable, CustomStringConvertible {
    /// The 1-based line of the problem, when there is one.
    public let line: Int?
    public let message: String

    public var description: String {
        if let line { return "line \(line): \(message)" }
        return message
    }
}

/// What a restore brought back.
public struct PushStateRestoreReport: Sendable, Equatable {
    /// The generation written in the file: journals from this generation on hold what came after it.
    public var generation: UInt64
    public var families = 0
    public var series = 0
    /// Families that could not be registered again (their name now conflicts), with why.
    public var skipped: [String] = []
}

/// The state file: one text line per family and per series, closed by a line with the series count and a
/// checksum of everything before it, so a truncated or altered file is recognised rather than half restored.
///
/// ```
/// tally-push-state 1
/// generation 7
/// family c crypto_data_processed -
/// series 1200 stage="fetch",symbol="BTCUSDT"
/// family ms crypto_processing_duration 0.005,0.01,0.025
/// series 3 0.42 1,2,3 stage="store"
/// end 2 9f2c6a1e0d3b4c55
/// ```
///
/// A series line ends with the labels in their exposition form, which never holds a line feed.
enum PushStateCodec {
    static let header = "tally-push-state 1"

    static func encode(_ families: [PushFamily], _ otlpFamilies: [OTLPFamily] = [], generation: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(families.reduce(64) { $0 + $1.seriesCount * 64 })
        append(header, to: &out)
        append("generation \(generation)", to: &out)
        var seriesCount = 0
        for family in families where !family.isDropped && family.seriesCount > 0 {
            let bounds = family.kind.isHistogram ? family.upperBounds.map(formatNumber).joined(separator: ",") : "-"
            append("family \(family.kind.code) \(family.pushedName) \(bounds.isEmpty ? "-" : bounds)", to: &out)
            if family.kind.isHistogram {
                family.histograms.forEachSeries { labels, series in
                    let histogram = series.histogram
                    let buckets = histogram.bucketCounts.map(String.init).joined(separator: ",")
                    out.append(
                        contentsOf:
                            "series \(histogram.count) \(formatNumber(histogram.sum)) \(buckets.isEmpty ? "-" : buckets) "
                            .utf8)
                    labels.withEncodedBytes { out.append(contentsOf: $0) }
                    out.append(UInt8(ascii: "\n"))
                    seriesCount += 1
                }
            } else {
                family.scalars.forEachSeries { labels, value in
                    out.append(contentsOf: "series \(formatNumber(value)) ".utf8)
                    labels.withEncodedBytes { out.append(contentsOf: $0) }
                    out.append(UInt8(ascii: "\n"))
                    seriesCount += 1
                }
            }
        }
        for family in otlpFamilies where !family.isDropped && family.seriesCount > 0 {
            encode(family, into: &out)
            seriesCount += family.seriesCount
        }
        let checksum = fnv1a(out)
        append("end \(seriesCount) \(hex(checksum))", to: &out)
        return out
    }

    /// An OTLP family: `family <otlp-kind> <name> <bounds or -> <unit or -> <help, escaped>`, then one line per
    /// series with the times of its last point: `series <value> <start> <time> <labels>` for counters and gauges,
    /// `series <count> <sum> <buckets or -> <start> <time> <labels>` for histograms, and
    /// `series <count> <sum> <quantile:value,... or -> <start> <time> <labels>` for summaries.
    private static func encode(_ family: OTLPFamily, into out: inout [UInt8]) {
        let bounds = family.upperBounds.map(formatNumber).joined(separator: ",")
        var help: [UInt8] = []
        appendEscapedLabelValue(family.sourceHelp, to: &help)
        append(
            "family \(family.kind.code) \(family.indexName) \(bounds.isEmpty ? "-" : bounds) "
                + "\(family.sourceUnit.isEmpty ? "-" : family.sourceUnit) \(String(decoding: help, as: UTF8.self))",
            to: &out)
        family.series.forEachSeries { labels, series in
            var fields: String
            switch family.kind {
            case .counter, .gauge:
                fields = formatNumber(series.value)
            case .histogram:
                let buckets = series.bucketCounts.map(String.init).joined(separator: ",")
                fields = "\(series.count) \(formatNumber(series.value)) \(buckets.isEmpty ? "-" : buckets)"
            case .summary:
                let quantiles = zip(series.quantiles, series.quantileValues).map {
                    formatNumber($0) + ":" + formatNumber($1)
                }.joined(separator: ",")
                fields = "\(series.count) \(formatNumber(series.value)) \(quantiles.isEmpty ? "-" : quantiles)"
            }
            out.append(contentsOf: "series \(fields) \(series.startTimeUnixNano) \(series.timeUnixNano) ".utf8)
            labels.withEncodedBytes { out.append(contentsOf: $0) }
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// A parsed OTLP family with its series.
    struct DecodedOTLPFamily {
        var kind: OTLPKind
        var indexName: String
        var upperBounds: [Double]
        var unit: String
        var help: String
        var series: [(LabelSet, OTLPSeries)] = []
    }

    /// A parsed family with its series, before it is put back into a store.
    struct DecodedFamily {
        var kind: PushedKind
        var pushedName: String
        var upperBounds: [Double]
        var scalars: [(LabelSet, Double)] = []
        var histograms: [(LabelSet, HistogramAccumulator)] = []
    }

    static func decode(
        _ bytes: [UInt8]
    ) throws(PushStateError) -> (generation: UInt64, families: [DecodedFamily], otlpFamilies: [DecodedOTLPFamily]) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PushStateError(line: nil, message: "the file is not valid UTF-8")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.last == "" else { throw PushStateError(line: nil, message: "the file is truncated") }
        lines.removeLast()
        guard lines.first == Substring(header) else {
            throw PushStateError(line: 1, message: "not a tally push state file (expected \"\(header)\")")
        }
        guard let endLine = lines.last, endLine.hasPrefix("end ") else {
            throw PushStateError(line: nil, message: "the file is truncated (no end line)")
        }
        let endFields = endLine.split(separator: " ")
        let bodyLength = bytes.count - endLine.utf8.count - 1
        guard endFields.count == 3, let expectedSeries = Int(endFields[1]),
            hex(fnv1a(bytes[0..<bodyLength])) == endFields[2]
        else { throw PushStateError(line: lines.count, message: "the checksum does not match the contents") }

        guard lines.count >= 3, lines[1].hasPrefix("generation "), let generation = UInt64(lines[1].dropFirst(11))
        else {
            throw PushStateError(line: 2, message: "expected \"generation <number>\"")
        }
        var families: [DecodedFamily] = []
        var otlpFamilies: [DecodedOTLPFamily] = []
        var lastIsOTLP = false
        var seriesCount = 0
        for (offset, line) in lines.dropFirst(2).dropLast().enumerated() {
            let number = offset + 3
            if line.hasPrefix("family otlp-") {
                otlpFamilies.append(try decodeOTLPFamily(line, line: number))
                lastIsOTLP = true
            } else if line.hasPrefix("series "), lastIsOTLP {
                try decodeOTLPSeries(
                    line.dropFirst("series ".count), into: &otlpFamilies[otlpFamilies.count - 1], line: number)
                seriesCount += 1
            } else if line.hasPrefix("family ") {
                lastIsOTLP = false
                let fields = line.split(separator: " ")
                guard fields.count == 4, let kind = PushedKind(code: fields[1]) else {
                    throw PushStateError(line: number, message: "malformed family line")
                }
                let bounds = fields[3] == "-" ? [] : fields[3].split(separator: ",").compactMap { Double($0) }
                families.append(DecodedFamily(kind: kind, pushedName: String(fields[2]), upperBounds: bounds))
            } else if line.hasPrefix("series ") {
                guard var family = families.popLast() else {
                    throw PushStateError(line: number, message: "a series before any family")
                }
                try decodeSeries(line.dropFirst("series ".count), into: &family, line: number)
                families.append(family)
                seriesCount += 1
            } else {
                throw PushStateError(line: number, message: "unknown line")
            }
        }
        guard seriesCount == expectedSeries else {
            throw PushStateError(line: lines.count, message: "expected \(expectedSeries) series, found \(seriesCount)")
        }
        return (generation, families, otlpFamilies)
    }

    private static func decodeOTLPFamily(_ text: Substring, line: Int) throws(PushStateError) -> DecodedOTLPFamily {
        let fields = text.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count == 6, let kind = OTLPKind(code: fields[1]) else {
            throw PushStateError(line: line, message: "malformed family line")
        }
        let bounds = fields[3] == "-" ? [] : fields[3].split(separator: ",").compactMap { Double($0) }
        let help = try decodeLabels("h=\"" + fields[5] + "\"", line: line)["h"] ?? ""
        return DecodedOTLPFamily(
            kind: kind, indexName: String(fields[2]), upperBounds: bounds,
            unit: fields[4] == "-" ? "" : String(fields[4]),
            help: help)
    }

    private static func decodeOTLPSeries(
        _ fields: Substring, into family: inout DecodedOTLPFamily, line: Int
    ) throws(PushStateError) {
        let malformed = PushStateError(line: line, message: "malformed series line")
        let valueFields = family.kind == .counter || family.kind == .gauge ? 1 : 3
        let parts = fields.split(separator: " ", maxSplits: valueFields + 2, omittingEmptySubsequences: false)
        guard parts.count >= valueFields + 2, let start = UInt64(parts[valueFields]),
            let time = UInt64(parts[valueFields + 1])
        else { throw malformed }
        var series = OTLPSeries(startTimeUnixNano: start, timeUnixNano: time)
        if valueFields == 1 {
            guard let value = Double(parts[0]) else { throw malformed }
            series.value = value
        } else {
            guard let count = UInt64(parts[0]), let sum = Double(parts[1]) else { throw malformed }
            series.count = count
            series.value = sum
            let items = parts[2] == "-" ? [] : parts[2].split(separator: ",")
            if family.kind == .histogram {
                series.bucketCounts = items.compactMap { UInt64($0) }
                guard series.bucketCounts.count == family.upperBounds.count else { throw malformed }
            } else {
                for item in items {
                    let pair = item.split(separator: ":")
                    guard pair.count == 2, let quantile = Double(pair[0]), let value = Double(pair[1]) else {
                        throw malformed
                    }
                    series.quantiles.append(quantile)
                    series.quantileValues.append(value)
                }
            }
        }
        let labels = try decodeLabels(parts.count == valueFields + 3 ? parts[valueFields + 2] : "", line: line)
        family.series.append((labels, series))
    }

    private static func decodeSeries(
        _ fields: Substring, into family: inout DecodedFamily, line: Int
    )
        throws(PushStateError)
    {
        let malformed = PushStateError(line: line, message: "malformed series line")
        if family.kind.isHistogram {
            let parts = fields.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count >= 3, let count = UInt64(parts[0]), let sum = Double(parts[1]) else { throw malformed }
            let buckets = parts[2] == "-" ? [] : parts[2].split(separator: ",").compactMap { UInt64($0) }
            guard buckets.count == family.upperBounds.count else { throw malformed }
            let labels = try decodeLabels(parts.count == 4 ? parts[3] : "", line: line)
            family.histograms.append((labels, HistogramAccumulator(bucketCounts: buckets, sum: sum, count: count)))
        } else {
            let parts = fields.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard let value = Double(parts[0]) else { throw malformed }
            let labels = try decodeLabels(parts.count == 2 ? parts[1] : "", line: line)
            family.scalars.append((labels, value))
        }
    }

    /// Parses labels in their exposition form, `a="x",b="y\"z"`.
    static func decodeLabels(_ text: Substring, line: Int) throws(PushStateError) -> LabelSet {
        var labels: [Label] = []
        var bytes = Array(text.utf8)[...]
        let malformed = PushStateError(line: line, message: "malformed labels")
        while !bytes.isEmpty {
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")),
                bytes.index(after: equals) < bytes.endIndex, bytes[bytes.index(after: equals)] == UInt8(ascii: "\"")
            else { throw malformed }
            let name = String(decoding: bytes[..<equals], as: UTF8.self)
            guard MetricNaming.isValidLabelName(name) || name == "otel_metric_overflow" else { throw malformed }
            var value: [UInt8] = []
            var index = bytes.index(equals, offsetBy: 2)
            var closed = false
            while index < bytes.endIndex {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    closed = true
                    break
                }
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    guard index < bytes.endIndex else { throw malformed }
                    switch bytes[index] {
                    case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n"))
                    case UInt8(ascii: "\\"), UInt8(ascii: "\""): value.append(bytes[index])
                    default: throw malformed
                    }
                } else {
                    value.append(byte)
                }
                index += 1
            }
            guard closed else { throw malformed }
            labels.append(Label(name, String(decoding: value, as: UTF8.self)))
            bytes = bytes[(index + 1)...]
            if let comma = bytes.first {
                guard comma == UInt8(ascii: ","), bytes.count > 1 else { throw malformed }
                bytes = bytes.dropFirst()
            }
        }
        return LabelSet(labels)
    }

    private static func append(_ line: String, to out: inout [UInt8]) {
        out.append(contentsOf: line.utf8)
        out.append(UInt8(ascii: "\n"))
    }

    /// The shortest text that reads back as the same number.
    private static func formatNumber(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : value.description
    }
}

extension PushedKind {
    /// The StatsD type word written in the state file.
    var code: String {
        switch self {
        case .counter: "c"
        case .gauge: "g"
        case .timer: "ms"
        case .observation: "h"
        }
    }

    init?(code: Substring) {
        guard let kind = PushedKind.allCases.first(where: { $0.code == code }) else { return nil }
        self = kind
    }
}

/// The pushed families at one moment, taken cheaply under the store's lock (the copy shares storage until the
/// store next changes) so that encoding the state file can run on another thread.
public struct PushStateSnapshot: Sendable {
    fileprivate let families: [PushFamily]
    fileprivate let otlpFamilies: [OTLPFamily]
    /// The store's ``PushStore/version`` when the snapshot was taken.
    public let version: UInt64

    /// The state file's contents.
    public func encode(generation: UInt64) -> [UInt8] {
        PushStateCodec.encode(families, otlpFamilies, generation: generation)
    }
}

extension PushStore {
    /// A snapshot of the stored series for the state file.
    public func stateSnapshot() -> PushStateSnapshot {
        withState { PushStateSnapshot(families: $0.families, otlpFamilies: $0.otlpFamilies, version: $0.version) }
    }

    /// Restores a state file's series into this store, which should be empty. Families whose names now conflict
    /// with a registered metric are skipped and reported; a corrupt file restores nothing and throws.
    public func restoreState(_ bytes: [UInt8]) throws(PushStateError) -> PushStateRestoreReport {
        let (generation, decoded, decodedOTLP) = try PushStateCodec.decode(bytes)
        let views = registry.views
        let now = currentSecond()
        return withState { state in
            var report = PushStateRestoreReport(generation: generation)
            for saved in decoded {
                do {
                    var family = try State.makeFamily(
                        name: saved.pushedName, kind: saved.kind, views: views, limits: state.limits,
                        upperBounds: saved.kind.isHistogram ? saved.upperBounds : nil)
                    guard !family.isDropped else { continue }
                    try registry.reserve(family.descriptor)
                    for (labels, value) in saved.scalars {
                        let slot = family.slot(for: labels)
                        family.scalars[slot] = value
                        family.scalarUpdatedAt[slot] = now
                    }
                    for (labels, histogram) in saved.histograms {
                        family.histograms[family.histograms.slot(for: labels)] = HistogramSeries(
                            histogram: histogram, updatedAt: now)
                    }
                    state.families.append(family)
                    state.familyIndexByKey[State.FamilyKey(name: family.pushedName, kind: family.kind)] =
                        state.families.count - 1
                    state.seriesCount += family.seriesCount
                    report.families += 1
                    report.series += family.seriesCount
                } catch {
                    report.skipped.append("\(saved.pushedName): \(error)")
                }
            }
            for saved in decodedOTLP {
                do throws(PushStateError) {
                    var family: OTLPFamily
                    do throws(OTLPRejection) {
                        family = try OTLPFamily.make(
                            indexName: saved.indexName, name: saved.indexName, help: saved.help, unit: saved.unit,
                            kind: saved.kind, upperBounds: saved.upperBounds, views: views, limits: state.limits)
                    } catch {
                        throw PushStateError(line: nil, message: error.message)
                    }
                    guard !family.isDropped, state.otlpFamilyIndexByName[family.indexName] == nil else { continue }
                    do {
                        try registry.reserve(family.descriptor)
                    } catch {
                        throw PushStateError(line: nil, message: "\(error)")
                    }
                    for (labels, var series) in saved.series {
                        series.updatedAt = now
                        family.series[family.series.slot(for: labels)] = series
                    }
                    state.otlpFamilies.append(family)
                    state.otlpFamilyIndexByName[family.indexName] = state.otlpFamilies.count - 1
                    state.seriesCount += family.seriesCount
                    report.families += 1
                    report.series += family.seriesCount
                } catch {
                    report.skipped.append("\(saved.indexName): \(error)")
                }
            }
            state.version &+= 1
            return report
        }
    }
}
