import ProtobufWire

/// An attribute value to encode (`AnyValue`).
public indirect enum OTLPAttributeValue: Hashable, Sendable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case bytes([UInt8])
    case array([OTLPAttributeValue])
    case keyValueList([OTLPKeyValue])
}

/// An attribute to encode (`KeyValue`).
public struct OTLPKeyValue: Hashable, Sendable {
    public var key: String
    public var value: OTLPAttributeValue

    public init(_ key: String, _ value: OTLPAttributeValue) {
        self.key = key
        self.value = value
    }
}

/// Writes an `ExportMetricsServiceRequest` in protobuf, streaming: open a resource, a scope in it, a metric in
/// that, write its points, and close them in turn. Gauges, sums and explicit-bucket histograms are written; the
/// output is canonical protobuf (what opentelemetry-proto's classes read, and what ``OTLPMetricsDecoder`` reads).
///
/// Misuse (a point outside a metric of its kind, closing what is not open) is a programming error and traps.
public struct OTLPMetricsEncoder: Sendable {
    /// The data of a metric being written.
    public enum MetricData: Hashable, Sendable {
        case gauge
        case sum(temporality: OTLPAggregationTemporality, isMonotonic: Bool)
        case histogram(temporality: OTLPAggregationTemporality)
    }

    private var writer: ProtobufWriter
    private var resourceToken: Int?
    private var scopeToken: Int?
    private var metricToken: Int?
    private var dataToken: Int?
    private var data: MetricData?

    public init(reservingCapacity capacity: Int = 4096) {
        writer = ProtobufWriter(reservingCapacity: capacity)
    }

    /// The request written so far; complete once every resource is closed.
    public var bytes: [UInt8] {
        precondition(resourceToken == nil, "a resource is still open")
        return writer.bytes
    }

    /// Opens a `ResourceMetrics` with its resource.
    public mutating func beginResource(attributes: [OTLPKeyValue], schemaURL: String = "") {
        precondition(resourceToken == nil, "a resource is already open")
        resourceToken = writer.beginField(1)
        let resource = writer.beginField(1)
        for attribute in attributes { writeKeyValue(1, attribute) }
        writer.endField(resource)
        if !schemaURL.isEmpty { writer.stringField(3, schemaURL) }
    }

    public mutating func endResource() {
        precondition(scopeToken == nil, "a scope is still open")
        writer.endField(resourceToken!)
        resourceToken = nil
    }

    /// Opens a `ScopeMetrics` with its instrumentation scope.
    public mutating func beginScope(name: String, version: String = "", attributes: [OTLPKeyValue] = []) {
        precondition(resourceToken != nil && scopeToken == nil, "a scope opens inside a resource")
        scopeToken = writer.beginField(2)
        let scope = writer.beginField(1)
        if !name.isEmpty { writer.stringField(1, name) }
        if !version.isEmpty { writer.stringField(2, version) }
        for attribute in attributes { writeKeyValue(3, attribute) }
        writer.endField(scope)
    }

    public mutating func endScope() {
        precondition(metricToken == nil, "a metric is still open")
        writer.endField(scopeToken!)
        scopeToken = nil
    }

    /// Opens a metric; its points follow.
    public mutating func beginMetric(name: String, description: String = "", unit: String = "", data: MetricData) {
        precondition(scopeToken != nil && metricToken == nil, "a metric opens inside a scope")
        metricToken = writer.beginField(2)
        writer.stringField(1, name)
        if !description.isEmpty { writer.stringField(2, description) }
        if !unit.isEmpty { writer.stringField(3, unit) }
        switch data {
        case .gauge: dataToken = writer.beginField(5)
        case .sum: dataToken = writer.beginField(7)
        case .histogram: dataToken = writer.beginField(9)
        }
        self.data = data
    }

    public mutating func endMetric() {
        switch data! {
        case .gauge: break
        case .sum(let temporality, let isMonotonic):
            if temporality != .unspecified { writer.varintField(2, UInt64(bitPattern: Int64(temporality.rawValue))) }
            if isMonotonic { writer.varintField(3, 1) }
        case .histogram(let temporality):
            if temporality != .unspecified { writer.varintField(2, UInt64(bitPattern: Int64(temporality.rawValue))) }
        }
        writer.endField(dataToken!)
        writer.endField(metricToken!)
        (dataToken, metricToken, data) = (nil, nil, nil)
    }

    /// A point of the open gauge or sum.
    public mutating func numberDataPoint(
        attributes: [OTLPKeyValue] = [], startTimeUnixNano: UInt64 = 0, timeUnixNano: UInt64, value: OTLPNumberValue,
        flags: OTLPDataPointFlags = []
    ) {
        switch data {
        case .gauge, .sum: break
        default: preconditionFailure("a number point belongs to a gauge or a sum")
        }
        let point = writer.beginField(1)
        if startTimeUnixNano != 0 { writer.fixed64Field(2, startTimeUnixNano) }
        if timeUnixNano != 0 { writer.fixed64Field(3, timeUnixNano) }
        switch value {
        case .double(let double): writer.doubleField(4, double)
        case .int(let int): writer.fixed64Field(6, UInt64(bitPattern: int))
        }
        for attribute in attributes { writeKeyValue(7, attribute) }
        if flags.rawValue != 0 { writer.varintField(8, UInt64(flags.rawValue)) }
        writer.endField(point)
    }

    /// A point of the open histogram: `bucketCounts` (not cumulative) has `explicitBounds.count + 1` elements.
    public mutating func histogramDataPoint(
        attributes: [OTLPKeyValue] = [], startTimeUnixNano: UInt64 = 0, timeUnixNano: UInt64, count: UInt64,
        sum: Double?, bucketCounts: [UInt64], explicitBounds: [Double], min: Double? = nil, max: Double? = nil,
        flags: OTLPDataPointFlags = []
    ) {
        guard case .histogram = data else { preconditionFailure("a histogram point belongs to a histogram") }
        let point = writer.beginField(1)
        if startTimeUnixNano != 0 { writer.fixed64Field(2, startTimeUnixNano) }
        if timeUnixNano != 0 { writer.fixed64Field(3, timeUnixNano) }
        if count != 0 { writer.fixed64Field(4, count) }
        if let sum { writer.doubleField(5, sum) }
        if !bucketCounts.isEmpty {
            writer.tag(6, .lengthDelimited)
            writer.varint(UInt64(bucketCounts.count * 8))
            for bucket in bucketCounts { writer.fixed64(bucket) }
        }
        if !explicitBounds.isEmpty {
            writer.tag(7, .lengthDelimited)
            writer.varint(UInt64(explicitBounds.count * 8))
            for bound in explicitBounds { writer.fixed64(bound.bitPattern) }
        }
        for attribute in attributes { writeKeyValue(9, attribute) }
        if flags.rawValue != 0 { writer.varintField(10, UInt64(flags.rawValue)) }
        if let min { writer.doubleField(11, min) }
        if let max { writer.doubleField(12, max) }
        writer.endField(point)
    }

    private mutating func writeKeyValue(_ number: UInt32, _ attribute: OTLPKeyValue) {
        let token = writer.beginField(number)
        if !attribute.key.isEmpty { writer.stringField(1, attribute.key) }
        let value = writer.beginField(2)
        writeAnyValue(attribute.value)
        writer.endField(value)
        writer.endField(token)
    }

    private mutating func writeAnyValue(_ value: OTLPAttributeValue) {
        switch value {
        case .string(let string): writer.stringField(1, string)
        case .bool(let bool): writer.varintField(2, bool ? 1 : 0)
        case .int(let int): writer.varintField(3, UInt64(bitPattern: int))
        case .double(let double): writer.doubleField(4, double)
        case .array(let values):
            let array = writer.beginField(5)
            for element in values {
                let token = writer.beginField(1)
                writeAnyValue(element)
                writer.endField(token)
            }
            writer.endField(array)
        case .keyValueList(let pairs):
            let list = writer.beginField(6)
            for pair in pairs { writeKeyValue(1, pair) }
            writer.endField(list)
        case .bytes(let bytes): writer.bytesField(7, bytes)
        }
    }
}
