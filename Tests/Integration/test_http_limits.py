"""Every limit answers with its status on a raw socket, and the server keeps serving afterwards."""

import os
import socket
import threading
import time

import pytest

from conftest import FIXTURES


def exchange(address, payload, timeout=5):
    """Sends raw bytes and returns everything the server answers until it closes or goes quiet."""
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(payload)
        received = b""
        try:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received += chunk
        except socket.timeout:
            pass
        return received


def status_of(response):
    return int(response.split(b" ", 2)[1])


@pytest.mark.parametrize(
    "payload, status",
    [
        (b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 413),
        (b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", 413),
        (b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 413),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /metrics HTTP/1.1\r\nBad Header\r\n\r\n", 400),
        (b"GET /metrics HTTP/1.1\r\n\r\n", 400),
        (b"GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),
        (b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
    ],
    ids=["head-too-large", "body-on-get", "body-over-cap", "chunked-get", "garbage-request-line",
         "header-without-colon", "missing-host", "http2-version", "tls-handshake", "unknown-path"],
)
def test_malformed_and_oversized_requests(tally, payload, status):
    response = exchange(tally.address, payload)
    assert status_of(response) == status, response[:200]
    assert tally.get("/-/healthy")[0] == 200


def test_wrong_method_gets_405_with_allow_and_keeps_the_connection(tally):
    response = exchange(
        tally.address,
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert status_of(response) == 405
    assert b"\r\nAllow: GET, HEAD\r\n" in response
    assert response.count(b"HTTP/1.1 200") == 1


def test_keep_alive_and_pipelining(tally):
    requests = b"".join(
        f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for path in ("/-/healthy", "/metrics", "/-/ready")
    )
    response = exchange(tally.address, requests + b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert response.count(b"HTTP/1.1 200 OK") == 4
    assert response.index(b"tally is healthy") < response.index(b"node_load1") < response.index(b"tally is ready")


def test_header_timeout_gets_408_and_a_trickling_client_delays_nobody(start_tally):
    server = start_tally("--web.header-timeout", "1s", "--no-collector.filesystem",
                         "--path.procfs", str(FIXTURES / "proc"))
    host, port = server.address.split(":")
    slow = socket.create_connection((host, int(port)), timeout=5)
    slow.sendall(b"GET /metrics HTTP/1.1\r\nHo")
    started = time.monotonic()
    # Meanwhile another client is served at once.
    assert server.get("/-/healthy")[0] == 200
    assert time.monotonic() - started < 0.5
    response = slow.recv(4096)
    assert status_of(response) == 408
    assert 0.9 <= time.monotonic() - started < 4
    assert slow.recv(4096) == b""
    slow.close()


def test_too_many_connections_closes_the_oldest_idle_one_or_answers_503(start_tally):
    server = start_tally("--web.max-connections", "3", "--no-collector.filesystem",
                         "--path.procfs", str(FIXTURES / "proc"))
    host, port = server.address.split(":")
    idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(3)]
    for connection in idle:
        connection.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in connection.recv(4096)
    # A fourth connection is served: the oldest idle one is closed to make room.
    assert server.get("/-/healthy")[0] == 200
    assert idle[0].recv(4096) == b""
    for connection in idle:
        connection.close()
    # Three connections in the middle of a request are not idle: a newcomer gets 503.
    busy = [socket.create_connection((host, int(port)), timeout=5) for _ in range(3)]
    for connection in busy:
        connection.sendall(b"GET /metrics HTTP/1.1\r\n")
    time.sleep(0.2)
    response = exchange(server.address, b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(response) == 503
    for connection in busy:
        connection.close()
    time.sleep(0.2)
    assert server.get("/-/healthy")[0] == 200


def test_too_many_scrapes_in_flight_answers_503_and_a_stuck_collector_blocks_nobody(start_tally, tmp_path):
    # A procfs whose `stat` is a FIFO: reading it blocks, so the scrape hangs inside the stat collector.
    proc = tmp_path / "proc"
    proc.mkdir()
    os.mkfifo(proc / "stat")
    server = start_tally("--web.max-requests", "1", "--collector.disable-defaults", "--collector.stat",
                         "--path.procfs", str(proc), wait_ready=False)
    # The first collection at start-up blocks too; feed it one /proc/stat so that start-up finishes.
    stat = b"cpu  1 0 1 1 0 0 0 0 0 0\ncpu0 1 0 1 1 0 0 0 0 0 0\nbtime 1700000000\n"

    feeder = threading.Thread(target=(proc / "stat").write_bytes, args=(stat,))
    feeder.start()
    server.wait_ready()
    feeder.join()
    hanging = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    hanging.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    response = exchange(server.address, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(response) == 503
    assert b"too many scrapes" in response
    assert server.get("/-/healthy")[0] == 200
    # Unblock the stuck scrape: it completes, and health checks were never delayed.
    (proc / "stat").write_bytes(stat)
    hanging.settimeout(5)
    answer = b""
    while b'node_scrape_collector_success{collector="stat"}' not in answer:
        chunk = hanging.recv(65536)
        assert chunk, answer
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK")
    # The FIFO was read to its end: the collector succeeded with what was written.
    assert b"node_boot_time_seconds 1700000000" in answer
    assert b'node_scrape_collector_success{collector="stat"} 1' in answer
    hanging.close()
    assert server.get("/-/healthy")[0] == 200
