import MetricsCore

/// Writes metric snapshots in one exposition format, appending to a caller's byte buffer.
///
/// Families and series are written in the order the snapshot holds them (sorted by ``MetricsCore/MetricsSnapshot``).
/// Per sample the encoder only copies bytes into the buffer's spare capacity, checking for room once per line: the
/// family name (its UTF-8 taken once per family), each label set's encoded bytes (borrowed in place), and the
/// number, formatted in place. Nothing is allocated per sample; a histogram family allocates one small array, its
/// `le` labels formatted once for all its series. Keep the buffer between scrapes and empty it with
/// `removeAll(keepingCapacity: true)`: the encoder then reserves nothing more unless the exposition grew.
///
/// Text 0.0.4 (prometheus/docs `exposition_formats.md`): `# HELP` (left out when empty) and `# TYPE` under the
/// sample name, so a counter family `x` is announced as `x_total`; histograms as `x_bucket` lines in increasing
/// `le` with `+Inf` last, `x_sum` and `x_count`.
///
/// OpenMetrics 1.0: `# TYPE`, `# UNIT` (when the family has a unit) and `# HELP` (when not empty), in the order the
/// specification recommends, under the family name (`x` for a counter whose samples are `x_total`), and `# EOF` at
/// the end. An untyped family is announced as `unknown` there (`untyped` in text 0.0.4). Samples OpenMetrics forbids
/// are left out rather than voiding the whole exposition: a counter value that is NaN or negative, and the `_sum` and
/// `_count` of a histogram series whose sum is NaN or negative or whose family has a negative bucket bound (the
/// specification allows no sum then, and a `_count` needs a `_sum`).
public struct ExpositionEncoder: Sendable {
    public let format: ExpositionFormat

    public init(format: ExpositionFormat) {
        self.format = format
    }

    /// Appends the exposition of `snapshot` to `buffer`.
    public func encode(_ snapshot: MetricsSnapshot, into buffer: inout [UInt8]) {
        buffer.reserveCapacity(buffer.count + Self.estimatedSize(of: snapshot))
        for family in snapshot.families {
            encode(family, into: &buffer)
        }
        if format == .openMetrics100 {
            buffer.appendASCII("# EOF\n")
        }
    }

    private func encode(_ family: MetricFamilySnapshot, into buffer: inout [UInt8]) {
        guard family.count > 0 else { return }
        var familyName = family.descriptor.name
        familyName.withUTF8 { name in
            appendMetadata(of: family.descriptor, name: name, to: &buffer)
            switch family.descriptor.type {
            case .counter, .gauge, .untyped:
                appendSamples(of: family, name: name, to: &buffer)
            case .histogram:
                guard let columns = family.histogram else { return }
                appendHistogram(family, columns: columns, name: name, to: &buffer)
            case .summary:
                guard let columns = family.summary else { return }
                appendSummary(family, columns: columns, name: name, to: &buffer)
            }
        }
    }

    private func appendMetadata(
        of descriptor: MetricDescriptor, name: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]
    ) {
        switch format {
        case .prometheusText004:
            let sampleSuffix: StaticString = descriptor.type == .counter ? "_total" : ""
            if !descriptor.help.isEmpty {
                buffer.appendASCII("# HELP ")
                buffer.append(contentsOf: name)
                buffer.appendASCII(sampleSuffix)
                buffer.append(UInt8(ascii: " "))
                format.appendHelp(descriptor.help, to: &buffer)
                buffer.append(UInt8(ascii: "\n"))
            }
            buffer.appendASCII("# TYPE ")
            buffer.append(contentsOf: name)
            buffer.appendASCII(sampleSuffix)
            appendTypeWord(descriptor.type, to: &buffer)
        case .openMetrics100:
            buffer.appendASCII("# TYPE ")
            buffer.append(contentsOf: name)
            appendTypeWord(descriptor.type, to: &buffer)
            if !descriptor.unit.isEmpty {
                buffer.appendASCII("# UNIT ")
                buffer.append(contentsOf: name)
                buffer.append(UInt8(ascii: " "))
                buffer.append(contentsOf: descriptor.unit.utf8)
                buffer.append(UInt8(ascii: "\n"))
            }
            if !descriptor.help.isEmpty {
                buffer.appendASCII("# HELP ")
                buffer.append(contentsOf: name)
                buffer.append(UInt8(ascii: " "))
                format.appendHelp(descriptor.help, to: &buffer)
                buffer.append(UInt8(ascii: "\n"))
            }
        }
    }

    /// Appends ` <type>\n`.
    private func appendTypeWord(_ type: MetricType, to buffer: inout [UInt8]) {
        switch type {
        case .counter: buffer.appendASCII(" counter\n")
        case .gauge: buffer.appendASCII(" gauge\n")
        case .histogram: buffer.appendASCII(" histogram\n")
        case .summary: buffer.appendASCII(" summary\n")
        case .untyped: buffer.appendASCII(format == .openMetrics100 ? " unknown\n" : " untyped\n")
        }
    }

    /// The samples of a counter, gauge or untyped family.
    private func appendSamples(
        of family: MetricFamilySnapshot, name: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]
    ) {
        let isCounter = family.descriptor.type == .counter
        let omitsInvalidTotals = isCounter && format == .openMetrics100
        // Name, `_total`, braces, a space, the value and a line feed; the labels come on top.
        let fixedLength = name.count + 10 + ByteWriter.maximumNumberLength
        // Series `i` is at storage position `order[i]` when the family views a store's slots.
        let order = family.order
        let count = family.count
        // Through buffer pointers, a label set is borrowed rather than copied: no retain and release per sample.
        family.storedLabelSets.withUnsafeBufferPointer { labelSets in
            family.storedValues.withUnsafeBufferPointer { values in
                var series = 0
                while series < count {
                    let first = order?[series] ?? series
                    buffer.write(minimumCapacity: fixedLength + labelSets[first].encodedCount) { writer in
                        while series < count {
                            let position = order?[series] ?? series
                            guard writer.remaining >= fixedLength + labelSets[position].encodedCount else { return }
                            let value = values[position]
                            series += 1
                            if omitsInvalidTotals, !(value >= 0) { continue }
                            writer.write(name)
                            if isCounter { writer.write("_total") }
                            labelSets[position].withEncodedBytes { Self.writeLabels($0, to: &writer) }
                            writer.write(UInt8(ascii: " "))
                            writer.writeNumber(value)
                            writer.write(UInt8(ascii: "\n"))
                        }
                    }
                }
            }
        }
    }

    /// The `_bucket`, `_sum` and `_count` samples of every series of a histogram family.
    private func appendHistogram(
        _ family: MetricFamilySnapshot, columns: HistogramColumns, name: UnsafeBufferPointer<UInt8>,
        to buffer: inout [UInt8]
    ) {
        // `le="<bound>"} ` for each finite bound, formatted once for the whole family into one array (its only
        // allocation), each preceded by its length in one byte: at most 4 + 24 + 2 + 3 bytes.
        var boundLabels: [UInt8] = []
        boundLabels.reserveCapacity(columns.upperBounds.count * 40)
        for bound in columns.upperBounds {
            let lengthIndex = boundLabels.count
            boundLabels.append(0)
            boundLabels.appendASCII("le=\"")
            format.appendBucketBound(bound, to: &boundLabels)
            boundLabels.appendASCII("\"} ")
            boundLabels[lengthIndex] = UInt8(truncatingIfNeeded: boundLabels.count - lengthIndex - 1)
        }
        let width = columns.upperBounds.count
        let allowsSum = format == .prometheusText004 || !((columns.upperBounds.first ?? 0) < 0)
        // Per series without its labels: every bucket line (name, `_bucket{`, a comma, its `le` label, a count, a
        // line feed; `+Inf` is 12 bytes) and the `_sum` and `_count` lines.
        let bucketLines = (width + 1) * (name.count + 10 + ByteWriter.maximumDecimalLength) + boundLabels.count + 12
        let sumAndCountLines = 2 * (name.count + 10 + ByteWriter.maximumNumberLength)
        let fixedLength = bucketLines + sumAndCountLines
        let labelSets = family.labelSets
        boundLabels.withUnsafeBufferPointer { boundLabels in
            var series = 0
            while series < labelSets.count {
                let firstLength = fixedLength + (width + 3) * labelSets[series].encodedCount
                buffer.write(minimumCapacity: firstLength) { writer in
                    while series < labelSets.count {
                        guard writer.remaining >= fixedLength + (width + 3) * labelSets[series].encodedCount else {
                            return
                        }
                        let current = series
                        series += 1
                        labelSets[current].withEncodedBytes { labels in
                            let series = current
                            var boundLabelStart = 0
                            for bucket in 0..<width {
                                Self.writeBucketPrefix(name: name, labels: labels, to: &writer)
                                let boundLabelEnd = boundLabelStart + 1 + Int(boundLabels[boundLabelStart])
                                writer.write(
                                    UnsafeBufferPointer(rebasing: boundLabels[(boundLabelStart + 1)..<boundLabelEnd]))
                                boundLabelStart = boundLabelEnd
                                writer.writeDecimal(columns.cumulativeCounts[series * width + bucket])
                                writer.write(UInt8(ascii: "\n"))
                            }
                            let count = columns.counts[series]
                            Self.writeBucketPrefix(name: name, labels: labels, to: &writer)
                            writer.write("le=\"+Inf\"} ")
                            writer.writeDecimal(count)
                            writer.write(UInt8(ascii: "\n"))

                            let sum = family.values[series]
                            guard format == .prometheusText004 || (allowsSum && sum >= 0) else { return }
                            Self.writeSampleStart(name: name, suffix: "_sum", labels: labels, to: &writer)
                            writer.writeNumber(sum)
                            writer.write(UInt8(ascii: "\n"))
                            Self.writeSampleStart(name: name, suffix: "_count", labels: labels, to: &writer)
                            writer.writeDecimal(count)
                            writer.write(UInt8(ascii: "\n"))
                        }
                    }
                }
            }
        }
    }

    /// The quantile, `_sum` and `_count` samples of every series of a summary family. Summaries come only from text
    /// files and pushed text, so this path favours simplicity over the histogram path's single capacity check.
    /// OpenMetrics leaves out the `_sum` and `_count` of a series whose sum is NaN or negative, as for histograms.
    private func appendSummary(
        _ family: MetricFamilySnapshot, columns: SummaryColumns, name: UnsafeBufferPointer<UInt8>,
        to buffer: inout [UInt8]
    ) {
        let labelSets = family.labelSets
        let sums = family.values
        for series in labelSets.indices {
            labelSets[series].withEncodedBytes { labels in
                for position in columns.quantileRange(ofSeries: series) {
                    buffer.append(contentsOf: name)
                    buffer.append(UInt8(ascii: "{"))
                    if !labels.isEmpty {
                        buffer.append(contentsOf: labels)
                        buffer.append(UInt8(ascii: ","))
                    }
                    buffer.appendASCII("quantile=\"")
                    format.appendBucketBound(columns.quantiles[position], to: &buffer)
                    buffer.appendASCII("\"} ")
                    appendNumber(columns.quantileValues[position], to: &buffer)
                    buffer.append(UInt8(ascii: "\n"))
                }
                let sum = sums[series]
                guard format == .prometheusText004 || sum >= 0 else { return }
                buffer.write(minimumCapacity: 2 * (name.count + labels.count + 12 + ByteWriter.maximumNumberLength)) {
                    writer in
                    Self.writeSampleStart(name: name, suffix: "_sum", labels: labels, to: &writer)
                    writer.writeNumber(sum)
                    writer.write(UInt8(ascii: "\n"))
                    Self.writeSampleStart(name: name, suffix: "_count", labels: labels, to: &writer)
                    writer.writeDecimal(columns.counts[series])
                    writer.write(UInt8(ascii: "\n"))
                }
            }
        }
    }

    /// Writes `<name>_bucket{` and the series' labels followed by a comma, ready for the `le` label.
    @inline(__always)
    private static func writeBucketPrefix(
        name: UnsafeBufferPointer<UInt8>, labels: UnsafeBufferPointer<UInt8>, to writer: inout ByteWriter
    ) {
        writer.write(name)
        writer.write("_bucket{")
        if !labels.isEmpty {
            writer.write(labels)
            writer.write(UInt8(ascii: ","))
        }
    }

    /// Writes `<name><suffix>{<labels>} `: a sample line up to its value.
    @inline(__always)
    private static func writeSampleStart(
        name: UnsafeBufferPointer<UInt8>, suffix: StaticString, labels: UnsafeBufferPointer<UInt8>,
        to writer: inout ByteWriter
    ) {
        writer.write(name)
        writer.write(suffix)
        writeLabels(labels, to: &writer)
        writer.write(UInt8(ascii: " "))
    }

    /// Writes `{<labels>}`, or nothing for a series without labels.
    @inline(__always)
    private static func writeLabels(_ labels: UnsafeBufferPointer<UInt8>, to writer: inout ByteWriter) {
        guard !labels.isEmpty else { return }
        writer.write(UInt8(ascii: "{"))
        writer.write(labels)
        writer.write(UInt8(ascii: "}"))
    }

    /// A generous estimate of the bytes `snapshot` encodes to, from each family's size and the labels of its first
    /// and last series, so that a fresh buffer grows once rather than by repeated doubling.
    public static func estimatedSize(of snapshot: MetricsSnapshot) -> Int {
        var total = 16
        for family in snapshot.families where family.count > 0 {
            let descriptor = family.descriptor
            let nameLength = descriptor.name.utf8.count
            total += 3 * nameLength + descriptor.help.utf8.count * 2 + descriptor.unit.utf8.count + 64
            let labelLength = max(
                family.labelSet(at: 0).encodedCount, family.labelSet(at: family.count - 1).encodedCount)
            // Name, a suffix of up to 7 bytes, braces, a space, a typical number and a line feed.
            let line = nameLength + labelLength + 32
            if let columns = family.histogram {
                total += family.count * (columns.upperBounds.count + 3) * (line + 16)
            } else if let columns = family.summary {
                total += (columns.quantiles.count + 2 * family.count) * (line + 16)
            } else {
                total += family.count * line
            }
        }
        return total
    }
}
