"""Shared fixtures for the integration tests: they run the built tally binary as a real process.

The binary comes from $TALLY_BINARY (the Makefile passes the release build). Every server listens on 127.0.0.1
on a free port, with its push sockets and state in a temporary directory, and is stopped with SIGTERM at the end.
"""

import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPOSITORY / "Tests" / "Fixtures"
BINARY = os.environ.get("TALLY_BINARY", str(REPOSITORY / ".build" / "release" / "tally"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(url, headers=None, timeout=5):
    """Returns (status, headers, body) without raising on HTTP error statuses."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Tally:
    """One running `tally serve`."""

    def __init__(self, directory, *arguments, environment=None, wait_ready=True):
        self.directory = pathlib.Path(directory)
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.address}"
        self.push_socket = str(self.directory / f"push-{self.port}.sock")
        self.datagram_socket = str(self.directory / f"push-{self.port}.dgram.sock")
        self.log_path = self.directory / f"tally-{self.port}.log"
        command = [BINARY, "serve", "--web.listen-address", self.address]
        if "--push.socket" not in arguments:
            command += ["--push.socket", self.push_socket]
        if "--push.datagram-socket" not in arguments:
            command += ["--push.datagram-socket", self.datagram_socket]
        command += list(arguments)
        self.command = command
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        env.pop("LISTEN_FDS", None)
        env.update(environment or {})
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"tally exited with {self.process.returncode}:\n{self.logs()}")
            try:
                status, _, _ = http_get(self.url + "/-/ready", timeout=1)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"tally did not become ready:\n{self.logs()}")

    def get(self, path="/metrics", headers=None, timeout=10):
        return http_get(self.url + path, headers=headers, timeout=timeout)

    def metrics(self):
        status, _, body = self.get("/metrics")
        assert status == 200
        return body.decode()

    def logs(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=5):
        return stop_process(self.process, self.log, sig, timeout)


def stop_process(process, log, sig=signal.SIGTERM, timeout=5):
    """Sends `sig`, kills the process if it outlives `timeout` seconds, closes its log; the exit status."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.close()
    return process.returncode


def eventually(condition, timeout=10):
    """Polls `condition` until it returns something truthy or `timeout` seconds pass; its last result."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    return condition()


@pytest.fixture
def start_tally(tmp_path):
    """Starts tally servers; every one is stopped when the test ends."""
    started = []

    def start(*arguments, **keywords):
        server = Tally(tmp_path, *arguments, **keywords)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def tally(start_tally):
    """A tally on the repository's fixture /proc tree."""
    return start_tally(
        "--path.procfs", str(FIXTURES / "proc"),
        "--path.sysfs", str(FIXTURES / "sys"),
        "--path.udev.data", str(FIXTURES / "udev" / "data"),
        "--no-collector.filesystem",
    )


def sample_value(text, name, labels=None):
    """The value of one sample in exposition text, parsed with prometheus_client."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and (labels is None or sample.labels == labels):
                return sample.value
    return None
