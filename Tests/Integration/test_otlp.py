"""The OTLP/HTTP receiver against the real OpenTelemetry Python SDK and hand-made bodies, over real sockets."""

import gzip
import json
import signal
import socket
import urllib.error
import urllib.request

import pytest
from conftest import eventually, free_port, sample_value

from google.protobuf.json_format import MessageToJson
from google.rpc import status_pb2
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)

SCOPE = {"otel_scope_name": "crypto_lakehouse", "otel_scope_version": "2.0.0"}
IDENTITY = {"job": "lakehouse/crypto-pipeline", "instance": "worker-1"}
ROUNDS = 3


def start_otlp(start_tally, *arguments):
    port = free_port()
    server = start_tally("--otlp.listen-address", f"127.0.0.1:{port}", *arguments)
    server.otlp_port = port
    server.otlp_url = f"http://127.0.0.1:{port}/v1/metrics"
    return server


def post(url, body, content_type="application/x-protobuf", headers=None, method="POST"):
    """Returns (status, headers, body) without raising on HTTP error statuses."""
    request = urllib.request.Request(url, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def run_seed_pipeline(endpoint, delta, compressed, rounds=ROUNDS):
    """The seed's section 8.2 instruments, exported by the SDK's OTLPMetricExporter after each round."""
    from opentelemetry import metrics
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider, ObservableGauge, UpDownCounter
    from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
    from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
    from opentelemetry.sdk.resources import Resource

    temporality = {}
    if delta:
        temporality = {
            Counter: AggregationTemporality.DELTA,
            UpDownCounter: AggregationTemporality.DELTA,
            Histogram: AggregationTemporality.DELTA,
            ObservableGauge: AggregationTemporality.CUMULATIVE,
        }
    exporter = OTLPMetricExporter(
        endpoint=endpoint,
        compression=Compression.Gzip if compressed else Compression.NoCompression,
        preferred_temporality=temporality,
    )
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    resource = Resource.create({
        "service.name": "crypto-pipeline",
        "service.namespace": "lakehouse",
        "service.version": "2.0.0",
        "service.instance.id": "worker-1",
        "deployment.environment": "production",
    })
    provider = MeterProvider(
        resource=resource,
        metric_readers=[reader],
        views=[View(
            instrument_name="crypto_processing_duration_seconds",
            aggregation=ExplicitBucketHistogramAggregation([0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]),
        )],
    )
    meter = provider.get_meter("crypto_lakehouse", version="2.0.0")
    processed = meter.create_counter(
        "crypto_data_processed_total", description="Total crypto data records processed", unit="1")
    duration = meter.create_histogram(
        "crypto_processing_duration_seconds", description="Time taken to process crypto data", unit="s")
    requests = meter.create_counter("crypto_api_requests_total", description="Total API requests made", unit="1")
    storage = meter.create_counter(
        "crypto_storage_operations_total", description="Storage operations performed", unit="1")
    queue = meter.create_up_down_counter(
        "crypto_processing_queue_size", description="Number of items in processing queue", unit="1")
    meter.create_observable_gauge(
        "crypto_system_memory_usage_bytes", description="System memory usage", unit="bytes",
        callbacks=[lambda options: [metrics.Observation(5242880)]])
    symbol = {"symbol": "BTCUSDT"}
    for _ in range(rounds):
        requests.add(1, {"endpoint": "/klines", "status": "success", **symbol})
        processed.add(1440, {"stage": "transform", "data_type": "klines", "timeframe": "1m", **symbol})
        storage.add(1, {"operation": "write", "status": "success", "storage_type": "s3", **symbol})
        queue.add(120)
        queue.add(-1)
        duration.record(2.3, {"operation": "transform", "status": "success", **symbol})
        duration.record(0.184, {"operation": "transform", "status": "success", **symbol})
        assert reader.force_flush(timeout_millis=10_000)
    provider.shutdown()


def otlp_lines(text):
    """The exposition lines of the series received over OTLP."""
    return sorted(line for line in text.splitlines() if line.startswith(("crypto_", "target_info")))


@pytest.mark.parametrize("delta", [False, True], ids=["cumulative", "delta"])
@pytest.mark.parametrize("compressed", [False, True], ids=["identity", "gzip"])
def test_sdk_exports_the_seed_instruments_with_exact_values(start_tally, delta, compressed):
    server = start_otlp(start_tally)
    run_seed_pipeline(server.otlp_url, delta, compressed)
    text = server.metrics()
    transform = {**IDENTITY, **SCOPE, "symbol": "BTCUSDT", "stage": "transform", "data_type": "klines",
                 "timeframe": "1m"}
    assert sample_value(text, "crypto_data_processed_total", transform) == 1440 * ROUNDS
    requests = {**IDENTITY, **SCOPE, "endpoint": "/klines", "status": "success", "symbol": "BTCUSDT"}
    assert sample_value(text, "crypto_api_requests_total", requests) == ROUNDS
    assert sample_value(text, "crypto_processing_queue_size", {**IDENTITY, **SCOPE}) == 119 * ROUNDS
    assert sample_value(text, "crypto_system_memory_usage_bytes", {**IDENTITY, **SCOPE}) == 5242880
    histogram = {**IDENTITY, **SCOPE, "operation": "transform", "status": "success", "symbol": "BTCUSDT"}
    assert sample_value(text, "crypto_processing_duration_seconds_count", histogram) == 2 * ROUNDS
    assert sample_value(text, "crypto_processing_duration_seconds_sum", histogram) == pytest.approx(2.484 * ROUNDS)
    assert sample_value(text, "crypto_processing_duration_seconds_bucket", {**histogram, "le": "0.5"}) == ROUNDS
    assert sample_value(text, "crypto_processing_duration_seconds_bucket", {**histogram, "le": "2.5"}) == 2 * ROUNDS
    assert sample_value(text, "crypto_processing_duration_seconds_bucket", {**histogram, "le": "0.1"}) == 0
    assert "# TYPE crypto_data_processed_total counter" in text
    assert "# TYPE crypto_processing_duration_seconds histogram" in text
    info = [line for line in text.splitlines() if line.startswith("target_info{")]
    assert len(info) == 1
    assert 'deployment_environment="production"' in info[0] and 'service_version="2.0.0"' in info[0]
    assert 'job="lakehouse/crypto-pipeline"' in info[0] and 'instance="worker-1"' in info[0]
    assert info[0].endswith(" 1")
    assert sample_value(text, "tally_otlp_requests_total", {"code": "200"}) >= ROUNDS
    assert sample_value(text, "tally_otlp_rejected_points_total") is None
    if delta:
        assert sample_value(text, "tally_otlp_delta_gaps_total") in (None, 0)


def seed_request():
    request = ExportMetricsServiceRequest()
    resource_metrics = request.resource_metrics.add()
    attribute = resource_metrics.resource.attributes.add()
    attribute.key = "service.name"
    attribute.value.string_value = "json-job"
    scope = resource_metrics.scope_metrics.add()
    scope.scope.name = "manual"
    metric = scope.metrics.add()
    metric.name = "crypto_api_errors_total"
    metric.sum.aggregation_temporality = 2
    metric.sum.is_monotonic = True
    point = metric.sum.data_points.add()
    point.as_int = 7
    point.time_unix_nano = 1_700_000_000_000_000_000
    label = point.attributes.add()
    label.key = "error_type"
    label.value.string_value = "timeout"
    return request


def test_json_bodies_are_accepted_and_answered_in_json(start_tally):
    server = start_otlp(start_tally)
    body = MessageToJson(seed_request()).encode()
    status, headers, answer = post(server.otlp_url, body, "application/json; charset=utf-8")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(answer) == {}
    labels = {"job": "json-job", "otel_scope_name": "manual", "error_type": "timeout"}
    assert sample_value(server.metrics(), "crypto_api_errors_total", labels) == 7


def test_protobuf_success_is_an_export_response(start_tally):
    server = start_otlp(start_tally)
    status, headers, answer = post(server.otlp_url, seed_request().SerializeToString())
    assert status == 200 and headers["Content-Type"] == "application/x-protobuf"
    response = ExportMetricsServiceResponse()
    response.ParseFromString(answer)
    assert response.partial_success.rejected_data_points == 0


def test_points_of_a_conflicting_type_are_a_partial_success(start_tally):
    server = start_otlp(start_tally)
    request = seed_request()
    conflict = request.resource_metrics[0].scope_metrics[0].metrics.add()
    conflict.name = "tally_http_requests_total"
    conflict.gauge.data_points.add().as_double = 1
    status, _, answer = post(server.otlp_url, request.SerializeToString())
    assert status == 200
    response = ExportMetricsServiceResponse()
    response.ParseFromString(answer)
    assert response.partial_success.rejected_data_points == 1
    assert response.partial_success.error_message.startswith("type_conflict:")
    text = server.metrics()
    assert sample_value(text, "tally_otlp_rejected_points_total", {"reason": "type_conflict"}) == 1
    assert sample_value(text, "tally_otlp_points_total") == 1


def gzip_bomb():
    """A gzip body that inflates to 24 MiB of zeros (past the 20 MiB limit) from about 24 KB."""
    return gzip.compress(bytes(24 << 20), compresslevel=9)


def nested_json(depth):
    value = '{"stringValue":"x"}'
    for _ in range(depth):
        value = '{"arrayValue":{"values":[' + value + ']}}'
    return ('{"resourceMetrics":[{"resource":{"attributes":[{"key":"k","value":' + value + '}]}}]}').encode()


def test_bad_bodies_get_their_4xx_and_change_nothing(start_tally):
    server = start_otlp(start_tally)
    post(server.otlp_url, seed_request().SerializeToString())
    before = otlp_lines(server.metrics())
    good = seed_request().SerializeToString()

    status, headers, answer = post(server.otlp_url, b"\xff\xff\xff garbage")
    assert status == 400 and headers["Content-Type"] == "application/x-protobuf"
    rpc = status_pb2.Status()
    rpc.ParseFromString(answer)
    assert rpc.code == 3 and rpc.message

    assert post(server.otlp_url, good[:-3])[0] == 400  # truncated
    status, headers, answer = post(server.otlp_url, b'{"resourceMetrics": 5}', "application/json")
    assert status == 400 and headers["Content-Type"] == "application/json"
    assert json.loads(answer)["code"] == 3
    assert post(server.otlp_url, b"{not json", "application/json")[0] == 400
    assert post(server.otlp_url, nested_json(200), "application/json")[0] == 400
    assert post(server.otlp_url, gzip_bomb(), headers={"Content-Encoding": "gzip"})[0] == 413
    assert post(server.otlp_url, b"\x1f\x8b\x08\x00garbage", headers={"Content-Encoding": "gzip"})[0] == 400
    assert post(server.otlp_url, good, headers={"Content-Encoding": "br"})[0] == 415
    assert post(server.otlp_url, good, "text/plain")[0] == 415
    try:
        status = post(server.otlp_url, bytes((20 << 20) + 1))[0]
    except (ConnectionError, urllib.error.URLError):
        status = 413  # tally may close the connection before the whole body is sent, after answering 413
    assert status == 413
    status, headers, _ = post(server.otlp_url, None, None, method="GET")
    assert status == 405 and headers["Allow"] == "POST"
    assert post(f"http://127.0.0.1:{server.otlp_port}/v1/traces", good)[0] == 404

    assert otlp_lines(server.metrics()) == before
    assert server.get("/-/healthy")[0] == 200
    assert post(server.otlp_url, good)[0] == 200
    text = server.metrics()
    assert sample_value(text, "tally_otlp_requests_total", {"code": "400"}) >= 5
    assert sample_value(text, "tally_otlp_requests_total", {"code": "415"}) == 2


def test_a_grpc_client_is_told_to_use_http_protobuf(start_tally):
    server = start_otlp(start_tally)
    with socket.create_connection(("127.0.0.1", server.otlp_port), timeout=5) as connection:
        connection.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 505 ")
    assert b"http/protobuf" in answer
    assert eventually(lambda: "http/protobuf" in server.logs())
    assert server.get("/-/healthy")[0] == 200


def test_sigkill_after_a_200_loses_nothing(start_tally, tmp_path):
    state = str(tmp_path / "state")
    server = start_otlp(start_tally, "--push.state-file", state)
    run_seed_pipeline(server.otlp_url, delta=True, compressed=True)
    expected = otlp_lines(server.metrics())
    assert any(line.startswith("crypto_data_processed_total{") for line in expected)
    server.stop(sig=signal.SIGKILL)

    restarted = start_otlp(start_tally, "--push.state-file", state)
    assert otlp_lines(restarted.metrics()) == expected
    # Deltas keep adding to the restored series.
    run_seed_pipeline(restarted.otlp_url, delta=True, compressed=False, rounds=1)
    labels = {**IDENTITY, **SCOPE, "symbol": "BTCUSDT", "stage": "transform", "data_type": "klines",
              "timeframe": "1m"}
    assert sample_value(restarted.metrics(), "crypto_data_processed_total", labels) == 1440 * (ROUNDS + 1)


def test_an_explicit_address_that_cannot_be_bound_fails_the_start(start_tally):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = start_tally("--otlp.listen-address", f"127.0.0.1:{port}", wait_ready=False)
        assert server.process.wait(timeout=20) != 0
        assert "tally cannot start" in server.logs()


def test_the_default_address_when_taken_is_skipped_with_one_warning(start_tally):
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 4318))
        holder.listen()
    except OSError:
        holder.close()
        holder = None  # something else holds the port: it is taken either way
    try:
        probe = socket.socket()
        try:
            taken = probe.connect_ex(("127.0.0.1", 4318)) == 0
        finally:
            probe.close()
        if not taken:
            pytest.skip("port 4318 is neither free for this test nor in use")
        server = start_tally()
        assert server.get("/-/healthy")[0] == 200
        warnings = [line for line in server.logs().splitlines() if "default OTLP address" in line]
        assert len(warnings) == 1 and "level=warn" in warnings[0]
    finally:
        if holder:
            holder.close()


def test_empty_address_turns_the_receiver_off(start_tally):
    server = start_tally("--otlp.listen-address", "")
    assert "otlp" not in server.logs()
    assert "tally_otlp_requests_total" not in server.metrics()
