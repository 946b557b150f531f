"""The Grafana dashboards, their provisioning, the compose file and the example pipeline.

The structure tests read grafana/ and deploy/ as files. The data tests run the built tally on this machine's
/proc, the example pipeline (deploy/examples/crypto-pipeline.sh) pushing into it, and Debian's prometheus scraping
tally every second for about twenty seconds; then every query of every panel of both dashboards, with its
variables substituted the way Grafana does, must return data through the Prometheus HTTP API, and must return
nothing for a job or an instance that does not exist.
"""

import json
import math
import pathlib
import re
import shutil
import subprocess
import time
import urllib.parse

import pytest
import yaml

from conftest import BINARY, REPOSITORY, Tally, free_port, http_get, sample_value

GRAFANA = REPOSITORY / "grafana"
DASHBOARDS = {path.name: json.loads(path.read_text()) for path in sorted((GRAFANA / "dashboards").glob("*.json"))}
PIPELINE_SCRIPT = REPOSITORY / "deploy" / "examples" / "crypto-pipeline.sh"
COMPOSE_FILE = REPOSITORY / "deploy" / "compose" / "docker-compose.yml"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
JOB = "tally"
SCRAPE_SECONDS = 20

# Unit ids Grafana's value formatters know (packages/grafana-data/src/valueFormats/categories.ts), the ones a
# dashboard here may use; `suffix:` units are Grafana's custom units.
GRAFANA_UNITS = {"none", "short", "percentunit", "bytes", "Bps", "bps", "pps", "iops", "ops", "reqps", "recps",
                 "s", "ms"}
PANEL_TYPES = {"timeseries", "stat", "bargauge", "row"}
# Grafana's built-in variables and the values the test gives them for 20 s of 1 s scrapes.
BUILTIN_VARIABLES = {"__rate_interval": "10s", "__interval": "5s", "__range": f"{SCRAPE_SECONDS}s"}
METRIC_PREFIXES = ("node_", "tally_", "crypto_", "process_")


def panels(dashboard):
    """Every panel, with the panels of collapsed rows."""
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def queries():
    """(dashboard, panel, target) for every query of every panel, as pytest parameters."""
    return [pytest.param(name, panel, target, id=f"{name}:{panel['title']}:{target['refId']}")
            for name, dashboard in DASHBOARDS.items()
            for panel in panels(dashboard) if panel["type"] != "row"
            for target in panel["targets"]]


def variables(dashboard):
    return {variable["name"]: variable for variable in dashboard["templating"]["list"]}


# ---------------------------------------------------------------------------------------------------- structure


def test_both_dashboards_exist_with_distinct_uids():
    assert set(DASHBOARDS) == {"tally-host.json", "tally-pipeline.json"}
    uids = [dashboard["uid"] for dashboard in DASHBOARDS.values()]
    assert len(set(uids)) == len(uids) and all(uids)


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_model(name):
    dashboard = DASHBOARDS[name]
    # Grafana 10.0 writes schemaVersion 38, 10.4 and 11 write 39.
    assert dashboard["schemaVersion"] >= 38
    assert dashboard["title"] and dashboard["description"]
    assert "tally" in dashboard["tags"]
    assert dashboard["id"] is None, "a provisioned dashboard has no database id"
    ids = [panel["id"] for panel in panels(dashboard)]
    assert all(isinstance(panel_id, int) and panel_id > 0 for panel_id in ids)
    assert len(ids) == len(set(ids)), "panel ids are not unique"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_panels_fit_the_grid_without_overlapping(name):
    boxes = []
    for panel in panels(DASHBOARDS[name]):
        box = panel["gridPos"]
        assert set(box) == {"h", "w", "x", "y"}
        assert box["x"] >= 0 and box["y"] >= 0 and box["w"] >= 1 and box["h"] >= 1
        assert box["x"] + box["w"] <= 24, panel["title"]
        for other_title, other in boxes:
            overlaps = (box["x"] < other["x"] + other["w"] and other["x"] < box["x"] + box["w"]
                        and box["y"] < other["y"] + other["h"] and other["y"] < box["y"] + box["h"])
            assert not overlaps, f"{panel['title']} overlaps {other_title}"
        boxes.append((panel["title"], box))


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_panel_has_datasource_description_unit_and_thresholds(name):
    for panel in panels(DASHBOARDS[name]):
        assert panel["type"] in PANEL_TYPES, panel["type"]
        assert panel["title"]
        if panel["type"] == "row":
            assert "targets" not in panel
            continue
        title = panel["title"]
        assert panel["datasource"] == DATASOURCE, title
        assert panel["description"] and "\n" not in panel["description"], title
        defaults = panel["fieldConfig"]["defaults"]
        unit = defaults["unit"]
        assert unit in GRAFANA_UNITS or re.fullmatch(r"suffix:\S+", unit), f"{title}: unit {unit!r}"
        thresholds = defaults["thresholds"]
        assert thresholds["mode"] == "absolute", title
        steps = thresholds["steps"]
        assert steps and steps[0]["value"] is None and all(step["color"] for step in steps), title
        values = [step["value"] for step in steps[1:]]
        assert values == sorted(values), f"{title}: thresholds out of order"
        assert panel["targets"], title
        assert len({target["refId"] for target in panel["targets"]}) == len(panel["targets"]), title
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, title
            assert target["expr"].strip() and "legendFormat" in target, title


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_template_variables(name):
    dashboard = DASHBOARDS[name]
    found = variables(dashboard)
    expected = ["datasource", "job", "instance"] + (["symbol"] if name == "tally-pipeline.json" else [])
    assert [variable["name"] for variable in dashboard["templating"]["list"]] == expected
    assert found["datasource"]["type"] == "datasource" and found["datasource"]["query"] == "prometheus"
    for variable_name in expected[1:]:
        variable = found[variable_name]
        assert variable["type"] == "query"
        assert variable["datasource"] == DATASOURCE
        query = variable["query"]
        assert query["qryType"] == 1 and query["refId"] == "PrometheusVariableQueryEditor-VariableQuery"
        assert variable["definition"] == query["query"]
        assert re.fullmatch(rf"label_values\(\w+(\{{.*\}})?, {variable_name}\)", query["query"])
        assert variable["multi"] and variable["includeAll"] and variable["allValue"] == ".*"
        assert variable["current"]["value"] == ["$__all"]
        assert variable["refresh"] in (1, 2)
    assert '$job' in found["instance"]["query"]["query"]
    if "symbol" in found:
        assert '$job' in found["symbol"]["query"]["query"] and '$instance' in found["symbol"]["query"]["query"]


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_no_hard_coded_datasource_or_import_placeholder(name):
    dashboard = DASHBOARDS[name]

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "uid" and path:
                    assert value == "${datasource}", f"hard-coded uid {value!r} at {path}"
                walk(value, path + [key])
        elif isinstance(node, list):
            for item in node:
                walk(item, path + ["[]"])
        elif isinstance(node, str):
            assert "${DS_" not in node, f"import placeholder at {path}"

    walk(dashboard, [])
    assert "__inputs" not in dashboard


@pytest.mark.parametrize(("name", "panel", "target"), queries())
def test_every_selector_filters_on_job_and_instance(name, panel, target):
    expr = target["expr"]
    # Every metric named in the query is a selector with braces, so that no series escapes the filters.
    for match in re.finditer(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?", expr):
        metric, matchers = match.group(1), match.group(2)
        if not (metric.startswith(METRIC_PREFIXES) or metric == "up"):
            continue
        assert matchers, f"{metric} without a selector in {expr}"
        assert 'job=~"$job"' in matchers and 'instance=~"$instance"' in matchers, f"{metric}{matchers}"
        has_symbol = metric.startswith("crypto_") and metric != "crypto_processing_queue_size"
        assert ('symbol=~"$symbol"' in matchers) == has_symbol, f"{metric}{matchers}"


def test_provisioning_loads_both_dashboards_from_one_folder():
    datasources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "tally.yaml").read_text())
    assert datasources["apiVersion"] == 1
    [datasource] = datasources["datasources"]
    assert datasource["type"] == "prometheus" and datasource["isDefault"] is True
    assert datasource["url"] == "$TALLY_PROMETHEUS_URL"
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "tally.yaml").read_text())
    assert providers["apiVersion"] == 1
    [provider] = providers["providers"]
    assert provider["type"] == "file" and provider["folder"] == "tally"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/tally"
    assert (GRAFANA / "README.md").is_file()


def test_compose_file_is_valid_and_mounts_the_provisioning():
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is not installed (Debian package docker-compose; make test-deps installs it)")
    result = subprocess.run(["docker-compose", "-f", str(COMPOSE_FILE), "config"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    grafana_volumes = {volume.split(":")[1]: volume.split(":")[0] for volume in services["grafana"]["volumes"]}
    assert pathlib.Path(grafana_volumes["/etc/grafana/provisioning"]) == GRAFANA / "provisioning"
    assert pathlib.Path(grafana_volumes["/var/lib/grafana/dashboards/tally"]) == GRAFANA / "dashboards"
    environment = services["grafana"]["environment"]
    assert environment["TALLY_PROMETHEUS_URL"] == "http://prometheus:9090"
    home = pathlib.PurePosixPath(environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"])
    assert home.parent == pathlib.PurePosixPath("/var/lib/grafana/dashboards/tally") and home.name in DASHBOARDS
    assert "host.docker.internal:host-gateway" in services["prometheus"]["extra_hosts"]
    prometheus_volumes = {volume.split(":")[1]: volume.split(":")[0] for volume in services["prometheus"]["volumes"]}
    config = pathlib.Path(prometheus_volumes["/etc/prometheus/prometheus.yml"])
    assert config == COMPOSE_FILE.parent / "prometheus.yml"
    scrape = yaml.safe_load(config.read_text())["scrape_configs"]
    tally_job = next(job for job in scrape if job["job_name"] == "tally")
    assert tally_job["static_configs"][0]["targets"] == ["host.docker.internal:9479"]
    checked = subprocess.run(["promtool", "check", "config", str(config)], capture_output=True, text=True,
                             timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_pipeline_script_is_deterministic_and_rejects_bad_options():
    command = ["sh", str(PIPELINE_SCRIPT), "--iterations", "5", "--delay", "0", "--print", "--error-percent", "30"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=30)
    second = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    lines = first.stdout.splitlines()
    names = {line.split(":", 1)[0] for line in lines}
    assert names == {"crypto_data_processed_total", "crypto_processing_duration_seconds", "crypto_api_requests_total",
                     "crypto_api_errors_total", "crypto_api_request_duration_seconds", "crypto_data_volume_bytes",
                     "crypto_storage_operations_total", "crypto_processing_queue_size"}
    assert sum(line.startswith("crypto_processing_queue_size:") for line in lines) == 5
    other_seed = subprocess.run(command + ["--seed", "7"], capture_output=True, text=True, timeout=30)
    assert other_seed.stdout != first.stdout
    bad_options = (["--iterations", "x"], ["--error-percent", "101"], ["--delay", "soon"], ["--no-such-option"],
                   ["--delay"])
    for bad in bad_options:
        result = subprocess.run(["sh", str(PIPELINE_SCRIPT), *bad], capture_output=True, text=True, timeout=30)
        assert result.returncode == 2 and "crypto-pipeline.sh:" in result.stderr, bad


# --------------------------------------------------------------------------------------------------------- data


def prometheus_api(url, path, **parameters):
    status, _, body = http_get(url + path + "?" + urllib.parse.urlencode(parameters, doseq=True), timeout=10)
    assert status == 200, body
    payload = json.loads(body)
    assert payload["status"] == "success", payload
    return payload["data"]


def regex_escape(value):
    """A variable value escaped for a PromQL regex matcher inside a double-quoted string, as Grafana does it."""
    return re.sub(r"([\\^$*+?.()|{}\[\]])", r"\\\\\1", value)


def substitute(text, values):
    def replace(match):
        name = match.group(1) or match.group(2)
        assert name in values, f"no value for ${name}"
        return values[name]

    result = re.sub(r"\$\{(\w+)\}|\$(\w+)", replace, text)
    assert "$" not in result
    return result


class Environment:
    """tally on the real /proc, the example pipeline pushing into it, and Prometheus scraping it every second."""

    def __init__(self, directory):
        self.tally = Tally(directory)
        self.prometheus_port = free_port()
        self.url = f"http://127.0.0.1:{self.prometheus_port}"
        config = directory / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            f"scrape_configs:\n  - job_name: {JOB}\n    static_configs:\n      - targets: ['{self.tally.address}']\n"
        )
        self.prometheus_log = open(directory / "prometheus.log", "wb")
        self.prometheus = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={directory / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.prometheus_port}"],
            stdout=self.prometheus_log, stderr=subprocess.STDOUT,
        )
        self.pipeline = None

    def query(self, expression, **parameters):
        return prometheus_api(self.url, "/api/v1/query", query=expression, **parameters)["result"]

    def query_range(self, expression):
        return prometheus_api(self.url, "/api/v1/query_range", query=expression, start=self.start, end=self.end,
                              step="1s")["result"]

    def run(self):
        deadline = time.monotonic() + 60
        while not self._up():
            assert self.prometheus.poll() is None, "prometheus exited"
            assert time.monotonic() < deadline, "prometheus never scraped tally"
            time.sleep(0.2)
        self.start = time.time()
        # About 20 s of pushes: 80 iterations a quarter of a second apart, each one `tally push -`.
        self.pipeline = subprocess.run(
            ["sh", str(PIPELINE_SCRIPT), "--tally", BINARY, "--socket", self.tally.push_socket,
             "--iterations", "80", "--delay", "0.25", "--error-percent", "10"],
            capture_output=True, text=True, timeout=120,
        )
        assert self.pipeline.returncode == 0, self.pipeline.stderr
        # Wait until Prometheus holds the final counts, and for at least SCRAPE_SECONDS of scrapes.
        pushed = sample_sum(self.tally.metrics(), "crypto_data_processed_total")
        deadline = time.monotonic() + 30
        while True:
            scraped = self.query(f'sum(crypto_data_processed_total{{job="{JOB}"}})')
            if scraped and float(scraped[0]["value"][1]) == pushed and time.time() - self.start >= SCRAPE_SECONDS:
                break
            assert time.monotonic() < deadline, f"Prometheus has {scraped}, tally {pushed}"
            time.sleep(0.5)
        self.end = time.time()

    def _up(self):
        try:
            up = self.query(f'up{{job="{JOB}"}}')
        except (OSError, AssertionError):
            return False
        return bool(up) and up[0]["value"][1] == "1"

    def label_values(self, query, values):
        """The values of a label_values(selector, label) variable query, as Grafana's variable would list them."""
        match = re.fullmatch(r"label_values\((.+), (\w+)\)", query)
        selector, label = substitute(match.group(1), values), match.group(2)
        return prometheus_api(self.url, f"/api/v1/label/{label}/values", **{"match[]": selector},
                              start=self.start, end=self.end)

    def stop(self):
        if self.prometheus.poll() is None:
            self.prometheus.terminate()
            try:
                self.prometheus.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.prometheus.kill()
                self.prometheus.wait()
        self.prometheus_log.close()
        self.tally.stop()


def sample_sum(text, name):
    from prometheus_client.parser import text_string_to_metric_families

    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == name)


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    environment = Environment(tmp_path_factory.mktemp("dashboards"))
    try:
        environment.run()
        yield environment
    finally:
        environment.stop()


@pytest.fixture(scope="module")
def variable_values(environment):
    """For each dashboard, every variable set to all the values its query lists (the regex Grafana builds)."""
    result = {}
    for name, dashboard in DASHBOARDS.items():
        values = dict(BUILTIN_VARIABLES, datasource="Prometheus")
        for variable in dashboard["templating"]["list"]:
            if variable["type"] != "query":
                continue
            listed = environment.label_values(variable["query"]["query"], values)
            assert listed, f"{name}: ${variable['name']} lists nothing"
            values[variable["name"]] = "(" + "|".join(regex_escape(value) for value in listed) + ")"
            result.setdefault(name, {})[variable["name"]] = listed
        result[name]["values"] = values
    return result


def test_the_pipeline_pushed_every_line_and_tally_refused_none(environment):
    assert environment.pipeline.stderr == ""
    text = environment.tally.metrics()
    assert sample_sum(text, "tally_push_rejected_lines_total") == 0
    assert sample_value(text, "tally_push_lines_total", {"transport": "stream"}) > 80 * 20
    assert sample_sum(text, "crypto_api_errors_total") > 0


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_variables_list_the_test_target(environment, variable_values, name):
    listed = variable_values[name]
    assert JOB in listed["job"]
    assert environment.tally.address in listed["instance"]
    if "symbol" in listed:
        assert set(listed["symbol"]) == set(SYMBOLS)


@pytest.mark.parametrize(("name", "panel", "target"), queries())
def test_every_panel_query_returns_data(environment, variable_values, name, panel, target):
    expression = substitute(target["expr"], variable_values[name]["values"])
    series = environment.query_range(expression)
    assert series, f"no data for {expression}"
    finite = [float(value) for one in series for _, value in one["values"] if math.isfinite(float(value))]
    assert finite, f"only NaN or infinite values for {expression}"
    if target.get("instant"):
        assert environment.query(expression, time=environment.end), f"no instant data for {expression}"


@pytest.mark.parametrize(("name", "panel", "target"), queries())
def test_every_panel_query_is_empty_for_another_job_or_instance(environment, variable_values, name, panel, target):
    values = variable_values[name]["values"]
    for variable, other in (("job", "no-such-job"), ("instance", "no-such-host:9479")):
        expression = substitute(target["expr"], dict(values, **{variable: other}))
        assert environment.query_range(expression) == [], f"data for {variable}={other}: {expression}"
    if 'symbol=~"$symbol"' in target["expr"]:
        expression = substitute(target["expr"], dict(values, symbol="NOSUCHPAIR"))
        assert environment.query_range(expression) == [], f"data for another symbol: {expression}"
