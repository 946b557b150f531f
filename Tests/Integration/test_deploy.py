"""deploy/ — the systemd units and the Prometheus configuration, checked by the programs that load them.

- The units go through `systemd-analyze verify` and `systemd-analyze security --offline=true` of systemd 254 (from
  bookworm-backports, through tools/systemd-analyze.sh, since Debian 12's systemd 252 does not know
  Type=notify-reload), and the drop-in for systemd < 253 through the system's own systemd-analyze.
- tally runs as the units start it: ExecStart= as written (paths moved into a temporary root), the three sockets
  passed under the socket units' FileDescriptorName=, the service's seccomp, address-family and W^X settings
  applied (tools/exec_confined.py), an unprivileged user, $NOTIFY_SOCKET and the watchdog. It must become ready,
  serve, take pushes, reload on SIGHUP, stop on SIGTERM and find its state again after a restart.
- The Prometheus files go through `promtool check config`, `promtool check rules` and `promtool test rules`; every
  alerting rule is shown to be covered by those unit tests (a rule that never fires, or always fires, fails them);
  and a real Prometheus loads prometheus.yml with its rules and file_sd against a running tally.
"""

import errno
import json
import os
import pwd
import pathlib
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

import pytest
import yaml

from conftest import BINARY, eventually, free_port, http_get, sample_value, stop_process

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
SYSTEMD_DIRECTORY = REPOSITORY / "deploy" / "systemd"
PROMETHEUS_DIRECTORY = REPOSITORY / "deploy" / "prometheus"
README = REPOSITORY / "deploy" / "README.md"
TOOLS = pathlib.Path(__file__).resolve().parent / "tools"
SYSTEMD_ANALYZE = TOOLS / "systemd-analyze.sh"
EXEC_CONFINED = TOOLS / "exec_confined.py"
SERVICE = "tally.service"
SOCKETS = ("tally.socket", "tally-push.socket", "tally-push-dgram.socket")
UNITS = (SERVICE, *SOCKETS)
DROP_IN = SYSTEMD_DIRECTORY / "tally.service.d" / "notify-before-253.conf"
# The listener names tally takes from systemd (Sources/TallyServer/SystemdListeners.swift).
LISTENER_NAMES = {"http", "push", "push-dgram"}


def run(command, timeout=60, **keywords):
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, **keywords)


def unit_sections(path):
    """A unit file as {section: [(key, value), ...]}."""
    sections = {}
    current = None
    for line in pathlib.Path(path).read_text().replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif "=" in line:
            key, value = line.split("=", 1)
            current.append((key.strip(), value.strip()))
    return sections


def unit_values(path, section, key):
    return [value for name, value in unit_sections(path).get(section, []) if name == key]


def systemd_analyze(*arguments, timeout=300):
    """Runs the bookworm-backports systemd-analyze; the first call downloads it."""
    result = run([str(SYSTEMD_ANALYZE), *arguments], timeout=timeout)
    if result.returncode == 2 and "systemd-analyze.sh:" in result.stderr:
        pytest.fail(f"cannot get systemd 254's systemd-analyze:\n{result.stderr}")
    return result


def system_systemd_version():
    """The version of the system's own systemd-analyze, or None when it is missing."""
    if shutil.which("systemd-analyze") is None:
        return None
    match = re.match(r"systemd (\d+)", run(["systemd-analyze", "--version"]).stdout)
    return int(match.group(1)) if match else None


@pytest.fixture(scope="module")
def backports_root():
    """The unpacked bookworm-backports systemd packages."""
    result = systemd_analyze("--print-root")
    assert result.returncode == 0, result.stderr
    return pathlib.Path(result.stdout.strip())


@pytest.fixture(scope="module")
def unit_root(backports_root):
    """A filesystem root as systemd-analyze --root sees it: systemd 254's own units (targets the units pull in),
    the units under etc/systemd/system, and the tally binary at ExecStart='s path. World-readable, so that an
    unprivileged user can run the binary from it."""
    root = pathlib.Path(tempfile.mkdtemp(prefix="tally-deploy-"))
    root.chmod(0o755)
    system_units = next(path for path in (backports_root / "usr/lib/systemd/system",
                                          backports_root / "lib/systemd/system") if path.is_dir())
    shutil.copytree(system_units, root / "usr/lib/systemd/system", symlinks=True)
    install_units(root, SYSTEMD_DIRECTORY)
    place_binary(root)
    kill = root / "bin/kill"
    kill.parent.mkdir(parents=True)
    shutil.copy2(shutil.which("kill") or "/bin/kill", kill)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def place_binary(root):
    """The tally binary at ExecStart='s /usr/local/bin/tally under `root`: a hard link when it can be one."""
    binary = root / "usr/local/bin/tally"
    binary.parent.mkdir(parents=True)
    try:
        os.link(BINARY, binary)
    except OSError:
        shutil.copy2(BINARY, binary)
    binary.chmod(0o755)


def install_units(root, source):
    target = root / "etc/systemd/system"
    target.mkdir(parents=True, exist_ok=True)
    for unit in UNITS:
        shutil.copy2(source / unit, target / unit)
    return target


# MARK: systemd units


def test_units_pass_systemd_analyze_verify_without_a_warning(unit_root):
    units = [str(unit_root / "etc/systemd/system" / unit) for unit in UNITS]
    result = systemd_analyze("verify", f"--root={unit_root}", *units)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == ""


def test_verify_reports_a_broken_unit(unit_root, tmp_path):
    """The check above can fail: a misspelt setting and a bad type in a copy of the service are reported."""
    broken_root = tmp_path / "root"
    shutil.copytree(unit_root / "usr/lib/systemd/system", broken_root / "usr/lib/systemd/system", symlinks=True)
    place_binary(broken_root)
    directory = install_units(broken_root, SYSTEMD_DIRECTORY)
    text = (directory / SERVICE).read_text()
    (directory / SERVICE).write_text(
        text.replace("Type=notify-reload", "Type=notify-relaod").replace("ProtectSystem=strict", "ProtectSytem=strict"))
    result = systemd_analyze("verify", f"--root={broken_root}", str(directory / SERVICE))
    output = result.stdout + result.stderr
    assert "notify-relaod" in output, output
    assert "ProtectSytem" in output, output


def test_service_exposure_is_at_most_2(unit_root):
    result = systemd_analyze("security", "--offline=true", f"--root={unit_root}", SERVICE)
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"Overall exposure level for tally\.service: (\d+\.\d+)", result.stdout)
    assert match, result.stdout
    assert float(match.group(1)) <= 2.0, result.stdout


def test_service_is_notify_reload_restarted_watched_and_unprivileged():
    service = SYSTEMD_DIRECTORY / SERVICE
    settings = dict(unit_sections(service)["Service"])
    assert settings["Type"] == "notify-reload"
    assert settings["Restart"] == "on-failure"
    assert settings["WatchdogSec"] == "30s"
    assert settings["StateDirectory"] == "tally"
    assert settings["User"] == "tally" and settings["Group"] == "tally"
    assert "ExecReload" not in settings
    # The push sockets live in /run/tally, made by the socket units: RuntimeDirectory= would take them away.
    assert "RuntimeDirectory" not in settings
    assert set(settings["RestrictAddressFamilies"].split()) >= {"AF_UNIX"}


def test_socket_units_name_the_listeners_tally_expects():
    names = {}
    for unit in SOCKETS:
        sockets = unit_sections(SYSTEMD_DIRECTORY / unit)["Socket"]
        settings = dict(sockets)
        assert settings["Service"] == SERVICE, unit
        listens = [(key, value) for key, value in sockets if key.startswith("Listen")]
        assert len(listens) == 1, unit
        names[settings["FileDescriptorName"]] = (listens[0], settings)
    assert set(names) == LISTENER_NAMES

    help_text = run([BINARY, "serve", "--help"]).stdout
    assert "(named http, push, push-dgram, otlp)" in " ".join(help_text.split())
    assert names["http"][0] == ("ListenStream", "9479") and "(default: :9479)" in help_text
    for name, kind, default in (("push", "ListenStream", "/run/tally/push.sock"),
                                ("push-dgram", "ListenDatagram", "/run/tally/push.dgram.sock")):
        (listen, settings) = names[name]
        assert listen == (kind, default)
        assert f"(default: {default})" in " ".join(help_text.split())
        assert settings["SocketGroup"] == "tally-push" and settings["SocketMode"] == "0660"
        assert settings["RemoveOnStop"] == "yes"

    requires = " ".join(unit_values(SYSTEMD_DIRECTORY / SERVICE, "Unit", "Requires")).split()
    assert sorted(requires) == sorted(SOCKETS)


@pytest.mark.skipif(shutil.which("systemd-sysusers") is None, reason="systemd-sysusers is not installed")
def test_sysusers_snippet_creates_the_user_and_the_push_group(tmp_path):
    snippet = tmp_path / "usr/lib/sysusers.d/tally.conf"
    snippet.parent.mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    shutil.copy2(SYSTEMD_DIRECTORY / "tally.sysusers", snippet)
    result = run(["systemd-sysusers", f"--root={tmp_path}"])
    assert result.returncode == 0, result.stderr
    users = {line.split(":")[0]: line.split(":") for line in (tmp_path / "etc/passwd").read_text().splitlines()}
    groups = {line.split(":")[0] for line in (tmp_path / "etc/group").read_text().splitlines()}
    assert {"tally", "tally-push"} <= groups
    assert users["tally"][5] == "/var/lib/tally"
    assert users["tally"][6].endswith("nologin")


@pytest.mark.skipif((system_systemd_version() or 999) >= 253, reason="the system's systemd knows notify-reload")
def test_drop_in_for_systemd_before_253_verifies_with_the_systems_systemd(unit_root):
    """On Debian 12 (systemd 252) the unit plus deploy/README.md's drop-in loads: the only complaint is the one
    notify-reload line the drop-in overrides."""
    drop_in_directory = unit_root / "etc/systemd/system/tally.service.d"
    drop_in_directory.mkdir(exist_ok=True)
    shutil.copy2(DROP_IN, drop_in_directory / DROP_IN.name)
    try:
        units = [str(unit_root / "etc/systemd/system" / unit) for unit in UNITS]
        result = run(["systemd-analyze", "verify", f"--root={unit_root}", *units])
    finally:
        shutil.rmtree(drop_in_directory)
    assert result.returncode == 0, result.stdout + result.stderr
    ours = [line for line in (result.stdout + result.stderr).splitlines()
            if "/etc/systemd/system/" in line or line.startswith(UNITS)]
    assert len(ours) == 1 and "Failed to parse service type, ignoring: notify-reload" in ours[0], ours
    settings = dict(unit_sections(DROP_IN)["Service"])
    assert settings["Type"] == "notify"
    assert settings["ExecReload"] == "/bin/kill -HUP $MAINPID"


def test_readme_gives_the_drop_in_as_shipped():
    readme = README.read_text()
    for line in DROP_IN.read_text().splitlines():
        if line and not line.startswith("#"):
            assert line in readme, line


def readme_blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.DOTALL)


def test_readme_socket_drop_in_verifies(unit_root):
    (drop_in,) = [block for block in readme_blocks("ini") if block.startswith("[Socket]")]
    directory = unit_root / "etc/systemd/system/tally.socket.d"
    directory.mkdir(exist_ok=True)
    (directory / "scrapers.conf").write_text(drop_in)
    try:
        result = systemd_analyze("verify", f"--root={unit_root}", str(unit_root / "etc/systemd/system/tally.socket"))
    finally:
        shutil.rmtree(directory)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr


@pytest.mark.parametrize("block", readme_blocks("yaml"), ids=lambda block: block.split(":")[0])
def test_readme_prometheus_snippets_check(block, tmp_path):
    """The federation and remote_write examples, added to deploy's prometheus.yml, pass promtool."""
    copy = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS_DIRECTORY, copy)
    configuration = yaml.safe_load((copy / "prometheus.yml").read_text())
    snippet = yaml.safe_load(block)
    assert set(snippet) <= {"scrape_configs", "remote_write"}, snippet
    configuration["scrape_configs"] += snippet.get("scrape_configs", [])
    configuration["remote_write"] = snippet.get("remote_write", [])
    (copy / "prometheus.yml").write_text(yaml.safe_dump(configuration, sort_keys=False))
    result = run(["promtool", "check", "config", str(copy / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_default_configuration_and_its_example_check():
    configuration = SYSTEMD_DIRECTORY / "tally.yml"
    result = run([BINARY, "check-config", "--config.file", str(configuration)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 rules, cardinality limit 2000, at most 250000 pushed series" in result.stdout


def test_the_commented_example_in_the_default_configuration_checks(tmp_path):
    lines = configuration_example_lines((SYSTEMD_DIRECTORY / "tally.yml").read_text())
    example = tmp_path / "example.yml"
    example.write_text("\n".join(lines) + "\n")
    result = run([BINARY, "check-config", "--config.file", str(example)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rules" in result.stdout


def configuration_example_lines(text):
    """The indented, commented-out YAML block of tally.yml, uncommented."""
    block = [line[1:] for line in text.splitlines() if line.startswith("#   ")]
    indentation = min(len(line) - len(line.lstrip()) for line in block)
    return [line[indentation:] for line in block]


# MARK: tally under the units


class Notifications:
    """The $NOTIFY_SOCKET end of sd_notify(3): collects the datagrams tally sends."""

    def __init__(self, path):
        self.path = str(path)
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        os.chmod(self.path, 0o666)
        self.socket.settimeout(0.1)
        self.messages = []

    def wait_for(self, predicate, server, timeout=20):
        """The first message that satisfies `predicate`; fails early, with the server's log, if the server exits."""
        deadline = time.monotonic() + timeout
        exited = False
        while True:
            for message in self.messages:
                if predicate(message):
                    return message
            if time.monotonic() > deadline or exited:
                break
            # Once the server has exited, what it sent is still read, then the wait ends.
            exited = server.process.poll() is not None
            try:
                self.messages.append(self.socket.recv(4096).decode())
                exited = False
            except socket.timeout:
                pass
        raise AssertionError(
            f"no such notification (exit status {server.process.poll()}); got {self.messages}\n{server.logs()}")

    def wait_for_field(self, field, server, timeout=20):
        return self.wait_for(lambda message: field in message.split("\n"), server, timeout)

    def close(self):
        self.socket.close()


class ActivatedSockets:
    """The sockets the three socket units would create, in a temporary root; the TCP one on a free port."""

    def __init__(self, root):
        self.by_name = {}
        self.paths = []
        for unit in SOCKETS:
            settings = dict(unit_sections(SYSTEMD_DIRECTORY / unit)["Socket"])
            name = settings["FileDescriptorName"]
            if "ListenDatagram" in settings:
                listener = self.unix(root, settings["ListenDatagram"], socket.SOCK_DGRAM, settings)
            elif settings["ListenStream"].startswith("/"):
                listener = self.unix(root, settings["ListenStream"], socket.SOCK_STREAM, settings)
                listener.listen(16)
            else:
                listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                listener.bind(("127.0.0.1", free_port()))
                listener.listen(16)
                self.port = listener.getsockname()[1]
            self.by_name[name] = listener

    def unix(self, root, path, kind, settings):
        path = root / path.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(int(settings.get("DirectoryMode", "0755"), 8))
        listener = socket.socket(socket.AF_UNIX, kind)
        listener.bind(str(path))
        os.chmod(path, int(settings["SocketMode"], 8))
        self.paths.append(path)
        return listener

    def close(self):
        for listener in self.by_name.values():
            listener.close()


class ConfinedTally:
    """tally started as tally.service starts it, under tools/exec_confined.py."""

    def __init__(self, root, sockets, syscall_groups, notifications, user):
        command_line = unit_values(SYSTEMD_DIRECTORY / SERVICE, "Service", "ExecStart")[0]
        # ExecStart='s absolute paths (binary, state file, configuration) move into the temporary root.
        arguments = shlex.split(command_line)
        command = [str(root / argument.lstrip("/")) if argument.startswith("/") else argument
                   for argument in arguments]
        listen = [f"{name}={listener.fileno()}" for name, listener in sockets.by_name.items()]
        wrapper = [sys.executable, str(EXEC_CONFINED), "--unit", str(SYSTEMD_DIRECTORY / SERVICE),
                   "--syscall-groups", str(syscall_groups)]
        if user:
            wrapper += ["--user", user]
        for item in listen:
            wrapper += ["--listen", item]
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith(("LISTEN_", "NOTIFY_", "WATCHDOG_"))}
        environment["NOTIFY_SOCKET"] = notifications.path
        environment["WATCHDOG_USEC"] = "1000000"
        self.log_path = root / f"tally-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [*wrapper, "--", *command], stdout=self.log, stderr=subprocess.STDOUT, env=environment,
            pass_fds=[listener.fileno() for listener in sockets.by_name.values()])

    def logs(self):
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self):
        return stop_process(self.process, self.log, timeout=10)


@pytest.fixture
def service_root(unit_root, tmp_path):
    """unit_root plus /etc/tally/tally.yml and the state directory, owned by the user tally will run as."""
    user = "nobody" if os.geteuid() == 0 else None
    configuration = unit_root / "etc/tally/tally.yml"
    configuration.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SYSTEMD_DIRECTORY / "tally.yml", configuration)
    configuration.chmod(0o644)
    state = unit_root / "var/lib/tally"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    state.chmod(int(dict(unit_sections(SYSTEMD_DIRECTORY / SERVICE)["Service"]).get("StateDirectoryMode", "0755"), 8))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(state, entry.pw_uid, entry.pw_gid)
    (unit_root / "run").mkdir()
    (unit_root / "run").chmod(0o755)
    yield unit_root, user
    shutil.rmtree(unit_root / "run", ignore_errors=True)
    shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def syscall_groups(backports_root, tmp_path_factory):
    result = systemd_analyze("syscall-filter")
    assert result.returncode == 0, result.stderr
    path = tmp_path_factory.mktemp("seccomp") / "syscall-filter.txt"
    path.write_text(result.stdout)
    path.parent.chmod(0o755)
    path.chmod(0o644)
    return path


def scrape(port):
    status, _, body = http_get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert status == 200
    return body.decode()


PROBE = """
import mmap, os, socket
def outcome(action):
    try:
        action()
        return "allowed"
    except OSError as error:
        return os.strerror(error.errno)
print(outcome(lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)))
print(outcome(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)))
print(outcome(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).close()))
print(outcome(lambda: os.sched_setaffinity(0, {0})))
print(outcome(lambda: mmap.mmap(-1, 4096).close()))
"""


def test_the_sandbox_wrapper_enforces_the_services_settings(syscall_groups):
    """tools/exec_confined.py really applies tally.service's filters, so the test below means something:
    W+X memory (MemoryDenyWriteExecute=), netlink sockets (RestrictAddressFamilies=) and a call from @resources
    (SystemCallFilter=~@resources) are refused; ordinary calls go through."""
    result = run([sys.executable, str(EXEC_CONFINED), "--unit", str(SYSTEMD_DIRECTORY / SERVICE),
                  "--syscall-groups", str(syscall_groups), "--", sys.executable, "-c", PROBE], timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        os.strerror(errno.EPERM), os.strerror(errno.EAFNOSUPPORT), "allowed", os.strerror(errno.EPERM), "allowed"]


def test_tally_runs_as_the_units_start_it(service_root, syscall_groups):
    root, user = service_root
    notifications = Notifications(root / "run/notify")
    sockets = ActivatedSockets(root)
    tally = ConfinedTally(root, sockets, syscall_groups, notifications, user)
    try:
        # READY=1 means ExecStart='s flags parsed, the sockets were taken by name and the configuration loaded.
        notifications.wait_for_field("READY=1", tally)
        notifications.wait_for(lambda message: message.startswith("STATUS=") or "\nSTATUS=" in message, tally)

        text = scrape(sockets.port)
        for collector in ("cpu", "meminfo", "loadavg", "diskstats", "filesystem", "netdev", "stat"):
            assert sample_value(text, "node_scrape_collector_success", {"collector": collector}) == 1, (
                collector, tally.logs())

        push_socket = str(root / "run/tally/push.sock")
        pushed = run([BINARY, "push", "--socket", push_socket, "deploy_check_total:3|c|#via:stream"], timeout=10)
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as client:
            client.sendto(b"deploy_check_queue:7|g|#via:datagram\n", str(root / "run/tally/push.dgram.sock"))
        assert eventually(lambda: sample_value(scrape(sockets.port), "deploy_check_queue", {"via": "datagram"}) == 7)
        assert sample_value(scrape(sockets.port), "deploy_check_total", {"via": "stream"}) == 3

        notifications.wait_for_field("WATCHDOG=1", tally, timeout=5)

        notifications.messages.clear()
        tally.process.send_signal(signal.SIGHUP)
        reloading = notifications.wait_for_field("RELOADING=1", tally)
        assert re.search(r"^MONOTONIC_USEC=\d+$", reloading, re.MULTILINE), reloading
        notifications.wait_for_field("READY=1", tally)
        assert tally.process.poll() is None, tally.logs()

        assert tally.stop() == 0, tally.logs()
        notifications.wait_for_field("STOPPING=1", tally, timeout=1)
        state_file = root / "var/lib/tally/push.state"
        assert state_file.is_file(), tally.logs()
        if user:
            assert state_file.stat().st_uid == pwd.getpwnam(user).pw_uid
        # The socket files belong to the socket units (RemoveOnStop=yes): tally leaves them alone.
        for path in sockets.paths:
            assert path.exists(), path

        # A restart (Restart=on-failure, or systemctl restart) finds the pushed series in the state directory.
        again = ConfinedTally(root, sockets, syscall_groups, notifications, user)
        try:
            notifications.wait_for_field("READY=1", again)
            assert sample_value(scrape(sockets.port), "deploy_check_total", {"via": "stream"}) == 3, again.logs()
        finally:
            assert again.stop() == 0, again.logs()
    finally:
        tally.stop()
        sockets.close()
        notifications.close()


# MARK: Prometheus


def rule_files():
    return sorted((PROMETHEUS_DIRECTORY / "rules").glob("*.rules.yml"))


def test_promtool_check_config():
    result = run(["promtool", "check", "config", str(PROMETHEUS_DIRECTORY / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rule_files())} rule files found" in result.stdout + result.stderr


def test_promtool_check_rules():
    result = run(["promtool", "check", "rules", *map(str, rule_files())])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(rule_files())


def test_promtool_rule_unit_tests_pass():
    tests = sorted((PROMETHEUS_DIRECTORY / "tests").glob("*.test.yml"))
    assert len(tests) == len(rule_files())
    result = run(["promtool", "test", "rules", *map(str, tests)], cwd=PROMETHEUS_DIRECTORY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(tests)


def alerting_rules():
    """(rule file, group index, rule index, id) for every alerting rule."""
    found = []
    for path in rule_files():
        for group_index, group in enumerate(yaml.safe_load(path.read_text())["groups"]):
            for rule_index, rule in enumerate(group["rules"]):
                if "alert" in rule:
                    severity = rule.get("labels", {}).get("severity", "")
                    found.append((path.name, group_index, rule_index, f"{rule['alert']}:{severity}"))
    return found


@pytest.mark.parametrize("mutation", ["never fires", "always fires", "fires without waiting"])
@pytest.mark.parametrize("rule", alerting_rules(), ids=lambda rule: rule[3])
def test_unit_tests_notice_a_broken_alert(rule, mutation, tmp_path):
    """Each alerting rule has tests that see it fire, stay quiet, and wait for its `for:`: replacing its expression
    by one that never fires or one that always fires, or dropping its `for:`, makes `promtool test rules` fail.
    Only the test groups that check this alert run, to keep it quick."""
    file_name, group_index, rule_index, rule_id = rule
    copy = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS_DIRECTORY, copy)
    path = copy / "rules" / file_name
    document = yaml.safe_load(path.read_text())
    alert = document["groups"][group_index]["rules"][rule_index]
    if mutation == "never fires":
        alert["expr"] = "vector(1) == 2"
    elif mutation == "always fires":
        alert["expr"] = "vector(1)"
    else:
        assert alert.pop("for", None), f"{rule_id} has no for:"
    path.write_text(yaml.safe_dump(document, sort_keys=False))

    test_file = copy / "tests" / file_name.replace(".rules.yml", ".test.yml")
    tests = yaml.safe_load(test_file.read_text())
    tests["tests"] = [group for group in tests["tests"]
                      if any(check["alertname"] == alert["alert"] for check in group.get("alert_rule_test", []))]
    assert tests["tests"], f"no test checks {rule_id}"
    test_file.write_text(yaml.safe_dump(tests, sort_keys=False))
    result = run(["promtool", "test", "rules", str(test_file)], cwd=copy)
    assert result.returncode != 0, result.stdout


def test_prometheus_loads_the_deploy_configuration_and_evaluates_the_rules(start_tally, tmp_path):
    """A real Prometheus with prometheus.yml and the rules as shipped (only the intervals shortened and the
    example targets replaced by a running tally): the file_sd target is up and every rule evaluates cleanly."""
    tally = start_tally()
    pushed = run([BINARY, "push", "--socket", tally.push_socket,
                  "crypto_api_requests_total:5|c|#status:success", "crypto_api_requests_total:1|c|#status:error",
                  "crypto_data_processed_total:10|c", "crypto_processing_queue_size:4|g",
                  "crypto_processing_duration:120|ms|#operation:fetch"], timeout=10)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr

    configuration_directory = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS_DIRECTORY, configuration_directory)
    for example in (configuration_directory / "targets").glob("*.yml"):
        example.unlink()
    (configuration_directory / "targets" / "local.yml").write_text(
        yaml.safe_dump([{"targets": [tally.address], "labels": {"role": "test"}}]))
    configuration = configuration_directory / "prometheus.yml"
    document = yaml.safe_load(configuration.read_text())
    document["global"].update({"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"})
    document.pop("alerting")
    configuration.write_text(yaml.safe_dump(document, sort_keys=False))

    port = free_port()
    prometheus = subprocess.Popen(
        ["prometheus", f"--config.file={configuration}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def query(expression):
        try:
            status, _, body = http_get(url + "/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
        except OSError:
            return []
        return json.loads(body)["data"]["result"] if status == 200 else []

    try:
        up = eventually(lambda: query('up{job="tally"} == 1'), timeout=60)
        assert up and up[0]["metric"]["role"] == "test", up
        for record in ("instance:node_num_cpu:sum", "instance:node_cpu_utilisation:rate5m",
                       "instance:node_load1_per_cpu:ratio", "instance:node_memory_utilisation:ratio",
                       "job_instance:crypto_api_requests:rate5m", "job_instance:crypto_api_request_errors:ratio_rate5m",
                       "job_instance:crypto_processing_queue_size:sum",
                       "job_instance_operation:crypto_processing_duration_seconds:p95_rate5m"):
            assert eventually(lambda: query(record), timeout=30), record
        assert float(query("job_instance:crypto_processing_queue_size:sum")[0]["value"][1]) == 4

        status, _, body = http_get(url + "/api/v1/rules")
        assert status == 200
        groups = json.loads(body)["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        expected = sum(len(group["rules"]) for path in rule_files()
                       for group in yaml.safe_load(path.read_text())["groups"])
        assert len(rules) == expected
        assert eventually(lambda: all_rules_evaluated(url), timeout=15), all_rules_evaluated(url, details=True)
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=10)


def all_rules_evaluated(url, details=False):
    """Whether every rule has been evaluated and none failed (for example on many-to-many matching)."""
    _, _, body = http_get(url + "/api/v1/rules")
    rules = [rule for group in json.loads(body)["data"]["groups"] for rule in group["rules"]]
    problems = [(rule["name"], rule.get("health"), rule.get("lastError")) for rule in rules
                if rule.get("health") != "ok"]
    return problems if details else not problems
