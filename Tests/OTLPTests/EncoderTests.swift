import OTLP
import Testing

/// The request encoder, checked by decoding what it wrote; and the response bodies, against protobuf's output.
@Suite struct EncoderTests {
    static func encodedRequest(metricCount: Int = 1, longName: Bool = false) -> [UInt8] {
        var encoder = OTLPMetricsEncoder()
        encoder.beginResource(
            attributes: [
                OTLPKeyValue("service.name", .string("tally")), OTLPKeyValue("pid", .int(-42)),
                OTLPKeyValue("debug", .bool(false)), OTLPKeyValue("load", .double(0.5)),
                OTLPKeyValue("raw", .bytes([0, 255])),
                OTLPKeyValue("list", .array([.string("a"), .array([.int(1)])])),
                OTLPKeyValue("map", .keyValueList([OTLPKeyValue("k", .string("v"))])),
            ], schemaURL: "https://opentelemetry.io/schemas/1.24.0")
        encoder.beginScope(name: "tally", version: "0.1", attributes: [OTLPKeyValue("scope", .string("s"))])
        for index in 0..<metricCount {
            let name = longName ? String(repeating: "n", count: 300) : "queue.depth.\(index)"
            encoder.beginMetric(name: name, description: "Items.", unit: "{item}", data: .gauge)
            encoder.numberDataPoint(
                attributes: [OTLPKeyValue("queue", .string("in"))], timeUnixNano: 1_700_000_000_000_000_000,
                value: .double(12.5))
            encoder.numberDataPoint(timeUnixNano: 2, value: .int(-7), flags: .noRecordedValue)
            encoder.endMetric()
        }
        encoder.beginMetric(name: "requests", unit: "1", data: .sum(temporality: .cumulative, isMonotonic: true))
        encoder.numberDataPoint(startTimeUnixNano: 1, timeUnixNano: 3, value: .int(Int64.max))
        encoder.endMetric()
        encoder.beginMetric(name: "delta", data: .sum(temporality: .delta, isMonotonic: false))
        encoder.endMetric()
        encoder.beginMetric(name: "duration", unit: "s", data: .histogram(temporality: .cumulative))
        encoder.histogramDataPoint(
            attributes: [OTLPKeyValue("route", .string("/"))], startTimeUnixNano: 1, timeUnixNano: 4, count: 6,
            sum: 3.25, bucketCounts: [1, 2, 3], explicitBounds: [0.5, 1], min: 0.1, max: 2)
        encoder.histogramDataPoint(timeUnixNano: 5, count: 0, sum: nil, bucketCounts: [], explicitBounds: [])
        encoder.endMetric()
        encoder.endScope()
        encoder.endResource()
        encoder.beginResource(attributes: [])
        encoder.endResource()
        return encoder.bytes
    }

    @Test func encodedRequestDecodesToWhatWasWritten() throws {
        let lines = try protobufDump(Self.encodedRequest())
        let resource =
            "metric resource={service.name=s:tally,pid=i:-42,debug=b:false,load=d:0.5,raw=x:00ff,list=a:[s:a,a:[i:1]],"
            + "map=m:{k=s:v}} schema=https://opentelemetry.io/schemas/1.24.0 scope=tally@0.1{scope=s:s}"
        #expect(
            lines == [
                resource
                    + " name=queue.depth.0 desc=Items. unit={item} kind=gauge temporality=0 monotonic=false points=2"
                    + " metadata={}",
                "  number {queue=s:in} start=0 time=1700000000000000000 value=d:12.5 flags=0",
                "  number {} start=0 time=2 value=i:-7 flags=1",
                resource + " name=requests desc= unit=1 kind=sum temporality=2 monotonic=true points=1 metadata={}",
                "  number {} start=1 time=3 value=i:9223372036854775807 flags=0",
                resource + " name=delta desc= unit= kind=sum temporality=1 monotonic=false points=0 metadata={}",
                resource
                    + " name=duration desc= unit=s kind=histogram temporality=2 monotonic=false points=2 metadata={}",
                "  histogram {route=s:/} start=1 time=4 count=6 sum=3.25 buckets=[1,2,3] bounds=[0.5,1.0] min=0.1 max=2.0"
                    + " flags=0",
                "  histogram {} start=0 time=5 count=0 sum=none buckets=[] bounds=[] min=none max=none flags=0",
            ])
    }

    /// Messages longer than 127 bytes need lengths of several bytes, written after their contents.
    @Test func longMessagesRoundTrip() throws {
        let lines = try protobufDump(Self.encodedRequest(metricCount: 200, longName: true))
        #expect(lines.count == 200 * 3 + 6)
        #expect(lines[0].contains(" name=" + String(repeating: "n", count: 300) + " "))
    }

    /// Lengths are written in as few bytes as they need (the writer moves a message's contents when its length
    /// outgrows the one byte it reserved).
    @Test func lengthsAreMinimal() {
        let bytes = Self.encodedRequest(metricCount: 3)
        #expect(bytes[0] == 0x0A)
        #expect(bytes[1] & 0x80 != 0 && bytes[2] & 0x80 == 0)  // a two-byte length for the first ResourceMetrics
    }

    @Test func fullSuccessResponseIsEmpty() {
        #expect(OTLPResponse.exportMetricsServiceResponse() == [])
        #expect(OTLPResponse.exportMetricsServiceResponseJSON() == Array("{}".utf8))
    }

    @Test func partialSuccessResponseMatchesProtobuf() {
        // From opentelemetry-proto: ExportMetricsServiceResponse(partial_success=(5, "bad \"point\"\n")).
        #expect(
            OTLPResponse.exportMetricsServiceResponse(rejectedDataPoints: 5, errorMessage: "bad \"point\"\n") == [
                10, 16, 8, 5, 18, 12, 98, 97, 100, 32, 34, 112, 111, 105, 110, 116, 34, 10,
            ])
        #expect(
            OTLPResponse.exportMetricsServiceResponse(rejectedDataPoints: -1) == [
                10, 11, 8, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1,
            ])
        #expect(
            String(
                decoding: OTLPResponse.exportMetricsServiceResponseJSON(
                    rejectedDataPoints: 5, errorMessage: "bad \"point\"\n"), as: UTF8.self)
                == #"{"partialSuccess":{"rejectedDataPoints":"5","errorMessage":"bad \"point\"\n"}}"#)
    }

    @Test func statusIsWrittenInBothForms() {
        let detail = OTLPResponse.StatusDetail(typeURL: "type.googleapis.com/x.Y", value: [1, 2, 3])
        #expect(
            OTLPResponse.status(code: 3, message: "bad", details: [detail])
                == [0x08, 3, 0x12, 3] + Array("bad".utf8) + [0x1A, 30, 0x0A, 23] + Array("type.googleapis.com/x.Y".utf8)
                + [0x12, 3, 1, 2, 3])
        #expect(
            String(
                decoding: OTLPResponse.statusJSON(code: 3, message: "tab\there \u{1}", details: [detail]), as: UTF8.self
            )
                == #"{"code":3,"message":"tab\there \u0001","details":[{"@type":"type.googleapis.com/x.Y","value":"AQID"}]}"#
        )
    }
}
