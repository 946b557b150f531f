import MetricsCore

/// A counter of HTTP responses by status code (`tally_http_requests_total{code}`, `tally_otlp_requests_total{code}`),
/// the label set of each code made once. Used on the event loop thread.
final class ResponseCounter {
    private let counter: Counter
    private var labelsByCode: [Int: LabelSet] = [:]

    init(registry: MetricRegistry, name: String, help: String) throws(MetricsError) {
        counter = try registry.makeCounter(name: name, help: help)
    }

    /// Counts one response with status `code`.
    func count(_ code: Int) {
        let labels: LabelSet
        if let cached = labelsByCode[code] {
            labels = cached
        } else {
            labels = LabelSet([Label("code", String(code))])
            labelsByCode[code] = labels
        }
        counter.add(1, labels: labels)
    }
}
