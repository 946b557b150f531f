#!/usr/bin/env python3
"""Writes Sources/tally/link-order.txt: the functions tally runs while serving, for the release link to place together.

The release build (`make release`) links with lld's --symbol-ordering-file, which puts the listed functions first and
side by side in .text. After start-up tally hands its code pages back to the page cache (see
`tally_release_program_code`), and only the pages of code it then runs come back. The kernel maps file pages in
64 KiB blocks, so code that a scrape or a push runs fits in a few dozen blocks when it is contiguous, where scattered
through the 10 MB of Swift runtime and tally code it touches about a hundred.

This script runs the release binary under valgrind's callgrind with instrumentation off during start-up, turns it on
once tally serves, drives scrapes in both formats with and without gzip, pushes over both sockets and a confirmed
`tally push`, stops tally, and lists every function of the binary that ran, the most used first.

    make release && python3 Benchmarks/scripts/link-order.py [--tally .build/release/tally]

Needs valgrind (installed with apt-get when missing) and curl. A stale list only costs memory, never correctness:
names no longer in the binary are ignored by the linker, and new functions are placed after the listed ones.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import tempfile
import urllib.request

from processes import free_port, wait_until_answering

OUTPUT = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "tally", "link-order.txt")
FORMATS = [
    {},
    {"Accept": "application/openmetrics-text;version=1.0.0"},
    {"Accept-Encoding": "gzip"},
    {"Accept": "application/openmetrics-text;version=1.0.0", "Accept-Encoding": "gzip"},
]


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    return urllib.request.urlopen(request, timeout=30).read()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tally", default=".build/release/tally")
    parser.add_argument("--output", default=os.path.normpath(OUTPUT))
    arguments = parser.parse_args()
    if shutil.which("valgrind") is None:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "valgrind"], check=True)

    with tempfile.TemporaryDirectory() as work:
        # valgrind cannot read the DWARF of Swift binaries; the symbol table is all it needs.
        binary = os.path.join(work, "tally")
        subprocess.run(["objcopy", "--strip-debug", arguments.tally, binary], check=True)
        profile = os.path.join(work, "callgrind.out")
        port, stream, datagram = free_port(), os.path.join(work, "push.sock"), os.path.join(work, "push-dgram.sock")
        tally = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={profile}", binary, "serve",
             "--web.listen-address", f"127.0.0.1:{port}", "--push.socket", stream, "--push.datagram-socket", datagram],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(f"{base}/-/ready", tally, timeout=120)  # valgrind starts slowly
        subprocess.run(["callgrind_control", "--instr=on", str(tally.pid)], check=True, capture_output=True)
        for round_number in range(5):
            subprocess.run([binary, "push", "--socket", stream, f"link_order_jobs:{round_number + 1}|c|#stage:load",
                            "link_order_rows:42|g", "link_order_latency:12.5|ms"], check=True)
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as client:
                client.sendto(b"link_order_datagrams:1|c\nlink_order_size:3|h|#kind:x\n", datagram)
            for headers in FORMATS:
                fetch(f"{base}/metrics", headers)
            fetch(f"{base}/-/healthy")
        tally.terminate()
        tally.wait(timeout=120)

        annotated = subprocess.run(["callgrind_annotate", "--threshold=100", "--show-percs=no", profile],
                                   capture_output=True, text=True, check=True).stdout
    pattern = re.compile(r"^\s*([\d,]+)\s+\?\?\?:(\S+) \[" + re.escape(binary) + r"\]$")
    functions = []
    for line in annotated.splitlines():
        match = pattern.match(line)
        if match and not match.group(2).startswith("0x"):
            functions.append(match.group(2))
    with open(arguments.output, "w") as output:
        output.write("\n".join(functions) + "\n")
    print(f"wrote {len(functions)} functions to {arguments.output}")


if __name__ == "__main__":
    main()
