#!/usr/bin/env python3
"""The push path measured whole-process, beside its anchors in the same run.

1. Stream ingest: the C reference (`pushload ref N`, a forked sender into a parsing receiver) against
   `pushload stream PATH N` into tally, counted on /metrics.
2. 100,000 pushed series (100 metrics x 1,000 label sets): resident memory, and /metrics latency with wrk on one
   keep-alive connection; the same series in Pushgateway (Debian prometheus-pushgateway) when it is installed.
3. Confirmed pushes with those 100,000 series stored: the protocol round trip (a line and `!sync` on the stream
   socket until `done`) and a whole `tally push` process, which includes starting the binary, beside starting
   /bin/true the same way (what any process start costs on the machine).

    python3 Benchmarks/scripts/push-benchmarks.py [--pushload-source ../shared/tools/pushload.c] [--lines 20000000]

Needs cc, wrk and curl; pushload.c is the workplace's reference tool (not part of this repository).
"""

import argparse
import os
import pathlib
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

from processes import anonymous_kilobytes, free_port, resident_kilobytes, wait_until_answering

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]


def metrics(port):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60).read().decode()


def wrk_latency(url, seconds):
    out = subprocess.run(["wrk", "-c1", "-t1", f"-d{seconds}s", "--latency", "--timeout", "10s", url],
                         capture_output=True, text=True, check=True).stdout
    percentiles = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("50%", "99%"):
            percentiles[parts[0]] = parts[1]
    return percentiles


def series_lines():
    return "".join(f"crypto_stage{metric:03d}_records:{index + 1}|c|#symbol:SYM{index:04d},stage:s{metric}\n"
                   for metric in range(100) for index in range(1000))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tally", default=str(REPOSITORY / ".build" / "release" / "tally"))
    parser.add_argument("--pushload-source", default=str(REPOSITORY.parent / "shared" / "tools" / "pushload.c"))
    parser.add_argument("--lines", type=int, default=20_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    arguments = parser.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="tally-push-bench-"))
    pushload = work / "pushload"
    subprocess.run(["cc", "-O2", "-o", str(pushload), arguments.pushload_source], check=True)

    # 1. Stream ingest.
    port, path = free_port(), str(work / "ingest.sock")
    tally = subprocess.Popen([arguments.tally, "serve", "--web.listen-address", f"127.0.0.1:{port}",
                              "--push.socket", path, "--push.datagram-socket", "", "--collector.disable-defaults"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_answering(f"http://127.0.0.1:{port}/-/ready", tally)
    print(f"stream ingest, {arguments.lines:,} lines a round (10,000 series):")
    ratios = []
    for round_number in range(arguments.rounds):
        reference = float(subprocess.run([str(pushload), "ref", str(arguments.lines)], capture_output=True,
                                         text=True, check=True).stdout.split()[-1])
        before = sum(float(line.rsplit(" ", 1)[1]) for line in metrics(port).splitlines()
                     if line.startswith("crypto_") and "_records_total{" in line)
        start = time.monotonic()
        subprocess.run([str(pushload), "stream", path, str(arguments.lines)], check=True, capture_output=True)
        while True:
            total = sum(float(line.rsplit(" ", 1)[1]) for line in metrics(port).splitlines()
                        if line.startswith("crypto_") and "_records_total{" in line)
            if total >= before + arguments.lines:
                break
            time.sleep(0.005)
        rate = arguments.lines / (time.monotonic() - start)
        ratios.append(rate / reference)
        print(f"  round {round_number + 1}: C reference {reference / 1e6:6.2f} M lines/s, tally {rate / 1e6:6.2f} M "
              f"lines/s = {rate / reference:.2f}x")
    print(f"  median: {statistics.median(ratios):.2f}x the C reference")
    tally.terminate()
    tally.wait()

    # 2. 100,000 series: memory and scrape latency.
    port, path = free_port(), str(work / "big.sock")
    tally = subprocess.Popen([arguments.tally, "serve", "--web.listen-address", f"127.0.0.1:{port}",
                              "--push.socket", path, "--push.datagram-socket", "", "--collector.disable-defaults"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_answering(f"http://127.0.0.1:{port}/-/ready", tally)
    lines = series_lines()
    subprocess.run([arguments.tally, "push", "--socket", path, "-"], input=lines.encode(), check=True)
    idle = anonymous_kilobytes(tally.pid) / 1024
    latency = wrk_latency(f"http://127.0.0.1:{port}/metrics", arguments.seconds)
    time.sleep(1)
    after = anonymous_kilobytes(tally.pid) / 1024
    print("\n100,000 pushed series:")
    print(f"  tally:       scrape p50 {latency['50%']:>8}  p99 {latency['99%']:>8}  RssAnon {idle:5.1f} MB stored, "
          f"{after:5.1f} MB after the scrapes (RSS {resident_kilobytes(tally.pid) / 1024:5.1f} MB)")

    gateway = "/usr/bin/prometheus-pushgateway"
    if os.path.exists(gateway):
        gateway_port = free_port()
        pushgateway = subprocess.Popen([gateway, f"--web.listen-address=127.0.0.1:{gateway_port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_answering(f"http://127.0.0.1:{gateway_port}/-/ready", pushgateway)
        body = "".join(f"crypto_stage{metric:03d}_records_total{{symbol=\"SYM{index:04d}\",stage=\"s{metric}\"}} "
                       f"{index + 1}\n" for metric in range(100) for index in range(1000))
        request = urllib.request.Request(f"http://127.0.0.1:{gateway_port}/metrics/job/bench", data=body.encode(),
                                         method="PUT")
        urllib.request.urlopen(request, timeout=300).read()
        gateway_idle = anonymous_kilobytes(pushgateway.pid) / 1024
        gateway_latency = wrk_latency(f"http://127.0.0.1:{gateway_port}/metrics", arguments.seconds)
        time.sleep(1)
        print(f"  Pushgateway: scrape p50 {gateway_latency['50%']:>8}  p99 {gateway_latency['99%']:>8}  RssAnon "
              f"{gateway_idle:5.1f} MB stored, {anonymous_kilobytes(pushgateway.pid) / 1024:5.1f} MB after the scrapes "
              f"(RSS {resident_kilobytes(pushgateway.pid) / 1024:5.1f} MB)")
        pushgateway.terminate()
        pushgateway.wait()

    # 3. Confirmed pushes with the series stored.
    protocol = []
    for _ in range(2000):
        start = time.perf_counter()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(path)
            connection.sendall(b"rtt_probe:1|c|#k:v\n!sync\n")
            reply = b""
            while b"done" not in reply:
                reply += connection.recv(4096)
        protocol.append((time.perf_counter() - start) * 1000)
    processes, floor = [], []
    for _ in range(300):
        start = time.perf_counter()
        subprocess.run([arguments.tally, "push", "--socket", path, "rtt_cli:1|c"], check=True)
        processes.append((time.perf_counter() - start) * 1000)
        # What starting any process costs here, measured the same way: the floor under a whole `tally push`.
        start = time.perf_counter()
        subprocess.run(["/bin/true"], check=True)
        floor.append((time.perf_counter() - start) * 1000)
    print("\nconfirmed push with 100,000 series stored:")
    print(f"  protocol round trip (connect, line, !sync, done): p50 {percentile(protocol, 0.5):.3f} ms, "
          f"p99 {percentile(protocol, 0.99):.3f} ms")
    print(f"  whole `tally push` process:                       p50 {percentile(processes, 0.5):.2f} ms, "
          f"p99 {percentile(processes, 0.99):.2f} ms")
    print(f"  starting /bin/true the same way (process floor):  p50 {percentile(floor, 0.5):.2f} ms, "
          f"p99 {percentile(floor, 0.99):.2f} ms")
    tally.terminate()
    tally.wait()


if __name__ == "__main__":
    main()
