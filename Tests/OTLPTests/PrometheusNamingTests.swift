import OTLP
import Testing

/// Cases from Prometheus' `otlptranslator` tests (metric_namer_test.go, label_namer_test.go, unit_namer_test.go),
/// strategy UnderscoreEscapingWithSuffixes.
@Suite struct PrometheusNamingTests {
    @Test(arguments: [
        ("requests", "", PrometheusNaming.MetricType.monotonicCounter, "", "requests_total"),
        ("cpu_usage", "1", .gauge, "", "cpu_usage_ratio"),
        ("items", "1", .monotonicCounter, "", "items_total"),
        ("response_time", "ms", .gauge, "", "response_time_milliseconds"),
        ("memory_usage", "By", .gauge, "", "memory_usage_bytes"),
        ("requests", "1/s", .gauge, "", "requests_per_second"),
        ("throughput", "By/s", .gauge, "", "throughput_bytes_per_second"),
        ("custom_metric", "custom_unit", .gauge, "", "custom_metric_custom_unit"),
        ("custom_metric", "{custom}", .gauge, "", "custom_metric"),
        ("custom_metric", "By/{custom}", .gauge, "", "custom_metric_bytes"),
        ("requests_total", "", .monotonicCounter, "", "requests_total"),
        ("cpu_usage_ratio", "1", .gauge, "", "cpu_usage_ratio"),
        ("response_time_seconds", "s", .gauge, "", "response_time_seconds"),
        ("requests", "1/s", .monotonicCounter, "app", "app_requests_per_second_total"),
        ("123_requests", "", .monotonicCounter, "app", "app_123_requests_total"),
        ("123_requests", "", .monotonicCounter, "", "_123_requests_total"),
        (
            "metric__with__multiple__underscores", "unit__multiple__underscores", .gauge, "",
            "metric_with_multiple_underscores_unit_multiple_underscores"
        ),
        ("custom_metric", "unit@with#special/chars", .gauge, "", "custom_metric_unit_with_special_per_chars"),
        ("request_duration", "s", .histogram, "", "request_duration_seconds"),
        ("request_size", "By", .exponentialHistogram, "", "request_size_bytes"),
        ("response_time", "ms", .summary, "", "response_time_milliseconds"),
        ("active_connections", "", .nonMonotonicCounter, "", "active_connections"),
        ("unknown_metric", "", .unknown, "", "unknown_metric"),
        ("uptime", "d", .gauge, "", "uptime_days"), ("duration", "h", .gauge, "", "duration_hours"),
        ("timeout", "min", .gauge, "", "timeout_minutes"), ("latency", "us", .gauge, "", "latency_microseconds"),
        ("precision_time", "ns", .gauge, "", "precision_time_nanoseconds"),
        ("cache_size", "KiBy", .gauge, "", "cache_size_kibibytes"), ("memory", "MiBy", .gauge, "", "memory_mebibytes"),
        ("http.server.request.duration", "s", .histogram, "", "http_server_request_duration_seconds"),
        ("system.cpu.utilization", "1", .gauge, "", "system_cpu_utilization_ratio"),
        ("metric@with#special", "", .gauge, "", "metric_with_special"),
        ("__leading__and__trailing__", "", .gauge, "", "leading_and_trailing"),
        ("a:b", "", .gauge, "", "a:b"), ("ünïcödé.name", "", .gauge, "", "n_c_d_name"),
        ("disk.io", "By", .monotonicCounter, "", "disk_io_bytes_total"),
        ("queue.depth", "{item}", .gauge, "", "queue_depth"),
        ("temperature", "Cel", .gauge, "", "temperature_celsius"), ("load", "%", .gauge, "", "load_percent"),
        ("rate", "m/w", .gauge, "", "rate_meters_per_week"), ("rate", "1/mo", .gauge, "", "rate_per_month"),
        ("rate", "/y", .gauge, "", "rate_per_year"),
    ])
    func metricNameFollowsOtlptranslator(
        _ name: String, _ unit: String, _ type: PrometheusNaming.MetricType, _ namespace: String,
        _ expected: String
    ) {
        #expect(PrometheusNaming.metricName(name, unit: unit, type: type, namespace: namespace) == expected)
    }

    @Test(arguments: ["", "@#$%", "___"])
    func metricNameWithNothingLeftIsRefused(_ name: String) {
        #expect(PrometheusNaming.metricName(name, unit: "", type: .gauge) == nil)
    }

    @Test(arguments: [
        ("s", "seconds"), ("By/s", "bytes_per_second"), ("requests/s", "requests_per_second"), ("1", ""),
        ("{packet}", ""), ("KiBy", "kibibytes"), ("1/s", "per_second"),
        ("unit__multiple__underscores", "unit_multiple_underscores"),
    ])
    func unitNameFollowsOtlptranslator(_ unit: String, _ expected: String) {
        #expect(PrometheusNaming.unitName(unit) == expected)
    }

    @Test(arguments: [
        ("label:with:colons", "label_with_colons"), ("LabelWithCapitalLetters", "LabelWithCapitalLetters"),
        ("label!with&special$chars)", "label_with_special_chars_"),
        ("label_with_foreign_characters_字符", "label_with_foreign_characters___"),
        ("label.with.dots", "label_with_dots"), ("123label", "key_123label"),
        ("_label_starting_with_underscore", "_label_starting_with_underscore"),
        ("__label_starting_with_2underscores", "__label_starting_with_2underscores"),
        ("regular label", "regular_label"), ("service.name", "service_name"),
    ])
    func labelNameFollowsOtlptranslator(_ key: String, _ expected: String) {
        #expect(PrometheusNaming.labelName(key) == expected)
    }

    @Test(arguments: ["", "__", "ようこそ"])
    func labelNameWithNothingLeftIsRefused(_ key: String) {
        #expect(PrometheusNaming.labelName(key) == nil)
    }

    @Test func jobJoinsNamespaceAndServiceName() {
        #expect(PrometheusNaming.job(serviceName: "checkout", serviceNamespace: "shop") == "shop/checkout")
        #expect(PrometheusNaming.job(serviceName: "checkout", serviceNamespace: nil) == "checkout")
        #expect(PrometheusNaming.job(serviceName: nil, serviceNamespace: "shop") == nil)
        #expect(PrometheusNaming.instance(serviceInstanceID: "pod-7") == "pod-7")
    }
}
