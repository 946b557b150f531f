#!/usr/bin/env python3
"""Whole-process comparison of tally and node_exporter with the same collectors, measured in one run.

For each exporter: start it on 127.0.0.1, warm it up, drive /metrics with wrk on one keep-alive connection for a
fixed time, and read the process's CPU time (utime + stime from /proc/<pid>/stat) before and after. Reports CPU per
scrape, latency percentiles, body size, and memory after the load, with tally/node_exporter ratios per round.

Memory is judged as anonymous memory (RssAnon in /proc/<pid>/status): heap, stacks and anonymous mappings, what a
process costs the machine. VmRSS and Pss also count code pages mapped from the binary and shared libraries, which the
kernel can drop and fault back in; they are printed for information. The bars are checked in every round:
CPU per scrape <= 0.25x and RssAnon <= 0.3x node_exporter's; the script exits 1 when a round misses one.

    python3 Benchmarks/scripts/compare-node-exporter.py [--seconds 10] [--rounds 3] [--tally .build/release/tally]
        [--default-collectors]

By default both run the same six collectors. With --default-collectors each runs every collector it enables by
default (node_exporter 1.5's defaults against tally's), as a user who installs either gets it.

Needs node_exporter (Debian prometheus-node-exporter), wrk and curl. Both exporters read the real /proc.
"""

import argparse
import os
import re
import subprocess
import time
import urllib.request

from processes import (
    anonymous_kilobytes,
    free_port,
    proportional_kilobytes,
    resident_kilobytes,
    wait_until_answering,
)

COLLECTORS = ["cpu", "meminfo", "diskstats", "filesystem", "loadavg", "netdev"]
MOUNT_POINTS_EXCLUDE = "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
FS_TYPES_EXCLUDE = (
    "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|"
    "overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$"
)
DISK_DEVICE_EXCLUDE = r"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$"
NETWORK_DEVICE_EXCLUDE = "^lo$"  # Debian's node_exporter default; passed to both so they report the same devices
TICKS = os.sysconf("SC_CLK_TCK")
CPU_BAR = 0.25
ANONYMOUS_BAR = 0.3


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def measure(name, command, url, seconds):
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_answering(url, process)
        time.sleep(0.5)
        idle = anonymous_kilobytes(process.pid)
        body = urllib.request.urlopen(url).read()
        subprocess.run(["wrk", "-c1", "-t1", "-d2s", url], capture_output=True, check=True)
        before = cpu_seconds(process.pid)
        wrk = subprocess.run(
            ["wrk", "-c1", "-t1", f"-d{seconds}s", "--latency", url], capture_output=True, text=True, check=True
        ).stdout
        after = cpu_seconds(process.pid)
        requests = int(re.search(r"(\d+) requests in", wrk).group(1))
        latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", wrk, re.M))
        return {
            "name": name,
            "scrapes": requests,
            "cpu_ms": (after - before) * 1000 / requests,
            "p50": latency.get("50"),
            "p99": latency.get("99"),
            "body": len(body),
            "samples": sum(1 for line in body.decode().splitlines() if line and not line.startswith("#")),
            "anon_idle": idle,
            "anon_after": anonymous_kilobytes(process.pid),
            "rss_after": resident_kilobytes(process.pid),
            "pss_after": proportional_kilobytes(process.pid),
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tally", default=".build/release/tally")
    parser.add_argument("--node-exporter", default="prometheus-node-exporter")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--default-collectors", action="store_true",
                        help="run each exporter with its default collectors instead of the same six")
    arguments = parser.parse_args()

    node_port, tally_port = free_port(), free_port()
    node = [arguments.node_exporter, f"--web.listen-address=127.0.0.1:{node_port}",
            "--no-collector.netdev.netlink", f"--collector.filesystem.mount-points-exclude={MOUNT_POINTS_EXCLUDE}",
            f"--collector.filesystem.fs-types-exclude={FS_TYPES_EXCLUDE}",
            f"--collector.diskstats.device-exclude={DISK_DEVICE_EXCLUDE}",
            f"--collector.netdev.device-exclude={NETWORK_DEVICE_EXCLUDE}"]
    tally = [arguments.tally, "serve", "--web.listen-address", f"127.0.0.1:{tally_port}", "--push.socket", "",
             "--push.datagram-socket", "",
             "--collector.filesystem.mount-points-exclude", MOUNT_POINTS_EXCLUDE,
             "--collector.filesystem.fs-types-exclude", FS_TYPES_EXCLUDE,
             "--collector.diskstats.device-exclude", DISK_DEVICE_EXCLUDE,
             "--collector.netdev.device-exclude", NETWORK_DEVICE_EXCLUDE]
    if arguments.default_collectors:
        described = "each exporter's defaults"
    else:
        node += ["--collector.disable-defaults"] + [f"--collector.{collector}" for collector in COLLECTORS]
        tally += ["--collector.disable-defaults"] + [f"--collector.{collector}" for collector in COLLECTORS]
        described = ", ".join(COLLECTORS)

    print(f"collectors: {described}; {arguments.rounds} rounds of {arguments.seconds} s, wrk -c1 keep-alive")
    header = (f"{'exporter':<14}{'scrapes':>9}{'CPU/scrape':>12}{'p50':>10}{'p99':>10}{'body':>9}{'samples':>9}"
              f"{'anon idle':>11}{'anon after':>12}{'RSS':>9}{'PSS':>9}")
    ratios = {"cpu": [], "anon": [], "rss": [], "pss": []}
    for round_number in range(1, arguments.rounds + 1):
        print(f"\nround {round_number}\n{header}")
        results = [
            measure("node_exporter", node, f"http://127.0.0.1:{node_port}/metrics", arguments.seconds),
            measure("tally", tally, f"http://127.0.0.1:{tally_port}/metrics", arguments.seconds),
        ]
        for r in results:
            print(f"{r['name']:<14}{r['scrapes']:>9}{r['cpu_ms']:>10.3f}ms{r['p50']:>10}{r['p99']:>10}"
                  f"{r['body']:>9}{r['samples']:>9}{r['anon_idle'] / 1024:>9.1f}MB{r['anon_after'] / 1024:>10.1f}MB"
                  f"{r['rss_after'] / 1024:>7.1f}MB{r['pss_after'] / 1024:>7.1f}MB")
        node_result, tally_result = results
        ratios["cpu"].append(tally_result["cpu_ms"] / node_result["cpu_ms"])
        for key in ("anon", "rss", "pss"):
            ratios[key].append(tally_result[f"{key}_after"] / node_result[f"{key}_after"])
        print(f"tally / node_exporter: CPU per scrape {ratios['cpu'][-1]:.2f}x (bar {CPU_BAR}x), "
              f"RssAnon {ratios['anon'][-1]:.2f}x (bar {ANONYMOUS_BAR}x); "
              f"for information: RSS {ratios['rss'][-1]:.2f}x, PSS {ratios['pss'][-1]:.2f}x")
    print(f"\n{arguments.rounds} rounds: CPU per scrape {', '.join(f'{r:.2f}' for r in ratios['cpu'])}x "
          f"(worst {max(ratios['cpu']):.2f}x); RssAnon {', '.join(f'{r:.2f}' for r in ratios['anon'])}x "
          f"(worst {max(ratios['anon']):.2f}x)")
    missed = [name for name, values, bar in (("CPU per scrape", ratios["cpu"], CPU_BAR),
                                              ("RssAnon", ratios["anon"], ANONYMOUS_BAR)) if max(values) > bar]
    if missed:
        print(f"bar missed in at least one round: {', '.join(missed)}")
        raise SystemExit(1)
    print("every round within the bars")


if __name__ == "__main__":
    main()
