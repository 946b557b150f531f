"""What the benchmark scripts share: a free loopback port, waiting for a server to answer, a process's memory."""

import socket
import time
import urllib.request


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url, process, timeout=20):
    """Returns once `url` answers; exits if `process` (the server) ends first or nothing answers within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args[0]} exited: {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def status_kilobytes(pid, field):
    """A field of /proc/<pid>/status in kB (VmRSS, RssAnon, ...), 0 when the kernel does not show it."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def resident_kilobytes(pid):
    """VmRSS of a process, in kB: every resident page, code mapped from the binary and libraries included."""
    return status_kilobytes(pid, "VmRSS")


def anonymous_kilobytes(pid):
    """RssAnon of a process, in kB: resident memory no file backs (heap, stacks, anonymous mappings), the memory a
    process really costs the machine; code pages are shared and reclaimable, so they are left out."""
    return status_kilobytes(pid, "RssAnon")


def proportional_kilobytes(pid):
    """Pss of a process, in kB (/proc/<pid>/smaps_rollup): shared pages divided among the processes mapping them."""
    for line in open(f"/proc/{pid}/smaps_rollup"):
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0
