"""Pushing over the UNIX sockets with real clients, exact values on /metrics, limits, TTL, durability."""

import os
import signal
import socket
import subprocess

from prometheus_client.parser import text_string_to_metric_families

from conftest import BINARY, FIXTURES, eventually, sample_value

SERVE = ("--collector.disable-defaults", "--path.procfs", str(FIXTURES / "proc"))


def tally_push(server, *lines, stdin=None, socket_path=None, timeout=10):
    return subprocess.run(
        [BINARY, "push", "--socket", socket_path or server.push_socket, *lines],
        input=stdin, capture_output=True, timeout=timeout,
    )


def value(server, name, **labels):
    return sample_value(server.metrics(), name, labels)


def test_tally_push_arguments_give_exact_values(start_tally):
    server = start_tally(*SERVE)
    result = tally_push(
        server,
        "crypto.data.processed:100|c|#symbol:BTCUSDT,stage:fetch,data_type:klines,timeframe:1m",
        "crypto.data.processed:50|c|#symbol:BTCUSDT,stage:fetch,data_type:klines,timeframe:1m",
        "crypto_processing_queue_size:7|g",
        "crypto_processing_queue_size:-2|g",
        "crypto_processing_duration:250|ms|#operation:fetch,stage:fetch,status:success,symbol:BTCUSDT",
        "crypto_processing_duration:4000|ms|#operation:fetch,stage:fetch,status:success,symbol:BTCUSDT",
        "crypto_data_volume_bytes:4096|c|#symbol:BTCUSDT,timeframe:1m",
        "payload_size:300|h",
        "payload_size:7000|d",
    )
    assert result.returncode == 0, result.stderr
    labels = {"symbol": "BTCUSDT", "stage": "fetch", "data_type": "klines", "timeframe": "1m"}
    assert value(server, "crypto_data_processed_total", **labels) == 150
    assert value(server, "crypto_processing_queue_size") == 5
    timer = {"operation": "fetch", "stage": "fetch", "status": "success", "symbol": "BTCUSDT"}
    assert value(server, "crypto_processing_duration_seconds_count", **timer) == 2
    assert value(server, "crypto_processing_duration_seconds_sum", **timer) == 4.25
    assert value(server, "crypto_processing_duration_seconds_bucket", le="0.25", **timer) == 1
    assert value(server, "crypto_processing_duration_seconds_bucket", le="2.5", **timer) == 1
    assert value(server, "crypto_processing_duration_seconds_bucket", le="5", **timer) == 2
    assert value(server, "crypto_data_volume_bytes_total", symbol="BTCUSDT", timeframe="1m") == 4096
    assert value(server, "payload_size_bucket", le="250") == 0
    assert value(server, "payload_size_bucket", le="500") == 1
    assert value(server, "payload_size_bucket", le="7500") == 2
    assert value(server, "payload_size_sum") == 7300
    assert value(server, "tally_push_series") == 5


def test_tally_push_reads_a_long_pipe_from_stdin(start_tally):
    server = start_tally(*SERVE)
    lines = "".join(f"crypto_api_requests:1|c|#endpoint:/klines,status:success,symbol:S{index % 500}\n"
                    for index in range(200_000))
    result = tally_push(server, "-", stdin=lines.encode(), timeout=60)
    assert result.returncode == 0, result.stderr
    text = server.metrics()
    total = sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                if sample.name == "crypto_api_requests_total")
    assert total == 200_000


def test_refused_lines_are_printed_with_their_reason_and_counted(start_tally):
    server = start_tally(*SERVE)
    result = tally_push(server, "good:1|c", "bad:-1|c", "worse:1|zz", "good:1|g")
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert 'line 2 "bad:-1|c" refused: negative_counter' in stderr
    assert 'line 3 "worse:1|zz" refused: unknown_type' in stderr
    assert 'line 4 "good:1|g" refused: type_conflict' in stderr
    assert value(server, "good_total") == 1
    assert value(server, "tally_push_rejected_lines_total", reason="negative_counter") == 1
    assert value(server, "tally_push_rejected_lines_total", reason="type_conflict") == 1


def test_tally_push_accepts_every_spelling_of_its_options(start_tally):
    server = start_tally(*SERVE)
    spellings = [
        ["--socket", server.push_socket, "spelled:1|c"],
        [f"--socket={server.push_socket}", "--timeout=5", "spelled:1|c"],
        ["--timeout", "2.5", "--socket", server.push_socket, "--", "spelled:1|c", "spelled:1|c"],
        ["spelled:1|c", "--socket", server.push_socket],
    ]
    for arguments in spellings:
        result = subprocess.run([BINARY, "push", *arguments], capture_output=True, timeout=10)
        assert result.returncode == 0, (arguments, result.stderr)
    assert value(server, "spelled_total") == 5


def test_tally_push_usage_errors_come_from_the_full_parser(start_tally):
    server = start_tally(*SERVE)
    cases = [
        (["--bogus", "a:1|c"], "Unknown option '--bogus'"),
        (["--socket", server.push_socket, "--timeout", "0", "a:1|c"], "--timeout must be positive"),
        (["--socket", server.push_socket, "--timeout", "soon", "a:1|c"], "soon"),
        (["--socket", server.push_socket], "Missing expected argument"),
    ]
    for arguments, message in cases:
        result = subprocess.run([BINARY, "push", *arguments], capture_output=True, timeout=10)
        assert result.returncode == 64, (arguments, result.returncode, result.stderr)
        assert message in result.stderr.decode(), (arguments, result.stderr)
    help_text = subprocess.run([BINARY, "push", "--help"], capture_output=True, timeout=10)
    assert help_text.returncode == 0 and b"--socket <socket>" in help_text.stdout
    assert value(server, "tally_push_lines_total", transport="stream") == 0


def test_missing_socket_is_a_clear_error(tmp_path):
    result = subprocess.run([BINARY, "push", "--socket", str(tmp_path / "none.sock"), "a:1|c"], capture_output=True)
    assert result.returncode == 2
    assert b"no push socket at" in result.stderr and b"tally serve" in result.stderr


def test_socat_and_netcat_push_plain_lines(start_tally):
    server = start_tally(*SERVE)
    subprocess.run(["socat", "-", f"UNIX-CONNECT:{server.push_socket}"], input=b"from_socat:3|c\n", check=True)
    subprocess.run(["nc", "-N", "-U", server.push_socket], input=b"from_netcat:4|g\n", check=True, timeout=10)
    assert eventually(lambda: value(server, "from_socat_total") == 3)
    assert eventually(lambda: value(server, "from_netcat") == 4)


def test_python_statsd_stream_client_and_datadog_datagram_client(start_tally):
    import statsd
    from datadog.dogstatsd.base import DogStatsd

    server = start_tally(*SERVE)
    stream = statsd.UnixSocketStatsClient(server.push_socket)
    stream.incr("crypto.api.errors", 3)
    stream.gauge("crypto.processing.queue.size", 12)
    stream.timing("crypto.api.request.duration", 120)
    stream.close()
    dog = DogStatsd(socket_path=server.datagram_socket)
    dog.increment("crypto_storage_operations_total", 2,
                  tags=["operation:write", "status:success", "storage_type:s3", "symbol:ETHUSDT"])
    dog.histogram("crypto_batch_rows", 42, tags=["symbol:ETHUSDT"])
    dog.distribution("crypto_batch_rows", 58, tags=["symbol:ETHUSDT"])
    dog.close_socket()
    assert eventually(lambda: value(server, "crypto_api_errors_total") == 3)
    assert value(server, "crypto_processing_queue_size") == 12
    assert value(server, "crypto_api_request_duration_seconds_sum") == 0.12
    assert eventually(lambda: value(server, "crypto_storage_operations_total", operation="write", status="success",
                                    storage_type="s3", symbol="ETHUSDT") == 2)
    assert value(server, "crypto_batch_rows_count", symbol="ETHUSDT") == 2
    assert value(server, "crypto_batch_rows_sum", symbol="ETHUSDT") == 100
    assert value(server, "tally_push_lines_total", transport="datagram") == 3


def test_cardinality_overflow_counts_every_line_once(start_tally, tmp_path):
    config = tmp_path / "tally.yml"
    config.write_text("rules:\n  - match: requests\n    cardinality_limit: 5\n")
    server = start_tally(*SERVE, "--config.file", str(config))
    result = tally_push(server, *[f"requests:1|c|#id:{index}" for index in range(12)], "requests:1|c|#id:0")
    assert result.returncode == 0, result.stderr
    text = server.metrics()
    assert sample_value(text, "requests_total", {"otel_metric_overflow": "true"}) == 7
    total = sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                if sample.name == "requests_total")
    assert total == 13
    assert sample_value(text, "tally_push_overflow_lines_total", {}) == 7


def test_series_expire_after_their_ttl(start_tally, tmp_path):
    config = tmp_path / "tally.yml"
    config.write_text("rules:\n  - match: 'job_*'\n    ttl: 2s\n")
    server = start_tally(*SERVE, "--config.file", str(config))
    assert tally_push(server, "job_last_success:1|g", "kept:1|g").returncode == 0
    assert value(server, "job_last_success") == 1
    assert eventually(lambda: value(server, "job_last_success") is None, timeout=6)
    assert value(server, "kept") == 1


def test_delete_command_through_socat(start_tally):
    server = start_tally(*SERVE)
    assert tally_push(server, "jobs:1|c|#queue:a", "jobs:1|c|#queue:b").returncode == 0
    reply = subprocess.run(["socat", "-", f"UNIX-CONNECT:{server.push_socket}"],
                           input=b"!delete jobs queue:a\n!sync\n", capture_output=True, check=True, timeout=10)
    assert reply.stdout == b"deleted 1\ndone 0 0\n"
    assert value(server, "jobs_total", queue="a") is None
    assert value(server, "jobs_total", queue="b") == 1


def test_sigterm_restart_and_sigkill_after_confirmation_keep_everything(start_tally, tmp_path):
    state = str(tmp_path / "state" / "push.state")
    os.makedirs(os.path.dirname(state))
    server = start_tally(*SERVE, "--push.state-file", state)
    assert tally_push(server, "survivor:5|c|#k:v", "level:3|g", "latency:20|ms").returncode == 0
    assert server.stop(signal.SIGTERM) == 0
    server = start_tally(*SERVE, "--push.state-file", state)
    assert value(server, "survivor_total", k="v") == 5
    assert value(server, "level") == 3
    assert value(server, "latency_seconds_count") == 1
    # Confirmed, then killed without a chance to save: the journal keeps it.
    assert tally_push(server, "survivor:7|c|#k:v", "after_kill:1|c").returncode == 0
    server.process.kill()
    server.process.wait()
    server = start_tally(*SERVE, "--push.state-file", state)
    assert value(server, "survivor_total", k="v") == 12
    assert value(server, "after_kill_total") == 1


def test_a_corrupt_state_file_is_set_aside(start_tally, tmp_path):
    state = tmp_path / "push.state"
    state.write_text("tally-push-state 1\ngeneration 3\nfamily c x -\nseries 1 \nend 1 0000000000000000\n")
    server = start_tally(*SERVE, "--push.state-file", str(state))
    assert tally_push(server, "fresh:1|c").returncode == 0
    assert value(server, "fresh_total") == 1
    assert list(tmp_path.glob("push.state.corrupt-*"))
    assert "corrupt" in server.logs()


def test_a_live_socket_is_not_stolen_and_a_stale_one_is_replaced(start_tally, tmp_path):
    first = start_tally(*SERVE)
    second = start_tally(*SERVE, "--push.socket", first.push_socket, "--push.datagram-socket", "", wait_ready=False)
    assert second.process.wait(timeout=10) != 0
    assert "already in use" in second.logs()
    first.process.kill()
    first.process.wait()
    third = start_tally(*SERVE, "--push.socket", first.push_socket, "--push.datagram-socket", "")
    assert tally_push(third, "ok:1|c", socket_path=first.push_socket).returncode == 0


def test_peer_credentials_refuse_other_users(start_tally):
    server = start_tally(*SERVE, "--push.allowed-uids", str(os.getuid() + 1))
    result = tally_push(server, "nope:1|c", timeout=10)
    assert result.returncode == 2
    assert value(server, "tally_push_refused_peers_total", transport="stream") == 1
    assert value(server, "nope_total") is None
    # Datagrams carry SCM_CREDENTIALS; one from a user not allowed is dropped and counted.
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as client:
        client.sendto(b"nope_datagram:1|c\n", server.datagram_socket)
    assert eventually(lambda: value(server, "tally_push_refused_peers_total", transport="datagram") == 1)
    assert value(server, "nope_datagram_total") is None
    allowed = start_tally(*SERVE, "--push.allowed-gids", f"{os.getgid()}")
    assert tally_push(allowed, "yes:1|c").returncode == 0
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as client:
        client.sendto(b"yes_datagram:1|c\n", allowed.datagram_socket)
    assert eventually(lambda: value(allowed, "yes_datagram_total") == 1)


def test_socket_mode_is_applied(start_tally):
    server = start_tally(*SERVE, "--push.socket-mode", "0600")
    assert oct(os.stat(server.push_socket).st_mode & 0o777) == "0o600"
    assert oct(os.stat(server.datagram_socket).st_mode & 0o777) == "0o600"


def test_check_config_explains_errors_by_line(tmp_path):
    good = tmp_path / "good.yml"
    good.write_text("push:\n  max_series: 1000\nrules:\n  - match: 'crypto_*'\n    buckets: [0.1, 1, 10]\n")
    result = subprocess.run([BINARY, "check-config", "--config.file", str(good)], capture_output=True)
    assert result.returncode == 0, result.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text("rules:\n  - match: 'crypto_*'\n    bukets: [0.1, 1]\n")
    result = subprocess.run([BINARY, "check-config", "--config.file", str(bad)], capture_output=True)
    assert result.returncode == 1
    assert f"{bad}:3: unknown key \"bukets\"".encode() in result.stderr


def test_a_scrape_never_breaks_whatever_is_pushed(start_tally):
    server = start_tally(*SERVE, "--collector.loadavg")
    garbage = b"".join([b"node_load1:5|g\n", b"x:1|c|#le:1\n", b"\xff\xfe:1|c\n", b"a" * 70000 + b"\n",
                        b"tally_push_series:1|g\n", b"q:1|c\n", b"q_total:1|g\n", bytes(range(256)) + b"\n"])
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(server.push_socket)
        connection.sendall(garbage)
    assert eventually(lambda: value(server, "q_total") == 1)
    text = server.metrics()
    families = list(text_string_to_metric_families(text))
    assert sample_value(text, "node_load1", {}) == 0.52
    assert sample_value(text, "tally_push_rejected_lines_total", {"reason": "line_too_long"}) == 1
    assert sample_value(text, "tally_push_rejected_lines_total", {"reason": "type_conflict"}) == 3
    assert len({family.name for family in families}) == len(families)
