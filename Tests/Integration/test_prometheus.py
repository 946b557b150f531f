"""A real Prometheus server (Debian's prometheus) scrapes tally and sees it up."""

import json
import subprocess
import time
import urllib.parse

from conftest import free_port, http_get


def query(prometheus_url, expression):
    status, _, body = http_get(prometheus_url + "/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
    assert status == 200, body
    return json.loads(body)["data"]["result"]


def test_prometheus_scrapes_tally_and_up_is_1(tally, tmp_path):
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n"
        f"  - job_name: tally\n    static_configs:\n      - targets: ['{tally.address}']\n"
    )
    prometheus = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        up = []
        while time.monotonic() < deadline:
            try:
                up = query(url, 'up{job="tally"}')
            except (OSError, AssertionError):
                up = []
            if up and up[0]["value"][1] == "1" and query(url, "node_load1"):
                break
            time.sleep(0.5)
        assert up and up[0]["value"][1] == "1", up
        assert float(query(url, "node_load1")[0]["value"][1]) == 0.52
        # Samples came through OpenMetrics (the counter's samples keep their _total name either way).
        assert query(url, 'node_cpu_seconds_total{cpu="0",mode="idle"}')
        assert query(url, "tally_build_info")
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=10)
