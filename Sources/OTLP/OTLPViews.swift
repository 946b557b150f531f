import ProtobufWire

// Views of a decoded OTLP request, handed to an ``OTLPMetricsVisitor``.
//
// Every view borrows the body being decoded: its byte slices (`UnsafeRawBufferPointer`) and its sequences point
// into that body and are valid only during the visitor call that receives them. Keep what outlives the call by
// copying it (into a `String`, a label set, a store update). The decoder checks the bytes behind a view before
// handing it out, so iterating a view cannot fail.

/// An attribute value (`opentelemetry.proto.common.v1.AnyValue`), borrowing the body.
public enum OTLPAnyValue {
    /// No value set (an empty `AnyValue`, or an absent one).
    case empty
    /// A string, valid UTF-8.
    case string(UnsafeRawBufferPointer)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    /// An array of values.
    case array(OTLPArrayValue)
    /// A list of key-value pairs (a map).
    case keyValueList(OTLPAttributes)
    /// Raw bytes.
    case bytes(UnsafeRawBufferPointer)

    /// Reads the value of a checked `AnyValue` message; the last member of the oneof set wins.
    init(checked bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        var value = OTLPAnyValue.empty
        var fields = CheckedFields(bytes, range)
        while let field = fields.next() {
            switch (field.number, field.wireType) {
            case (1, .lengthDelimited): value = .string(bytes.slice(field.range))
            case (2, .varint): value = .bool(field.value != 0)
            case (3, .varint): value = .int(Int64(bitPattern: field.value))
            case (4, .fixed64): value = .double(Double(bitPattern: field.value))
            case (5, .lengthDelimited): value = .array(OTLPArrayValue(bytes: bytes, range: field.range))
            case (6, .lengthDelimited):
                value = .keyValueList(OTLPAttributes(bytes: bytes, range: field.range, fieldNumber: 1))
            case (7, .lengthDelimited): value = .bytes(bytes.slice(field.range))
            case (8, _): value = .empty  // string_value_strindex: a profiles dictionary index, not used by metrics
            default: break
            }
        }
        self = value
    }
}

/// One attribute: a key (valid UTF-8) and its value, borrowing the body.
public struct OTLPAttribute {
    public var key: UnsafeRawBufferPointer
    public var value: OTLPAnyValue
}

/// The attributes of a resource, scope, data point or key-value list: the `KeyValue` entries of one repeated field
/// of a message, in the order they were sent, read lazily from the body.
public struct OTLPAttributes: Sequence {
    let bytes: UnsafeRawBufferPointer
    let range: Range<Int>
    let fieldNumber: UInt32

    /// No attributes.
    public static var none: OTLPAttributes {
        OTLPAttributes(bytes: UnsafeRawBufferPointer(start: nil, count: 0), range: 0..<0, fieldNumber: 1)
    }

    public var isEmpty: Bool {
        var iterator = makeIterator()
        return iterator.next() == nil
    }

    public func makeIterator() -> Iterator { Iterator(fields: CheckedFields(bytes, range), fieldNumber: fieldNumber) }

    public struct Iterator: IteratorProtocol {
        var fields: CheckedFields
        let fieldNumber: UInt32

        public mutating func next() -> OTLPAttribute? {
            while let field = fields.next() {
                guard field.number == fieldNumber, field.wireType == .lengthDelimited else { continue }
                var key = UnsafeRawBufferPointer(start: nil, count: 0)
                var value = OTLPAnyValue.empty
                var entry = CheckedFields(fields.reader.bytes, field.range)
                while let part = entry.next() {
                    guard part.wireType == .lengthDelimited else { continue }
                    if part.number == 1 {
                        key = fields.reader.bytes.slice(part.range)
                    } else if part.number == 2 {
                        value = OTLPAnyValue(checked: fields.reader.bytes, part.range)
                    }
                }
                return OTLPAttribute(key: key, value: value)
            }
            return nil
        }
    }
}

/// The values of an array attribute, read lazily from the body.
public struct OTLPArrayValue: Sequence {
    let bytes: UnsafeRawBufferPointer
    let range: Range<Int>

    public func makeIterator() -> Iterator { Iterator(fields: CheckedFields(bytes, range)) }

    public struct Iterator: IteratorProtocol {
        var fields: CheckedFields

        public mutating func next() -> OTLPAnyValue? {
            while let field = fields.next() {
                guard field.number == 1, field.wireType == .lengthDelimited else { continue }
                return OTLPAnyValue(checked: fields.reader.bytes, field.range)
            }
            return nil
        }
    }
}

/// The elements of a repeated scalar field, packed or not (or both, in pieces), read lazily from the body.
struct RepeatedScalarIterator {
    var fields: CheckedFields
    let fieldNumber: UInt32
    /// Whether the elements are fixed64 (else varints).
    let isFixed64: Bool
    /// The packed run being read, if any.
    var packed: ProtobufReader?

    init(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ fieldNumber: UInt32, isFixed64: Bool) {
        fields = CheckedFields(bytes, range)
        self.fieldNumber = fieldNumber
        self.isFixed64 = isFixed64
    }

    mutating func next() -> UInt64? {
        while true {
            if var run = packed {
                if !run.isAtEnd, let value = try? (isFixed64 ? run.readFixed64() : run.readVarint()) {
                    packed = run
                    return value
                }
                packed = nil
            }
            guard let field = fields.next() else { return nil }
            guard field.number == fieldNumber else { continue }
            switch field.wireType {
            case .lengthDelimited: packed = ProtobufReader(fields.reader.bytes, field.range)
            case .fixed64 where isFixed64: return field.value
            case .varint where !isFixed64: return field.value
            default: continue
            }
        }
    }
}

/// The elements of a repeated `fixed64` or `uint64` field (bucket counts), in order.
public struct OTLPRepeatedUInt64: Sequence {
    let bytes: UnsafeRawBufferPointer
    let range: Range<Int>
    let fieldNumber: UInt32
    let isFixed64: Bool
    /// The number of elements.
    public let count: Int

    static var none: OTLPRepeatedUInt64 {
        OTLPRepeatedUInt64(
            bytes: UnsafeRawBufferPointer(start: nil, count: 0), range: 0..<0, fieldNumber: 1, isFixed64: true,
            count: 0)
    }

    public var isEmpty: Bool { count == 0 }

    public func makeIterator() -> Iterator {
        Iterator(base: RepeatedScalarIterator(bytes, range, fieldNumber, isFixed64: isFixed64))
    }

    public struct Iterator: IteratorProtocol {
        var base: RepeatedScalarIterator
        public mutating func next() -> UInt64? { base.next() }
    }
}

/// The elements of a repeated `double` field (explicit bounds), in order.
public struct OTLPRepeatedDouble: Sequence {
    let bytes: UnsafeRawBufferPointer
    let range: Range<Int>
    let fieldNumber: UInt32
    /// The number of elements.
    public let count: Int

    public var isEmpty: Bool { count == 0 }

    public func makeIterator() -> Iterator {
        Iterator(base: RepeatedScalarIterator(bytes, range, fieldNumber, isFixed64: true))
    }

    public struct Iterator: IteratorProtocol {
        var base: RepeatedScalarIterator
        public mutating func next() -> Double? { base.next().map { Double(bitPattern: $0) } }
    }
}

/// The `quantile_values` of a summary data point, in the order sent.
public struct OTLPQuantileValues: Sequence {
    let bytes: UnsafeRawBufferPointer
    let range: Range<Int>
    /// The number of quantiles.
    public let count: Int

    public struct Element: Hashable, Sendable {
        public var quantile: Double
        public var value: Double
    }

    public func makeIterator() -> Iterator { Iterator(fields: CheckedFields(bytes, range)) }

    public struct Iterator: IteratorProtocol {
        var fields: CheckedFields

        public mutating func next() -> Element? {
            while let field = fields.next() {
                guard field.number == 6, field.wireType == .lengthDelimited else { continue }
                var element = Element(quantile: 0, value: 0)
                var parts = CheckedFields(fields.reader.bytes, field.range)
                while let part = parts.next() {
                    guard part.wireType == .fixed64 else { continue }
                    if part.number == 1 { element.quantile = Double(bitPattern: part.value) }
                    if part.number == 2 { element.value = Double(bitPattern: part.value) }
                }
                return element
            }
            return nil
        }
    }
}

/// The resource of a `ResourceMetrics`.
public struct OTLPResource {
    public var attributes: OTLPAttributes
    public var droppedAttributesCount: UInt32
    /// The `schema_url` of the enclosing `ResourceMetrics` (empty when absent).
    public var schemaURL: UnsafeRawBufferPointer
}

/// The instrumentation scope of a `ScopeMetrics`.
public struct OTLPScope {
    public var name: UnsafeRawBufferPointer
    public var version: UnsafeRawBufferPointer
    public var attributes: OTLPAttributes
    public var droppedAttributesCount: UInt32
    /// The `schema_url` of the enclosing `ScopeMetrics` (empty when absent).
    public var schemaURL: UnsafeRawBufferPointer
}

/// The kind of data a metric carries (the `data` oneof of `Metric`).
public enum OTLPMetricKind: Hashable, Sendable {
    /// No data set: the metric has no points.
    case none
    case gauge
    case sum
    case histogram
    case exponentialHistogram
    case summary
}

/// `AggregationTemporality`, as sent (values other than the three known ones are kept).
public struct OTLPAggregationTemporality: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let unspecified = OTLPAggregationTemporality(rawValue: 0)
    public static let delta = OTLPAggregationTemporality(rawValue: 1)
    public static let cumulative = OTLPAggregationTemporality(rawValue: 2)
}

/// A metric's description, before its points.
public struct OTLPMetric {
    public var name: UnsafeRawBufferPointer
    public var description: UnsafeRawBufferPointer
    public var unit: UnsafeRawBufferPointer
    public var metadata: OTLPAttributes
    public var kind: OTLPMetricKind
    /// For sums and (exponential) histograms; ``OTLPAggregationTemporality/unspecified`` for the others.
    public var aggregationTemporality: OTLPAggregationTemporality
    /// For sums only.
    public var isMonotonic: Bool
    /// The number of data points that follow.
    public var dataPointCount: Int
}

/// Where a data point belongs: its resource, scope and metric.
public struct OTLPMetricContext {
    public var resource: OTLPResource
    public var scope: OTLPScope
    public var metric: OTLPMetric
}

/// The `flags` of a data point.
public struct OTLPDataPointFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK`: the point marks a series that has no value any more (staleness).
    public static let noRecordedValue = OTLPDataPointFlags(rawValue: 1)
}

/// The value of a number data point.
public enum OTLPNumberValue: Hashable, Sendable {
    case double(Double)
    case int(Int64)

    /// The value as a double (an integer above 2^53 is rounded).
    public var doubleValue: Double {
        switch self {
        case .double(let value): value
        case .int(let value): Double(value)
        }
    }
}

/// A point of a gauge or a sum (`NumberDataPoint`).
public struct OTLPNumberDataPoint {
    public var attributes: OTLPAttributes
    public var startTimeUnixNano: UInt64
    public var timeUnixNano: UInt64
    /// Nil when neither `as_double` nor `as_int` was sent.
    public var value: OTLPNumberValue?
    public var flags: OTLPDataPointFlags
    /// The number of exemplars sent with the point (they are skipped, not read).
    public var exemplarCount: Int
}

/// A point of an explicit-bucket histogram (`HistogramDataPoint`).
public struct OTLPHistogramDataPoint {
    public var attributes: OTLPAttributes
    public var startTimeUnixNano: UInt64
    public var timeUnixNano: UInt64
    public var count: UInt64
    public var sum: Double?
    /// The count in each bucket (not cumulative); `explicitBounds.count + 1` of them, or none.
    public var bucketCounts: OTLPRepeatedUInt64
    public var explicitBounds: OTLPRepeatedDouble
    public var flags: OTLPDataPointFlags
    public var min: Double?
    public var max: Double?
    /// The number of exemplars sent with the point (they are skipped, not read).
    public var exemplarCount: Int
}

/// The positive or negative buckets of an exponential histogram point.
public struct OTLPExponentialBuckets {
    /// The index of the first bucket: bucket `i` of `bucketCounts` covers (base^(offset+i), base^(offset+i+1)].
    public var offset: Int32
    public var bucketCounts: OTLPRepeatedUInt64

    static var none: OTLPExponentialBuckets { OTLPExponentialBuckets(offset: 0, bucketCounts: .none) }
}

/// A point of an exponential histogram (`ExponentialHistogramDataPoint`).
public struct OTLPExponentialHistogramDataPoint {
    public var attributes: OTLPAttributes
    public var startTimeUnixNano: UInt64
    public var timeUnixNano: UInt64
    public var count: UInt64
    public var sum: Double?
    public var scale: Int32
    public var zeroCount: UInt64
    public var positive: OTLPExponentialBuckets
    public var negative: OTLPExponentialBuckets
    public var flags: OTLPDataPointFlags
    public var min: Double?
    public var max: Double?
    public var zeroThreshold: Double
    /// The number of exemplars sent with the point (they are skipped, not read).
    public var exemplarCount: Int
}

/// A point of a summary (`SummaryDataPoint`).
public struct OTLPSummaryDataPoint {
    public var attributes: OTLPAttributes
    public var startTimeUnixNano: UInt64
    public var timeUnixNano: UInt64
    public var count: UInt64
    public var sum: Double
    public var quantileValues: OTLPQuantileValues
    public var flags: OTLPDataPointFlags
}

extension UnsafeRawBufferPointer {
    /// The bytes in `range`, as a buffer of their own.
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[range])
    }
}
