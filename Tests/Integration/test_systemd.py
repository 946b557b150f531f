"""tally under a stand-in for systemd: its own $NOTIFY_SOCKET, the real systemd-socket-activate, journald.

The notify socket is ours (a path and an abstract name), so the tests see every datagram tally sends: READY=1 only
when /-/ready answers and never on a failed start, STATUS, watchdog pings at half of WATCHDOG_USEC, the reload
sequence, and STOPPING=1 on SIGTERM.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import BINARY, FIXTURES, free_port, http_get

SERVE = ["--collector.disable-defaults", "--collector.loadavg", "--path.procfs", str(FIXTURES / "proc")]


class NotifySocket:
    """The systemd end of sd_notify(3): a datagram socket that records what tally sends."""

    def __init__(self, address):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(address)
        self.socket.settimeout(0.2)
        self.address = address
        self.messages = []

    @property
    def environment_value(self):
        return "@" + self.address[1:].decode() if isinstance(self.address, bytes) else self.address

    def receive(self, deadline):
        while time.monotonic() < deadline:
            try:
                data = self.socket.recv(4096)
            except socket.timeout:
                continue
            message = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            self.messages.append((time.monotonic(), message))
            return message
        return None

    def wait_for(self, key, value=None, timeout=10):
        for _, message in self.messages:
            if key in message and (value is None or message[key] == value):
                self.messages = [entry for entry in self.messages if entry[1] is not message]
                return message
        deadline = time.monotonic() + timeout
        while True:
            message = self.receive(deadline)
            if message is None:
                raise AssertionError(f"no {key}={value} from tally within {timeout} s; saw {self.messages}")
            if key in message and (value is None or message[key] == value):
                self.messages.pop()
                return message

    def forget(self):
        """Drops what arrived so far, so that the next wait sees only what follows."""
        self.messages = []

    def close(self):
        self.socket.close()


@pytest.fixture(params=["path", "abstract"])
def notify_socket(request, tmp_path):
    address = str(tmp_path / "notify.sock") if request.param == "path" else f"\0tally-test-{os.getpid()}-{free_port()}".encode()
    notify = NotifySocket(address)
    yield notify
    notify.close()


def spawn(arguments, environment, **keywords):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LISTEN_", "NOTIFY_", "WATCHDOG_", "JOURNAL_"))}
    env.update(environment)
    return subprocess.Popen([BINARY, *arguments], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **keywords)


def serve_arguments(tmp_path, port, *extra):
    return ["serve", "--web.listen-address", f"127.0.0.1:{port}", "--push.socket", str(tmp_path / "push.sock"),
            "--push.datagram-socket", str(tmp_path / "push.dgram.sock"), *SERVE, *extra]


def test_ready_arrives_once_ready_answers_then_status_and_a_clean_stop(notify_socket, tmp_path):
    port = free_port()
    tally = spawn(serve_arguments(tmp_path, port), {"NOTIFY_SOCKET": notify_socket.environment_value})
    try:
        notify_socket.wait_for("READY", "1")
        # The moment READY=1 arrives, the readiness endpoint already says so.
        assert http_get(f"http://127.0.0.1:{port}/-/ready")[0] == 200
        status = notify_socket.wait_for("STATUS")["STATUS"]
        assert "pushed series" in status and "scrapes served" in status and "last error: none" in status
        assert os.path.exists(tmp_path / "push.sock") and os.path.exists(tmp_path / "push.dgram.sock")
        started = time.monotonic()
        tally.send_signal(signal.SIGTERM)
        notify_socket.wait_for("STOPPING", "1", timeout=2)
        assert tally.wait(timeout=2) == 0
        assert time.monotonic() - started < 1.0
        assert not os.path.exists(tmp_path / "push.sock") and not os.path.exists(tmp_path / "push.dgram.sock")
    finally:
        tally.kill()
        tally.wait()


@pytest.mark.parametrize("failure", ["bad configuration", "port in use", "live push socket"])
def test_a_failed_start_never_says_ready(notify_socket, tmp_path, failure):
    port = free_port()
    extra = []
    blocker = None
    if failure == "bad configuration":
        (tmp_path / "bad.yml").write_text("rules:\n  - match: x\n    bukets: [1]\n")
        extra = ["--config.file", str(tmp_path / "bad.yml")]
    elif failure == "port in use":
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
    else:
        blocker = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        blocker.bind(str(tmp_path / "push.sock"))
        blocker.listen()
    tally = spawn(serve_arguments(tmp_path, port, *extra), {"NOTIFY_SOCKET": notify_socket.environment_value})
    try:
        output = tally.communicate(timeout=10)[0].decode()
        assert tally.returncode != 0
        assert "cannot start" in output
        assert notify_socket.receive(time.monotonic() + 0.5) is None, notify_socket.messages
    finally:
        if blocker:
            blocker.close()


def test_watchdog_pings_at_half_the_interval(notify_socket, tmp_path):
    tally = spawn(serve_arguments(tmp_path, free_port()),
                  {"NOTIFY_SOCKET": notify_socket.environment_value, "WATCHDOG_USEC": "400000"})
    try:
        notify_socket.wait_for("READY", "1")
        pings = []
        deadline = time.monotonic() + 2.2
        while time.monotonic() < deadline:
            message = notify_socket.receive(deadline)
            if message and message.get("WATCHDOG") == "1":
                pings.append(time.monotonic())
        # Every 0.2 s for 2.2 s: about 11 pings, with slack for a busy machine.
        assert 8 <= len(pings) <= 14, pings
        gaps = [later - earlier for earlier, later in zip(pings, pings[1:])]
        assert max(gaps) < 0.4
        # A WATCHDOG_PID of another process turns the watchdog off.
    finally:
        tally.terminate()
        tally.wait(timeout=5)
    quiet = spawn(serve_arguments(tmp_path, free_port()),
                  {"NOTIFY_SOCKET": notify_socket.environment_value, "WATCHDOG_USEC": "400000", "WATCHDOG_PID": "1"})
    try:
        notify_socket.wait_for("READY", "1")
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline:
            message = notify_socket.receive(deadline)
            assert not (message and "WATCHDOG" in message)
    finally:
        quiet.terminate()
        quiet.wait(timeout=5)


def test_reload_sends_reloading_with_monotonic_usec_then_ready_and_keeps_a_bad_file_out(notify_socket, tmp_path):
    config = tmp_path / "tally.yml"
    config.write_text("push:\n  max_series: 1000\n")
    port = free_port()
    tally = spawn(serve_arguments(tmp_path, port, "--config.file", str(config)),
                  {"NOTIFY_SOCKET": notify_socket.environment_value})
    try:
        notify_socket.wait_for("READY", "1")
        before = time.clock_gettime(time.CLOCK_MONOTONIC)
        tally.send_signal(signal.SIGHUP)
        reloading = notify_socket.wait_for("RELOADING", "1")
        after = time.clock_gettime(time.CLOCK_MONOTONIC)
        assert before * 1e6 <= int(reloading["MONOTONIC_USEC"]) <= after * 1e6
        notify_socket.wait_for("READY", "1")
        # An invalid file: logged, shown in STATUS, the old rules stay, and READY=1 follows anyway.
        config.write_text("rules:\n  - match: x\n    bukets: [1]\n")
        notify_socket.forget()
        tally.send_signal(signal.SIGHUP)
        notify_socket.wait_for("RELOADING", "1")
        status = notify_socket.wait_for("STATUS")["STATUS"]
        assert "configuration not reloaded" in status and "bukets" in status
        notify_socket.wait_for("READY", "1")
        body = http_get(f"http://127.0.0.1:{port}/metrics")[2].decode()
        assert "tally_config_last_reload_successful 0" in body
        config.write_text("push:\n  max_series: 1000\n")
        tally.send_signal(signal.SIGHUP)
        notify_socket.wait_for("READY", "1")
        body = http_get(f"http://127.0.0.1:{port}/metrics")[2].decode()
        assert "tally_config_last_reload_successful 1" in body
    finally:
        tally.terminate()
        tally.wait(timeout=5)


def wait_for_http(url, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return urllib.request.urlopen(url, timeout=1).read()
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{url} did not answer")


def test_systemd_socket_activate_passes_http_and_push(tmp_path):
    port = free_port()
    push_path = str(tmp_path / "activated.sock")
    activator = subprocess.Popen(
        ["systemd-socket-activate", "-l", f"127.0.0.1:{port}", "-l", push_path, "--fdname=http:push",
         BINARY, "serve", "--web.systemd-socket", "--push.datagram-socket", "", *SERVE],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # systemd-socket-activate starts tally at the first connection.
        body = wait_for_http(f"http://127.0.0.1:{port}/metrics").decode()
        assert "node_load1 0.52" in body
        pushed = subprocess.run([BINARY, "push", "--socket", push_path, "activated:3|c"], capture_output=True)
        assert pushed.returncode == 0, pushed.stderr
        assert "activated_total 3" in urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    finally:
        activator.terminate()
        activator.wait(timeout=5)


def passed_listeners(tmp_path, kinds):
    """Sockets of the given kinds, as systemd would pass them."""
    sockets = []
    for kind in kinds:
        if kind == "tcp":
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen()
        elif kind == "stream":
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(tmp_path / f"passed-{len(sockets)}.sock"))
            listener.listen()
        else:
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            listener.bind(str(tmp_path / f"passed-{len(sockets)}.sock"))
        sockets.append(listener)
    return sockets


def spawn_with_listeners(sockets, names, arguments):
    """Starts tally with `sockets` at fds 3, 4, ... and LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES set for it."""
    descriptors = [entry.fileno() for entry in sockets]

    def arrange():
        moved = [os.dup(descriptor) for descriptor in descriptors]
        for index, descriptor in enumerate(moved):
            os.dup2(descriptor, 3 + index)
            os.set_inheritable(3 + index, True)

    command = ["/bin/sh", "-c", 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', "sh", BINARY, *arguments]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LISTEN_", "NOTIFY_"))}
    env.update({"LISTEN_FDS": str(len(sockets)), "LISTEN_FDNAMES": ":".join(names)})
    return subprocess.Popen(command, env=env, preexec_fn=arrange, pass_fds=(), close_fds=False,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_all_three_named_listeners_are_taken(tmp_path):
    sockets = passed_listeners(tmp_path, ["tcp", "stream", "dgram"])
    port = sockets[0].getsockname()[1]
    tally = spawn_with_listeners(sockets, ["http", "push", "push-dgram"], ["serve", "--web.systemd-socket", *SERVE])
    try:
        wait_for_http(f"http://127.0.0.1:{port}/-/ready")
        assert subprocess.run([BINARY, "push", "--socket", sockets[1].getsockname(), "via_stream:2|c"]).returncode == 0
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as client:
            client.sendto(b"via_datagram:5|g\n", sockets[2].getsockname())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
            if "via_datagram 5" in body:
                break
            time.sleep(0.05)
        assert "via_stream_total 2" in body and "via_datagram 5" in body
    finally:
        tally.terminate()
        tally.wait(timeout=5)
        for entry in sockets:
            entry.close()


@pytest.mark.parametrize(
    "kinds, names, message",
    [
        (["dgram"], ["http"], "socket 'http' (fd 3) is not a listening AF_INET or AF_INET6 SOCK_STREAM socket"),
        (["tcp", "tcp"], ["http", "push"], "socket 'push' (fd 4) is not a listening AF_UNIX SOCK_STREAM socket"),
        (["tcp", "stream"], ["http", "metrics"], "unknown FileDescriptorName"),
        (["tcp"], ["http"], "systemd passed no socket named 'push'"),
    ],
)
def test_wrong_or_missing_sockets_are_a_clear_start_up_error(tmp_path, kinds, names, message):
    sockets = passed_listeners(tmp_path, kinds)
    tally = spawn_with_listeners(sockets, names, ["serve", "--web.systemd-socket", "--push.datagram-socket", "", *SERVE])
    output = tally.communicate(timeout=10)[0].decode()
    for entry in sockets:
        entry.close()
    assert tally.returncode != 0
    assert message in output, output


def test_systemd_socket_activate_with_a_datagram_for_http_is_refused(tmp_path):
    port = free_port()
    activator = subprocess.Popen(
        ["systemd-socket-activate", "--datagram", "-l", f"127.0.0.1:{port}", "--fdname=http",
         BINARY, "serve", "--web.systemd-socket", "--push.socket", "", "--push.datagram-socket", "", *SERVE],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # The datagram that starts tally is lost if it comes before the activator binds, so knock until it has.
        deadline = time.monotonic() + 10
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as knock:
            while activator.poll() is None and time.monotonic() < deadline:
                knock.sendto(b"x", ("127.0.0.1", port))
                time.sleep(0.1)
        output = activator.communicate(timeout=5)[0].decode()
        assert "socket 'http' (fd 3) is not a listening AF_INET or AF_INET6 SOCK_STREAM socket" in output, output
    finally:
        activator.kill()
        activator.wait()


def test_log_lines_carry_syslog_priorities_when_stderr_is_the_journal(tmp_path):
    log = open(tmp_path / "journal.log", "wb")
    status = os.fstat(log.fileno())
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LISTEN_", "NOTIFY_"))}
    env["JOURNAL_STREAM"] = f"{status.st_dev}:{status.st_ino}"
    tally = subprocess.Popen([BINARY, *serve_arguments(tmp_path, free_port(), "--log.format", "json")],
                             stdout=log, stderr=log, env=env)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and b"tally is serving" not in (tmp_path / "journal.log").read_bytes():
            time.sleep(0.05)
    finally:
        tally.terminate()
        tally.wait(timeout=5)
        log.close()
    lines = (tmp_path / "journal.log").read_text().splitlines()
    serving = next(line for line in lines if "tally is serving" in line)
    assert serving.startswith('<6>{"time":"') and '"level":"info"' in serving
    # Without the journal there is no prefix.
    plain = subprocess.run([BINARY, "serve", "--web.listen-address", "127.0.0.1:1", "--log.format", "logfmt",
                            "--config.file", str(tmp_path / "missing.yml")], capture_output=True, env={
        key: value for key, value in os.environ.items() if not key.startswith("JOURNAL_")})
    assert plain.stderr.startswith(b"time=")
    assert b"level=critical" in plain.stderr


def mapped_libraries(pid):
    with open(f"/proc/{pid}/maps") as maps:
        return {line.split()[-1].rsplit("/", 1)[-1] for line in maps if "/" in line}


def test_libsystemd_is_loaded_only_under_systemd(notify_socket, tmp_path):
    # The binary does not link libsystemd: `tally push` and a tally outside systemd never map it.
    needed = subprocess.run(["ldd", BINARY], capture_output=True, text=True, check=True).stdout
    assert "libc.so" in needed and "libsystemd" not in needed, needed
    port = free_port()
    outside = spawn(serve_arguments(tmp_path, port), {})
    try:
        wait_for_http(f"http://127.0.0.1:{port}/-/ready")
        assert not any(name.startswith("libsystemd.so") for name in mapped_libraries(outside.pid))
    finally:
        outside.terminate()
        outside.wait(timeout=5)
    # Under systemd it is loaded for the first notification.
    port = free_port()
    under = spawn(serve_arguments(tmp_path, port), {"NOTIFY_SOCKET": notify_socket.environment_value})
    try:
        notify_socket.wait_for("READY", "1")
        assert any(name.startswith("libsystemd.so") for name in mapped_libraries(under.pid))
    finally:
        under.terminate()
        under.wait(timeout=5)


def test_a_libsystemd_that_cannot_be_loaded_is_a_clear_error(notify_socket, tmp_path):
    # A libsystemd.so.0 that is not an ELF file, found first through LD_LIBRARY_PATH.
    broken = tmp_path / "lib"
    broken.mkdir()
    (broken / "libsystemd.so.0").write_bytes(b"not a library\n")
    # Notifications fail with the loader's reason in the log, and tally keeps serving.
    port = free_port()
    tally = spawn(serve_arguments(tmp_path, port),
                  {"NOTIFY_SOCKET": notify_socket.environment_value, "LD_LIBRARY_PATH": str(broken)})
    try:
        wait_for_http(f"http://127.0.0.1:{port}/-/ready")
        assert http_get(f"http://127.0.0.1:{port}/metrics")[0] == 200
    finally:
        tally.terminate()
        output = tally.communicate(timeout=5)[0].decode()
    assert tally.returncode == 0, output
    assert "cannot notify systemd" in output and "sd_notify failed: libsystemd cannot be loaded:" in output, output
    assert "libsystemd.so.0" in output, output
    # Passed sockets cannot be read without it: a start-up error that says so, before any descriptor is looked at.
    command = ["/bin/sh", "-c", 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', "sh", BINARY, "serve",
               "--web.systemd-socket", "--push.datagram-socket", "", *SERVE]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LISTEN_", "NOTIFY_"))}
    env.update({"LISTEN_FDS": "2", "LISTEN_FDNAMES": "http:push", "LD_LIBRARY_PATH": str(broken)})
    started = subprocess.run(command, env=env, capture_output=True, text=True, timeout=10)
    assert started.returncode != 0
    assert "cannot read the sockets systemd passed: sd_listen_fds_with_names failed: libsystemd cannot be loaded" \
        in started.stderr, started.stderr
