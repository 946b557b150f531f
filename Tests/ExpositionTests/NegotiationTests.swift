import Exposition
import Testing

@Suite("Content negotiation")
struct NegotiationTests {
    /// Prometheus 2.42's scrape Accept header (`scrapeAcceptHeader` in scrape/scrape.go, also in the binary of
    /// Debian's prometheus 2.42.0).
    static let prometheus2 =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
        + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    /// Prometheus 2.42's header with the native-histograms feature flag, which offers protobuf first.
    static let prometheus2Protobuf =
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
        + "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,"
        + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    /// Prometheus 3's default scrape Accept header.
    static let prometheus3 =
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
        + "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
        + "text/plain;version=0.0.4;q=0.2,*/*;q=0.1"

    @Test(
        "Accept headers",
        arguments: [
            (prometheus2, ExpositionFormat.openMetrics100),
            (prometheus2Protobuf, .openMetrics100),
            (prometheus3, .openMetrics100),
            ("*/*", .prometheusText004),  // curl
            ("text/plain", .prometheusText004),
            ("text/plain;version=0.0.4", .prometheusText004),
            ("text/*", .prometheusText004),
            ("application/openmetrics-text", .openMetrics100),
            ("application/openmetrics-text; version=1.0.0; charset=utf-8", .openMetrics100),
            // Case-insensitive types and parameter names, whitespace anywhere it may be.
            ("APPLICATION/OpenMetrics-Text ; VERSION = 1.0.0 ; Q = 0.9 , text/plain ; q=0.5", .openMetrics100),
            ("\tapplication/openmetrics-text\t;\tversion=\"1.0.0\"", .openMetrics100),
            // The highest q wins wherever it is; ties go to the earlier entry.
            ("text/plain;q=0.5,application/openmetrics-text;q=0.6", .openMetrics100),
            ("application/openmetrics-text;q=0.5,text/plain;q=0.6", .prometheusText004),
            ("application/openmetrics-text;q=0.5,text/plain;q=0.5", .openMetrics100),
            ("text/plain;q=0.5,application/openmetrics-text;q=0.5", .prometheusText004),
            ("application/openmetrics-text;q=0.501,text/plain;q=0.5", .openMetrics100),
            // q=0 means "not acceptable"; nothing acceptable falls back to 0.0.4.
            ("application/openmetrics-text;q=0", .prometheusText004),
            ("application/openmetrics-text;q=0.000,text/plain;q=0.001", .prometheusText004),
            ("application/openmetrics-text;q=0, */*;q=0.1", .prometheusText004),
            // Versions this exposer does not speak.
            ("application/openmetrics-text;version=0.0.1", .prometheusText004),
            ("application/openmetrics-text;version=2.0.0,text/plain;version=1.0.0", .prometheusText004),
            ("text/plain;version=1.0.0;escaping=allow-utf-8,application/openmetrics-text;q=0.1", .openMetrics100),
            // Types this exposer does not serve.
            ("application/json", .prometheusText004),
            ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily", .prometheusText004),
            ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", .prometheusText004),
            // Malformed weights make an entry unacceptable; weights above 1 count as 1.
            ("application/openmetrics-text;q=abc", .prometheusText004),
            ("application/openmetrics-text;q=", .prometheusText004),
            ("application/openmetrics-text;q=-1", .prometheusText004),
            ("application/openmetrics-text;q=0.5x,text/plain;q=0.1", .prometheusText004),
            ("application/openmetrics-text;q=7,text/plain", .openMetrics100),
            ("application/openmetrics-text;q=1.0001,text/plain;q=1", .openMetrics100),
            ("application/openmetrics-text;q=0.99999,text/plain;q=0.9991", .openMetrics100),
            // Garbage.
            ("", .prometheusText004),
            (",,, ;;; ,", .prometheusText004),
            ("application/openmetrics-text;version=\"1.0.0,text/plain", .prometheusText004),
            ("\u{0}\u{1}\u{7f}", .prometheusText004),
            (";version=1.0.0", .prometheusText004),
            ("application/openmetrics-textextra", .prometheusText004),
            ("application/openmetrics-text;;version;=;q", .openMetrics100),
            ("text/plain;charset=\"utf-8;,\",application/openmetrics-text;q=0.9", .prometheusText004),
        ] as [(String, ExpositionFormat)])
    func accept(header: String, expected: ExpositionFormat) {
        #expect(ExpositionFormat.negotiate(accept: header) == expected)
        #expect(ExpositionFormat.negotiate(accept: Array(header.utf8)) == expected)
        // A collection without contiguous storage takes the copying path.
        #expect(ExpositionFormat.negotiate(accept: header.utf8.lazy.map { $0 }) == expected)
    }

    @Test("no Accept header gets text 0.0.4")
    func noHeader() {
        #expect(ExpositionFormat.negotiate(accept: nil as String?) == .prometheusText004)
    }

    @Test("content types are client_golang's")
    func contentTypes() {
        #expect(ExpositionFormat.prometheusText004.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(
            ExpositionFormat.openMetrics100.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    }

    @Test(
        "Accept-Encoding headers",
        arguments: [
            ("gzip", ContentCoding.gzip),
            ("gzip, deflate, br", .gzip),  // curl --compressed, browsers
            ("GZIP", .gzip),
            ("x-gzip", .gzip),
            ("deflate, gzip;q=1.0, *;q=0.5", .gzip),
            ("*", .gzip),
            ("*;q=0.1", .gzip),
            ("identity", .identity),
            ("deflate, br", .identity),
            ("", .identity),
            ("gzip;q=0", .identity),
            ("gzip;q=0.000", .identity),
            ("gzip;q=0, *", .identity),
            ("*, gzip;q=0", .identity),
            ("*;q=0", .identity),
            ("gzip;q=0.001", .gzip),
            ("gzip;q=garbage", .identity),
            (" , gzip ; q = 0.5 , ", .gzip),
            ("gzipped", .identity),
        ] as [(String, ContentCoding)])
    func acceptEncoding(header: String, expected: ContentCoding) {
        #expect(ContentCoding.negotiate(acceptEncoding: header) == expected)
        #expect(ContentCoding.negotiate(acceptEncoding: Array(header.utf8)) == expected)
    }

    @Test("no Accept-Encoding header gets identity, which has no Content-Encoding header")
    func noEncodingHeader() {
        #expect(ContentCoding.negotiate(acceptEncoding: nil as String?) == .identity)
        #expect(ContentCoding.identity.headerValue == nil)
        #expect(ContentCoding.gzip.headerValue == "gzip")
    }
}
