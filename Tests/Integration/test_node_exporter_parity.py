"""What a user switching from node_exporter brings along works on tally: the node-mixin rules and Node Exporter Full.

A real Prometheus (Debian's) scrapes Debian's node_exporter with its defaults as job `node` and tally with its
defaults as job `tally`, both on this machine's /proc and /sys, and evaluates the node-mixin recording and alerting
rules rendered for each job. Then:
- every rule that has data for node_exporter has it for tally: a recording rule has data when it records a series
  for the job; an alert when every series selector in its expression returns series for the job (an alert that
  does not fire on a healthy host still has its data);
- Grafana's "Node Exporter Full" (grafana.com 1860), with its variables resolved as Grafana resolves them
  (`label_values(node_uname_info, job)`, then the job's `nodename` and `instance`), returns data for at least as
  many panel queries on tally as on node_exporter.

The rules and the dashboard are the workplace's reference files (`../shared/reference/peer-dashboards`, or
`$TALLY_REFERENCE_DIR/peer-dashboards`); on CI a missing reference fails the test instead of skipping it.
"""

import json
import os
import pathlib
import re
import subprocess
import time
import urllib.parse

import pytest
import yaml

from conftest import REPOSITORY, Tally, free_port, http_get

REFERENCE = pathlib.Path(os.environ.get("TALLY_REFERENCE_DIR", REPOSITORY.parent / "shared" / "reference"))
DASHBOARDS = REFERENCE / "peer-dashboards"
# A series selector of the rendered mixin: every one carries the job matcher.
SELECTOR = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^{}]*job="node"[^{}]*)\}')
# Grafana's $__rate_interval for a 1 s scrape interval and a 15 s panel interval: max(4 × scrape, interval + scrape).
RATE_INTERVAL = "1m"


def reference_file(name):
    path = DASHBOARDS / name
    if not path.exists():
        message = f"{path} is missing (set TALLY_REFERENCE_DIR to the reference directory)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def rules_for(job, text):
    """The rendered mixin rules with their job matcher and group names rewritten for `job`."""
    rewritten = yaml.safe_load(text.replace('job="node"', f'job="{job}"'))
    for group in rewritten["groups"]:
        group["name"] = f"{job}-{group['name']}"
        group["interval"] = "1s"
    return rewritten


class Prometheus:
    def __init__(self, directory, targets, rule_files):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = directory / "prometheus.yml"
        scrape_configs = [
            {"job_name": job, "scrape_interval": "1s", "scrape_timeout": "1s",
             "static_configs": [{"targets": [address]}]}
            for job, address in targets.items()
        ]
        config.write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(path) for path in rule_files],
            "scrape_configs": scrape_configs,
        }))
        self.log = open(directory / "prometheus.log", "wb")
        self.process = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={directory / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def query(self, expression):
        status, _, body = http_get(self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": expression}),
                                   timeout=10)
        assert status == 200, (expression, body)
        return json.loads(body)["data"]["result"]

    def has_data(self, expression):
        return bool(self.query(expression))

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


@pytest.fixture(scope="module")
def prometheus_with_both(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("parity")
    rule_texts = [reference_file(name).read_text() for name in ("node_rules.yaml", "node_alerts.yaml")]
    rule_documents = [yaml.safe_load(text) for text in rule_texts]
    node_port = free_port()
    node_exporter = subprocess.Popen(
        ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{node_port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tally = Tally(tmp_path)
    rule_files = []
    for job in ("node", "tally"):
        for index, text in enumerate(rule_texts):
            path = tmp_path / f"{job}-{index}.rules.yml"
            path.write_text(yaml.safe_dump(rules_for(job, text)))
            rule_files.append(path)
    prometheus = Prometheus(tmp_path, {"node": f"127.0.0.1:{node_port}", "tally": tally.address}, rule_files)
    try:
        # Enough scrapes for rate() over a minute and for the recording rules to have run on them.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                ready = all(prometheus.has_data(f'instance:node_num_cpu:sum{{job="{job}"}}')
                            and prometheus.has_data(f'rate(node_cpu_seconds_total{{job="{job}"}}[{RATE_INTERVAL}])')
                            for job in ("node", "tally"))
            except OSError:
                ready = False
            if ready:
                break
            time.sleep(1)
        time.sleep(5)
        yield prometheus, rule_documents
    finally:
        prometheus.stop()
        tally.stop()
        node_exporter.terminate()
        node_exporter.wait(timeout=10)


def rule_has_data(prometheus, rule, job):
    if "record" in rule:
        return prometheus.has_data(f'{rule["record"]}{{job="{job}"}}')
    selectors = SELECTOR.findall(rule["expr"])
    assert selectors, rule
    job_matcher = f'job="{job}"'
    return all(prometheus.has_data(name + "{" + matchers.replace('job="node"', job_matcher) + "}")
               for name, matchers in selectors)


def dashboard_expressions():
    document = json.loads(reference_file("node-exporter-full.json").read_text())
    expressions = []

    def walk(panels):
        for panel in panels:
            expressions.extend(target["expr"] for target in panel.get("targets") or [] if target.get("expr"))
            walk(panel.get("panels") or [])

    walk(document["panels"])
    return expressions


def label_values(prometheus, selector, label):
    return sorted({series["metric"][label] for series in prometheus.query(selector) if label in series["metric"]})


def test_every_node_mixin_rule_with_data_on_node_exporter_has_data_on_tally(prometheus_with_both):
    prometheus, rule_documents = prometheus_with_both
    rules = [rule for document in rule_documents for group in document["groups"] for rule in group["rules"]]
    assert len(rules) == 41
    missing = []
    with_data = 0
    for rule in rules:
        if not rule_has_data(prometheus, rule, "node"):
            continue
        with_data += 1
        if not rule_has_data(prometheus, rule, "tally"):
            missing.append(rule.get("record") or rule.get("alert"))
    assert with_data >= 30, f"only {with_data} of 41 rules have data on node_exporter: is it scraped?"
    assert not missing, f"rules with data on node_exporter but none on tally: {missing}"


def test_node_exporter_full_has_data_for_as_many_panel_queries_on_tally(prometheus_with_both):
    prometheus, _ = prometheus_with_both
    jobs = label_values(prometheus, "node_uname_info", "job")
    assert jobs == ["node", "tally"], jobs
    expressions = dashboard_expressions()
    assert len(expressions) == 286
    answered = {}
    unanswered_on_tally = []
    for job in jobs:
        nodenames = label_values(prometheus, f'node_uname_info{{job="{job}"}}', "nodename")
        assert len(nodenames) == 1, (job, nodenames)
        instances = label_values(prometheus, f'node_uname_info{{job="{job}", nodename="{nodenames[0]}"}}', "instance")
        assert len(instances) == 1, (job, instances)
        answered[job] = 0
        for expression in expressions:
            resolved = (expression.replace("$__rate_interval", RATE_INTERVAL).replace("$job", job)
                        .replace("$nodename", nodenames[0]).replace("$node", instances[0]))
            if prometheus.has_data(resolved):
                answered[job] += 1
            elif job == "tally":
                unanswered_on_tally.append(expression)
    assert answered["node"] >= 150, f"node_exporter answers only {answered['node']} queries: is it scraped?"
    assert answered["tally"] >= answered["node"], (
        f"tally answers {answered['tally']} of {len(expressions)} panel queries, node_exporter {answered['node']}; "
        f"unanswered on tally: {unanswered_on_tally}")
