"""Both exposition formats, fetched with curl, checked by promtool and prometheus_client's parsers."""

import gzip
import subprocess

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

# The Accept header Prometheus 2.42 sends (scrape/scrape.go, scrapeAcceptHeader).
PROMETHEUS_2_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
# The one Prometheus 3 sends.
PROMETHEUS_3_ACCEPT = (
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
    "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
    "text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
)
TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def curl(url, *arguments):
    """Runs curl and returns (headers, body)."""
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--fail", "--dump-header", "-", *arguments, url],
        check=True, capture_output=True,
    )
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode().split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers, body


def test_plain_curl_gets_text_that_promtool_and_the_text_parser_accept(tally):
    headers, body = curl(tally.url + "/metrics")
    assert headers["content-type"] == TEXT_TYPE
    text = body.decode()
    families = {family.name: family for family in parse_text(text)}
    assert families["tally_build_info"].samples[0].labels["version"]
    assert "node_load1" in families and "process_open_fds" in families
    assert "# EOF" not in text
    check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    findings = [line for line in check.stdout.decode().splitlines() + check.stderr.decode().splitlines() if line]
    # Names inherited from node_exporter are the only thing promtool may mention: its camelCase memory and netstat
    # names, and entropy counted in bits where promtool wants bytes.
    inherited = [line for line in findings
                 if (line.startswith(("node_memory_", "node_netstat_")) and "camelCase" in line)
                 or (line.startswith("node_entropy_") and 'base unit "bytes" instead of "bits"' in line)]
    assert inherited == findings, findings


def test_prometheus_accept_headers_get_strict_openmetrics(tally):
    for accept in (PROMETHEUS_2_ACCEPT, PROMETHEUS_3_ACCEPT, "application/openmetrics-text"):
        headers, body = curl(tally.url + "/metrics", "--header", f"Accept: {accept}")
        assert headers["content-type"] == OPENMETRICS_TYPE, accept
        text = body.decode()
        assert text.endswith("# EOF\n")
        families = {family.name: family for family in parse_openmetrics(text)}
        counter = families["node_cpu_seconds"]
        assert counter.type == "counter"
        assert all(sample.name == "node_cpu_seconds_total" for sample in counter.samples)
        assert counter.unit == "seconds"


def test_text_is_the_fallback_for_other_accept_headers(tally):
    for accept in ("text/plain", "*/*", "application/json", "text/plain;version=1.0.0", "application/openmetrics-text;q=0"):
        headers, _ = curl(tally.url + "/metrics", "--header", f"Accept: {accept}")
        assert headers["content-type"] == TEXT_TYPE, accept


def test_gzip_when_accepted(tally):
    headers, body = curl(tally.url + "/metrics", "--header", "Accept-Encoding: gzip")
    assert headers["content-encoding"] == "gzip"
    assert headers["content-type"] == TEXT_TYPE
    plain = gzip.decompress(body).decode()
    assert "node_load1" in plain
    headers, body = curl(tally.url + "/metrics", "--compressed", "--header", f"Accept: {PROMETHEUS_2_ACCEPT}")
    list(parse_openmetrics(body.decode()))
    headers, _ = curl(tally.url + "/metrics", "--header", "Accept-Encoding: gzip;q=0, identity")
    assert "content-encoding" not in headers


def test_head_has_the_headers_of_get_without_a_body(tally):
    get_headers, get_body = curl(tally.url + "/metrics")
    head = subprocess.run(
        ["curl", "--silent", "--head", tally.url + "/metrics"], check=True, capture_output=True
    ).stdout.decode()
    assert "200" in head.splitlines()[0]
    assert f"content-type: {TEXT_TYPE}".lower() in head.lower()
    assert "content-length:" in head.lower()


def test_landing_health_and_readiness(tally):
    status, headers, body = tally.get("/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'href="/metrics"' in body
    assert tally.get("/-/healthy")[0] == 200
    assert tally.get("/-/ready")[0] == 200


def test_requests_are_counted_by_code(tally):
    tally.get("/nope")
    tally.get("/-/healthy")
    text = tally.metrics()
    from conftest import sample_value

    assert sample_value(text, "tally_http_requests_total", {"code": "404"}) >= 1
    assert sample_value(text, "tally_http_requests_total", {"code": "200"}) >= 1
