/// A text format in which `/metrics` is exposed.
///
/// See prometheus/docs `exposition_formats.md` and `content_negotiation.md`, and the OpenMetrics 1.0 specification.
public enum ExpositionFormat: Sendable, Hashable, CaseIterable {
    /// The Prometheus text format 0.0.4, the format every scraper understands.
    case prometheusText004
    /// OpenMetrics 1.0.0 text: counter families without `_total` (their samples with it), `# UNIT`, `# EOF`.
    case openMetrics100

    /// The `Content-Type` of a response in this format, spelled as client_golang's expfmt spells it.
    public var contentType: String {
        switch self {
        case .prometheusText004: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics100: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// The format to answer a request with `Accept` header `accept`; text 0.0.4 when there is no header.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .prometheusText004 }
        return negotiate(accept: accept.utf8)
    }

    /// The format to answer a request whose `Accept` header has the bytes `accept`.
    ///
    /// Media ranges are weighed by their `q` (RFC 9110 §12.5.1): the highest weight wins and ties go to the earlier
    /// range; `q=0` means "not acceptable". `application/openmetrics-text` matches OpenMetrics when its `version`
    /// is `1.0.0` or absent, `text/plain` matches text 0.0.4 when its `version` is `0.0.4` or absent, and `text/*`
    /// and `*/*` match text 0.0.4. Types and parameter names are compared ignoring case. When nothing matches, the
    /// answer is text 0.0.4, the last resort of Prometheus' negotiation. Both Prometheus 2's header
    /// (`application/openmetrics-text;version=1.0.0,…;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`) and
    /// Prometheus 3's (`…openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,…`) get OpenMetrics.
    public static func negotiate<Header: Collection<UInt8>>(accept: Header) -> ExpositionFormat {
        var best: (format: ExpositionFormat, weight: Int)?
        HeaderList.forEachElement(in: accept) { element in
            guard let format = format(matching: element) else { return }
            let weight = element.weight
            if weight > best?.weight ?? 0 {
                best = (format, weight)
            }
        }
        return best?.format ?? .prometheusText004
    }

    /// The format a media range asks for, if it is one this exposer serves.
    private static func format(matching element: HeaderListElement) -> ExpositionFormat? {
        if element.valueEquals("application/openmetrics-text") {
            return versionMatches(element, "1.0.0") ? .openMetrics100 : nil
        }
        if element.valueEquals("text/plain") {
            return versionMatches(element, "0.0.4") ? .prometheusText004 : nil
        }
        if element.valueEquals("text/*") || element.valueEquals("*/*") {
            return .prometheusText004
        }
        return nil
    }

    private static func versionMatches(_ element: HeaderListElement, _ version: StaticString) -> Bool {
        guard let requested = element.parameter("version") else { return true }
        return HeaderList.equalsIgnoringCase(
            requested, UnsafeBufferPointer(start: version.utf8Start, count: version.utf8CodeUnitCount))
    }
}

/// The content coding of a response body.
public enum ContentCoding: Sendable, Hashable {
    case identity
    /// gzip (RFC 1952), produced by ``GzipCompressor``.
    case gzip

    /// The `Content-Encoding` header value; nil for identity, which is sent without the header.
    public var headerValue: String? {
        switch self {
        case .identity: nil
        case .gzip: "gzip"
        }
    }

    /// The coding to answer a request with `Accept-Encoding` header `acceptEncoding`; identity when there is none.
    public static func negotiate(acceptEncoding: String?) -> ContentCoding {
        guard let acceptEncoding else { return .identity }
        return negotiate(acceptEncoding: acceptEncoding.utf8)
    }

    /// The coding for an `Accept-Encoding` header with the bytes `acceptEncoding` (RFC 9110 §12.5.3): gzip when
    /// `gzip` (or its alias `x-gzip`) is listed with a weight above zero, or, when it is not listed, when `*` is;
    /// otherwise identity. `gzip;q=0` refuses gzip even when `*` is accepted.
    public static func negotiate<Header: Collection<UInt8>>(acceptEncoding: Header) -> ContentCoding {
        var gzipWeight: Int?
        var wildcardWeight: Int?
        HeaderList.forEachElement(in: acceptEncoding) { element in
            if element.valueEquals("gzip") || element.valueEquals("x-gzip") {
                gzipWeight = max(gzipWeight ?? 0, element.weight)
            } else if element.valueEquals("*") {
                wildcardWeight = max(wildcardWeight ?? 0, element.weight)
            }
        }
        return (gzipWeight ?? wildcardWeight ?? 0) > 0 ? .gzip : .identity
    }
}
