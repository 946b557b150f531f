import ProtobufWire

/// Receives the contents of an `ExportMetricsServiceRequest` from ``OTLPMetricsDecoder``, one metric and one data
/// point at a time, in the order they appear in the body.
///
/// The values handed over borrow the body (see `OTLPViews.swift`): they are valid only during the call. Every
/// method has a default that does nothing, so a visitor implements only what it needs.
public protocol OTLPMetricsVisitor {
    /// A metric, before its data points (also called for a metric without points).
    mutating func visitMetric(_ context: OTLPMetricContext)
    mutating func visitNumberDataPoint(_ point: OTLPNumberDataPoint, _ context: OTLPMetricContext)
    mutating func visitHistogramDataPoint(_ point: OTLPHistogramDataPoint, _ context: OTLPMetricContext)
    mutating func visitExponentialHistogramDataPoint(
        _ point: OTLPExponentialHistogramDataPoint, _ context: OTLPMetricContext)
    mutating func visitSummaryDataPoint(_ point: OTLPSummaryDataPoint, _ context: OTLPMetricContext)
}

extension OTLPMetricsVisitor {
    public mutating func visitMetric(_ context: OTLPMetricContext) {}
    public mutating func visitNumberDataPoint(_ point: OTLPNumberDataPoint, _ context: OTLPMetricContext) {}
    public mutating func visitHistogramDataPoint(_ point: OTLPHistogramDataPoint, _ context: OTLPMetricContext) {}
    public mutating func visitExponentialHistogramDataPoint(
        _ point: OTLPExponentialHistogramDataPoint, _ context: OTLPMetricContext
    ) {}
    public mutating func visitSummaryDataPoint(_ point: OTLPSummaryDataPoint, _ context: OTLPMetricContext) {}
}

/// A visitor that ignores everything: the checking pass.
struct IgnoringVisitor: OTLPMetricsVisitor {}

/// Decodes a protobuf `opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest` in place, without
/// building a tree: it walks the body and hands each metric and data point to a visitor as views of the body.
///
/// Fields may come in any order (a message's context is found before its children are visited, so a resource
/// sent after its scopes still reaches every point); repeated scalars may be packed, unpacked or both; unknown
/// fields of every wire type but the deprecated groups are skipped, groups are refused. A singular message field
/// sent twice counts once, the last one (protobuf would merge them; OTLP senders never repeat them). Exemplars are
/// skipped. Every length is checked against its message, varints longer than 64 bits are refused, messages nest
/// at most ``maximumDepth`` deep, and every string the views expose (names, descriptions, units, attribute keys
/// and string values, scope names and versions, schema URLs) must be valid UTF-8.
///
/// The whole body is checked before the visitor sees anything, so a refused body has changed nothing: the work is
/// two walks over the bytes, and neither allocates.
public struct OTLPMetricsDecoder: Sendable {
    /// The default nesting limit, counted in messages below the request: a data point's attribute value sits at
    /// depth 7, so 32 leaves room for 12 levels of arrays and maps inside an attribute.
    public static let defaultMaximumDepth = 32

    /// How deep messages may nest below the request.
    public var maximumDepth: Int

    public init(maximumDepth: Int = OTLPMetricsDecoder.defaultMaximumDepth) {
        self.maximumDepth = maximumDepth
    }

    /// Checks the whole body, then hands its metrics and points to `visitor`.
    public func decode<Visitor: OTLPMetricsVisitor>(
        _ body: UnsafeRawBufferPointer, into visitor: inout Visitor
    ) throws(OTLPDecodingError) {
        var ignoring = IgnoringVisitor()
        try Walk(bytes: body, maximumDepth: maximumDepth).request(into: &ignoring)
        try Walk(bytes: body, maximumDepth: maximumDepth).request(into: &visitor)
    }

    /// Checks the whole body without visiting it.
    public func validate(_ body: UnsafeRawBufferPointer) throws(OTLPDecodingError) {
        var ignoring = IgnoringVisitor()
        try Walk(bytes: body, maximumDepth: maximumDepth).request(into: &ignoring)
    }

    /// ``decode(_:into:)-(UnsafeRawBufferPointer,_)`` on an array.
    public func decode<Visitor: OTLPMetricsVisitor>(
        _ body: [UInt8], into visitor: inout Visitor
    ) throws(OTLPDecodingError) {
        let result: Result<Void, OTLPDecodingError> = body.withUnsafeBytes { buffer in
            do throws(OTLPDecodingError) {
                try decode(buffer, into: &visitor)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }
}

/// One walk over a body.
private struct Walk {
    let bytes: UnsafeRawBufferPointer
    let maximumDepth: Int

    private static var empty: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

    private func reader(
        _ range: Range<Int>, depth: Int, _ message: String
    ) throws(OTLPDecodingError)
        -> ProtobufReader
    {
        guard depth <= maximumDepth else {
            throw OTLPDecodingError(
                .nestingTooDeep, at: range.lowerBound,
                "\(message) nests \(depth) messages deep (limit \(maximumDepth))")
        }
        return ProtobufReader(bytes, range)
    }

    private func length(
        _ reader: inout ProtobufReader, _ tag: FieldTag, _ message: String
    ) throws(OTLPDecodingError) -> Range<Int> {
        try ProtobufReader.expect(tag, .lengthDelimited, in: message)
        return try reader.readLengthDelimited()
    }

    private func string(
        _ reader: inout ProtobufReader, _ tag: FieldTag, _ message: String, _ field: String
    ) throws(OTLPDecodingError) -> UnsafeRawBufferPointer {
        let range = try length(&reader, tag, message)
        let slice = bytes.slice(range)
        guard UTF8Validation.isValid(slice) else {
            throw OTLPDecodingError(.invalidUTF8, at: range.lowerBound, "invalid UTF-8 in \(message).\(field)")
        }
        return slice
    }

    private func fixed64(
        _ reader: inout ProtobufReader, _ tag: FieldTag, _ message: String
    ) throws(OTLPDecodingError) -> UInt64 {
        try ProtobufReader.expect(tag, .fixed64, in: message)
        return try reader.readFixed64()
    }

    private func varint(
        _ reader: inout ProtobufReader, _ tag: FieldTag, _ message: String
    ) throws(OTLPDecodingError) -> UInt64 {
        try ProtobufReader.expect(tag, .varint, in: message)
        return try reader.readVarint()
    }

    func request<Visitor: OTLPMetricsVisitor>(into visitor: inout Visitor) throws(OTLPDecodingError) {
        var reader = ProtobufReader(bytes, 0..<bytes.count)
        while let tag = try reader.nextTag() {
            if tag.number == 1 {
                let range = try length(&reader, tag, "ExportMetricsServiceRequest")
                try resourceMetrics(range, into: &visitor)
            } else {
                try reader.skip(tag.wireType)
            }
        }
    }

    private func resourceMetrics<Visitor: OTLPMetricsVisitor>(
        _ range: Range<Int>, into visitor: inout Visitor
    ) throws(OTLPDecodingError) {
        let name = "ResourceMetrics"
        var reader = try self.reader(range, depth: 1, name)
        var resourceRange: Range<Int>?
        var schemaURL = Self.empty
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: resourceRange = try length(&reader, tag, name)
            case 2: _ = try length(&reader, tag, name)
            case 3: schemaURL = try string(&reader, tag, name, "schema_url")
            default: try reader.skip(tag.wireType)
            }
        }
        var resource = OTLPResource(attributes: .none, droppedAttributesCount: 0, schemaURL: schemaURL)
        if let resourceRange {
            var reader = try self.reader(resourceRange, depth: 2, "Resource")
            while let tag = try reader.nextTag() {
                switch tag.number {
                case 1: try keyValue(try length(&reader, tag, "Resource"), depth: 3)
                case 2:
                    resource.droppedAttributesCount = UInt32(truncatingIfNeeded: try varint(&reader, tag, "Resource"))
                default: try reader.skip(tag.wireType)
                }
            }
            resource.attributes = OTLPAttributes(bytes: bytes, range: resourceRange, fieldNumber: 1)
        }
        reader = ProtobufReader(bytes, range)
        while let tag = try reader.nextTag() {
            if tag.number == 2 {
                try scopeMetrics(try reader.readLengthDelimited(), resource, into: &visitor)
            } else {
                try reader.skip(tag.wireType)
            }
        }
    }

    private func scopeMetrics<Visitor: OTLPMetricsVisitor>(
        _ range: Range<Int>, _ resource: OTLPResource, into visitor: inout Visitor
    ) throws(OTLPDecodingError) {
        let name = "ScopeMetrics"
        var reader = try self.reader(range, depth: 2, name)
        var scopeRange: Range<Int>?
        var scope = OTLPScope(
            name: Self.empty, version: Self.empty, attributes: .none, droppedAttributesCount: 0, schemaURL: Self.empty)
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: scopeRange = try length(&reader, tag, name)
            case 2: _ = try length(&reader, tag, name)
            case 3: scope.schemaURL = try string(&reader, tag, name, "schema_url")
            default: try reader.skip(tag.wireType)
            }
        }
        if let scopeRange {
            let name = "InstrumentationScope"
            var reader = try self.reader(scopeRange, depth: 3, name)
            while let tag = try reader.nextTag() {
                switch tag.number {
                case 1: scope.name = try string(&reader, tag, name, "name")
                case 2: scope.version = try string(&reader, tag, name, "version")
                case 3: try keyValue(try length(&reader, tag, name), depth: 4)
                case 4: scope.droppedAttributesCount = UInt32(truncatingIfNeeded: try varint(&reader, tag, name))
                default: try reader.skip(tag.wireType)
                }
            }
            scope.attributes = OTLPAttributes(bytes: bytes, range: scopeRange, fieldNumber: 3)
        }
        reader = ProtobufReader(bytes, range)
        while let tag = try reader.nextTag() {
            if tag.number == 2 {
                try metric(try reader.readLengthDelimited(), resource, scope, into: &visitor)
            } else {
                try reader.skip(tag.wireType)
            }
        }
    }

    private func metric<Visitor: OTLPMetricsVisitor>(
        _ range: Range<Int>, _ resource: OTLPResource, _ scope: OTLPScope, into visitor: inout Visitor
    ) throws(OTLPDecodingError) {
        let name = "Metric"
        var reader = try self.reader(range, depth: 3, name)
        var metric = OTLPMetric(
            name: Self.empty, description: Self.empty, unit: Self.empty, metadata: .none, kind: .none,
            aggregationTemporality: .unspecified, isMonotonic: false, dataPointCount: 0)
        var dataRange = 0..<0
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: metric.name = try string(&reader, tag, name, "name")
            case 2: metric.description = try string(&reader, tag, name, "description")
            case 3: metric.unit = try string(&reader, tag, name, "unit")
            case 5, 7, 9, 10, 11:
                dataRange = try length(&reader, tag, name)
                switch tag.number {
                case 5: metric.kind = .gauge
                case 7: metric.kind = .sum
                case 9: metric.kind = .histogram
                case 10: metric.kind = .exponentialHistogram
                default: metric.kind = .summary
                }
            case 12: try keyValue(try length(&reader, tag, name), depth: 4)
            default: try reader.skip(tag.wireType)
            }
        }
        metric.metadata = OTLPAttributes(bytes: bytes, range: range, fieldNumber: 12)
        guard metric.kind != .none else {
            visitor.visitMetric(OTLPMetricContext(resource: resource, scope: scope, metric: metric))
            return
        }
        let dataName: String
        switch metric.kind {
        case .gauge: dataName = "Gauge"
        case .sum: dataName = "Sum"
        case .histogram: dataName = "Histogram"
        case .exponentialHistogram: dataName = "ExponentialHistogram"
        case .summary, .none: dataName = "Summary"
        }
        reader = try self.reader(dataRange, depth: 4, dataName)
        while let tag = try reader.nextTag() {
            switch (tag.number, metric.kind) {
            case (1, _):
                _ = try length(&reader, tag, dataName)
                metric.dataPointCount += 1
            case (2, .sum), (2, .histogram), (2, .exponentialHistogram):
                metric.aggregationTemporality = OTLPAggregationTemporality(
                    rawValue: Int32(truncatingIfNeeded: try varint(&reader, tag, dataName)))
            case (3, .sum): metric.isMonotonic = try varint(&reader, tag, dataName) != 0
            default: try reader.skip(tag.wireType)
            }
        }
        let context = OTLPMetricContext(resource: resource, scope: scope, metric: metric)
        visitor.visitMetric(context)
        reader = ProtobufReader(bytes, dataRange)
        while let tag = try reader.nextTag() {
            guard tag.number == 1 else {
                try reader.skip(tag.wireType)
                continue
            }
            let point = try reader.readLengthDelimited()
            switch metric.kind {
            case .gauge, .sum: visitor.visitNumberDataPoint(try numberDataPoint(point), context)
            case .histogram: visitor.visitHistogramDataPoint(try histogramDataPoint(point), context)
            case .exponentialHistogram:
                visitor.visitExponentialHistogramDataPoint(try exponentialHistogramDataPoint(point), context)
            case .summary: visitor.visitSummaryDataPoint(try summaryDataPoint(point), context)
            case .none: break
            }
        }
    }

    private static let pointDepth = 5

    private func numberDataPoint(_ range: Range<Int>) throws(OTLPDecodingError) -> OTLPNumberDataPoint {
        let name = "NumberDataPoint"
        var reader = try self.reader(range, depth: Self.pointDepth, name)
        var point = OTLPNumberDataPoint(
            attributes: OTLPAttributes(bytes: bytes, range: range, fieldNumber: 7), startTimeUnixNano: 0,
            timeUnixNano: 0, value: nil, flags: [], exemplarCount: 0)
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 7: try keyValue(try length(&reader, tag, name), depth: Self.pointDepth + 1)
            case 2: point.startTimeUnixNano = try fixed64(&reader, tag, name)
            case 3: point.timeUnixNano = try fixed64(&reader, tag, name)
            case 4: point.value = .double(Double(bitPattern: try fixed64(&reader, tag, name)))
            case 6: point.value = .int(Int64(bitPattern: try fixed64(&reader, tag, name)))
            case 5:
                _ = try length(&reader, tag, name)
                point.exemplarCount += 1
            case 8:
                point.flags = OTLPDataPointFlags(rawValue: UInt32(truncatingIfNeeded: try varint(&reader, tag, name)))
            default: try reader.skip(tag.wireType)
            }
        }
        return point
    }

    private func histogramDataPoint(_ range: Range<Int>) throws(OTLPDecodingError) -> OTLPHistogramDataPoint {
        let name = "HistogramDataPoint"
        var reader = try self.reader(range, depth: Self.pointDepth, name)
        var bucketCount = 0
        var boundCount = 0
        var point = OTLPHistogramDataPoint(
            attributes: OTLPAttributes(bytes: bytes, range: range, fieldNumber: 9), startTimeUnixNano: 0,
            timeUnixNano: 0, count: 0, sum: nil, bucketCounts: .none,
            explicitBounds: OTLPRepeatedDouble(bytes: bytes, range: range, fieldNumber: 7, count: 0), flags: [],
            min: nil, max: nil, exemplarCount: 0)
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 9: try keyValue(try length(&reader, tag, name), depth: Self.pointDepth + 1)
            case 2: point.startTimeUnixNano = try fixed64(&reader, tag, name)
            case 3: point.timeUnixNano = try fixed64(&reader, tag, name)
            case 4: point.count = try fixed64(&reader, tag, name)
            case 5: point.sum = Double(bitPattern: try fixed64(&reader, tag, name))
            case 6: bucketCount += try repeatedScalar(&reader, tag, name, isFixed64: true)
            case 7: boundCount += try repeatedScalar(&reader, tag, name, isFixed64: true)
            case 8:
                _ = try length(&reader, tag, name)
                point.exemplarCount += 1
            case 10:
                point.flags = OTLPDataPointFlags(rawValue: UInt32(truncatingIfNeeded: try varint(&reader, tag, name)))
            case 11: point.min = Double(bitPattern: try fixed64(&reader, tag, name))
            case 12: point.max = Double(bitPattern: try fixed64(&reader, tag, name))
            default: try reader.skip(tag.wireType)
            }
        }
        point.bucketCounts = OTLPRepeatedUInt64(
            bytes: bytes, range: range, fieldNumber: 6, isFixed64: true, count: bucketCount)
        point.explicitBounds = OTLPRepeatedDouble(bytes: bytes, range: range, fieldNumber: 7, count: boundCount)
        return point
    }

    private func exponentialHistogramDataPoint(
        _ range: Range<Int>
    ) throws(OTLPDecodingError) -> OTLPExponentialHistogramDataPoint {
        let name = "ExponentialHistogramDataPoint"
        var reader = try self.reader(range, depth: Self.pointDepth, name)
        var point = OTLPExponentialHistogramDataPoint(
            attributes: OTLPAttributes(bytes: bytes, range: range, fieldNumber: 1), startTimeUnixNano: 0,
            timeUnixNano: 0, count: 0, sum: nil, scale: 0, zeroCount: 0, positive: .none, negative: .none, flags: [],
            min: nil, max: nil, zeroThreshold: 0, exemplarCount: 0)
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try keyValue(try length(&reader, tag, name), depth: Self.pointDepth + 1)
            case 2: point.startTimeUnixNano = try fixed64(&reader, tag, name)
            case 3: point.timeUnixNano = try fixed64(&reader, tag, name)
            case 4: point.count = try fixed64(&reader, tag, name)
            case 5: point.sum = Double(bitPattern: try fixed64(&reader, tag, name))
            case 6: point.scale = try varint(&reader, tag, name).zigzagInt32
            case 7: point.zeroCount = try fixed64(&reader, tag, name)
            case 8: point.positive = try buckets(try length(&reader, tag, name))
            case 9: point.negative = try buckets(try length(&reader, tag, name))
            case 10:
                point.flags = OTLPDataPointFlags(rawValue: UInt32(truncatingIfNeeded: try varint(&reader, tag, name)))
            case 11:
                _ = try length(&reader, tag, name)
                point.exemplarCount += 1
            case 12: point.min = Double(bitPattern: try fixed64(&reader, tag, name))
            case 13: point.max = Double(bitPattern: try fixed64(&reader, tag, name))
            case 14: point.zeroThreshold = Double(bitPattern: try fixed64(&reader, tag, name))
            default: try reader.skip(tag.wireType)
            }
        }
        return point
    }

    private func buckets(_ range: Range<Int>) throws(OTLPDecodingError) -> OTLPExponentialBuckets {
        let name = "ExponentialHistogramDataPoint.Buckets"
        var reader = try self.reader(range, depth: Self.pointDepth + 1, name)
        var offset: Int32 = 0
        var count = 0
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: offset = try varint(&reader, tag, name).zigzagInt32
            case 2: count += try repeatedScalar(&reader, tag, name, isFixed64: false)
            default: try reader.skip(tag.wireType)
            }
        }
        return OTLPExponentialBuckets(
            offset: offset,
            bucketCounts: OTLPRepeatedUInt64(bytes: bytes, range: range, fieldNumber: 2, isFixed64: false, count: count)
        )
    }

    private func summaryDataPoint(_ range: Range<Int>) throws(OTLPDecodingError) -> OTLPSummaryDataPoint {
        let name = "SummaryDataPoint"
        var reader = try self.reader(range, depth: Self.pointDepth, name)
        var quantileCount = 0
        var point = OTLPSummaryDataPoint(
            attributes: OTLPAttributes(bytes: bytes, range: range, fieldNumber: 7), startTimeUnixNano: 0,
            timeUnixNano: 0, count: 0, sum: 0, quantileValues: OTLPQuantileValues(bytes: bytes, range: range, count: 0),
            flags: [])
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 7: try keyValue(try length(&reader, tag, name), depth: Self.pointDepth + 1)
            case 2: point.startTimeUnixNano = try fixed64(&reader, tag, name)
            case 3: point.timeUnixNano = try fixed64(&reader, tag, name)
            case 4: point.count = try fixed64(&reader, tag, name)
            case 5: point.sum = Double(bitPattern: try fixed64(&reader, tag, name))
            case 6:
                let quantileName = "SummaryDataPoint.ValueAtQuantile"
                var quantile = try self.reader(try length(&reader, tag, name), depth: Self.pointDepth + 1, quantileName)
                while let tag = try quantile.nextTag() {
                    if tag.number == 1 || tag.number == 2 {
                        _ = try fixed64(&quantile, tag, quantileName)
                    } else {
                        try quantile.skip(tag.wireType)
                    }
                }
                quantileCount += 1
            case 8:
                point.flags = OTLPDataPointFlags(rawValue: UInt32(truncatingIfNeeded: try varint(&reader, tag, name)))
            default: try reader.skip(tag.wireType)
            }
        }
        point.quantileValues = OTLPQuantileValues(bytes: bytes, range: range, count: quantileCount)
        return point
    }

    /// Checks one piece of a repeated scalar field (a packed run, or one unpacked element) and returns how many
    /// elements it holds.
    private func repeatedScalar(
        _ reader: inout ProtobufReader, _ tag: FieldTag, _ message: String, isFixed64: Bool
    ) throws(OTLPDecodingError) -> Int {
        switch tag.wireType {
        case .lengthDelimited:
            let range = try reader.readLengthDelimited()
            if isFixed64 {
                guard range.count % 8 == 0 else {
                    throw OTLPDecodingError(
                        .truncated, at: range.lowerBound,
                        "packed field \(tag.number) of \(message) holds \(range.count) bytes, not a multiple of 8")
                }
                return range.count / 8
            }
            var packed = ProtobufReader(bytes, range)
            var count = 0
            while !packed.isAtEnd {
                _ = try packed.readVarint()
                count += 1
            }
            return count
        case .fixed64 where isFixed64:
            _ = try reader.readFixed64()
            return 1
        case .varint where !isFixed64:
            _ = try reader.readVarint()
            return 1
        default:
            throw ProtobufReader.wrongWireType(tag, isFixed64 ? .fixed64 : .varint, in: message)
        }
    }

    /// Checks a `KeyValue` message at `depth`.
    private func keyValue(_ range: Range<Int>, depth: Int) throws(OTLPDecodingError) {
        let name = "KeyValue"
        var reader = try self.reader(range, depth: depth, name)
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: _ = try string(&reader, tag, name, "key")
            case 2: try anyValue(try length(&reader, tag, name), depth: depth + 1)
            default: try reader.skip(tag.wireType)
            }
        }
    }

    /// Checks an `AnyValue` message at `depth`.
    private func anyValue(_ range: Range<Int>, depth: Int) throws(OTLPDecodingError) {
        let name = "AnyValue"
        var reader = try self.reader(range, depth: depth, name)
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: _ = try string(&reader, tag, name, "string_value")
            case 2, 3, 8: _ = try varint(&reader, tag, name)
            case 4: _ = try fixed64(&reader, tag, name)
            case 5, 6:
                let listName = tag.number == 5 ? "ArrayValue" : "KeyValueList"
                var list = try self.reader(try length(&reader, tag, name), depth: depth + 1, listName)
                while let tag = try list.nextTag() {
                    guard tag.number == 1 else {
                        try list.skip(tag.wireType)
                        continue
                    }
                    let element = try length(&list, tag, listName)
                    if listName == "ArrayValue" {
                        try anyValue(element, depth: depth + 2)
                    } else {
                        try keyValue(element, depth: depth + 2)
                    }
                }
            case 7: _ = try length(&reader, tag, name)
            default: try reader.skip(tag.wireType)
            }
        }
    }
}
