"""tally side by side with the real node_exporter (Debian prometheus-node-exporter) on this machine's /proc.

Both run the same collectors with the same filesystem excludes; node_exporter reads /proc/net/dev as tally does
(--no-collector.netdev.netlink). Every family those collectors give node_exporter must exist in tally's output with
the same type and label names, and the facts both read from the kernel must agree.
"""

import pathlib
import subprocess
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import free_port

COLLECTORS = ["cpu", "meminfo", "loadavg", "diskstats", "filesystem", "netdev", "stat"]
# The collectors of /proc/net and the conntrack files, also compared value for value on tally's fixture tree.
NETWORK_COLLECTORS = ["arp", "conntrack", "netstat", "sockstat", "softnet", "udp_queues"]
NETWORK_PREFIXES = ("node_arp_", "node_nf_conntrack_", "node_netstat_", "node_sockstat_", "node_softnet_", "node_udp_")
MOUNT_POINTS_EXCLUDE = "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
FS_TYPES_EXCLUDE = (
    "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|"
    "overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$"
)


DISK_DEVICE_EXCLUDE = r"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$"
# Debian's node_exporter leaves out lo by default; upstream node_exporter (and tally) have no netdev default.
NETWORK_DEVICE_EXCLUDE = "^lo$"
# Labels later node_exporter 1.x releases added, which tally has and Debian's 1.5 does not: `rotational` on
# node_disk_info (collector/diskstats_linux.go) and `device_error` on the filesystem families (node_exporter pull
# request #2923, released in 1.9). Nothing else may differ.
LABELS_ADDED_AFTER_1_5 = {"node_disk_info": {"rotational"}} | {
    f"node_filesystem_{name}": {"device_error"}
    for name in ("size_bytes", "free_bytes", "avail_bytes", "files", "files_free", "readonly", "device_error")
}


def scrape(url):
    deadline = time.monotonic() + 20
    while True:
        try:
            return urllib.request.urlopen(url, timeout=5).read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def families(text):
    """name -> (type, set of label-name tuples, samples) for the node_* families of the compared collectors.

    Names are as prometheus_client's parser gives them: a counter family without its `_total`.
    """
    found = {}
    for family in text_string_to_metric_families(text):
        name = family.name
        if not name.startswith("node_") or name.startswith(("node_scrape_", "node_exporter_")):
            continue
        label_names = {tuple(sorted(sample.labels)) for sample in family.samples if not sample.name.endswith("_created")}
        found[name] = (family.type, label_names, family.samples)
    return found


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("side-by-side")
    node_port, tally_port = free_port(), free_port()
    node = subprocess.Popen(
        ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{node_port}", "--collector.disable-defaults",
         "--no-collector.netdev.netlink", f"--collector.filesystem.mount-points-exclude={MOUNT_POINTS_EXCLUDE}",
         f"--collector.filesystem.fs-types-exclude={FS_TYPES_EXCLUDE}",
         f"--collector.diskstats.device-exclude={DISK_DEVICE_EXCLUDE}",
         f"--collector.netdev.device-exclude={NETWORK_DEVICE_EXCLUDE}"]
        + [f"--collector.{collector}" for collector in COLLECTORS + NETWORK_COLLECTORS],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from conftest import BINARY

    tally = subprocess.Popen(
        [BINARY, "serve", "--web.listen-address", f"127.0.0.1:{tally_port}", "--push.socket", "",
         "--push.datagram-socket", "", "--collector.disable-defaults",
         "--collector.filesystem.mount-points-exclude", MOUNT_POINTS_EXCLUDE,
         "--collector.filesystem.fs-types-exclude", FS_TYPES_EXCLUDE,
         "--collector.diskstats.device-exclude", DISK_DEVICE_EXCLUDE,
         "--collector.netdev.device-exclude", NETWORK_DEVICE_EXCLUDE]
        + [f"--collector.{collector}" for collector in COLLECTORS + NETWORK_COLLECTORS],
        stdout=open(directory / "tally.log", "wb"), stderr=subprocess.STDOUT)
    try:
        yield families(scrape(f"http://127.0.0.1:{node_port}/metrics")), families(
            scrape(f"http://127.0.0.1:{tally_port}/metrics"))
    finally:
        node.terminate()
        tally.terminate()
        node.wait(timeout=10)
        tally.wait(timeout=10)


def test_every_node_exporter_family_exists_in_tally_with_its_type_and_label_names(outputs):
    node, tally = outputs
    assert len(node) > 60
    missing = sorted(set(node) - set(tally))
    assert not missing, f"families node_exporter has and tally lacks: {missing}"
    for name, (kind, label_names, _) in node.items():
        assert tally[name][0] == kind, name
        added = LABELS_ADDED_AFTER_1_5.get(name, set())
        tally_label_names = {tuple(sorted(set(names) - added)) for names in tally[name][1]}
        assert tally_label_names == label_names, (name, tally[name][1], label_names)


def test_memory_total_is_the_same(outputs):
    node, tally = outputs
    assert node["node_memory_MemTotal_bytes"][2][0].value == tally["node_memory_MemTotal_bytes"][2][0].value


def test_the_cpus_are_the_same(outputs):
    node, tally = outputs
    cpus = lambda found: {sample.labels["cpu"] for sample in found["node_cpu_seconds"][2]}  # noqa: E731
    assert cpus(node) == cpus(tally) and cpus(tally)


def test_the_mount_points_are_the_same(outputs):
    node, tally = outputs
    mounts = lambda found: {sample.labels["mountpoint"] for sample in found["node_filesystem_size_bytes"][2]}  # noqa: E731
    assert mounts(node) == mounts(tally) and mounts(tally)


def test_disks_and_interfaces_are_the_same(outputs):
    node, tally = outputs
    devices = lambda found, family: {sample.labels["device"] for sample in found[family][2]}  # noqa: E731
    assert devices(node, "node_disk_reads_completed") == devices(tally, "node_disk_reads_completed")
    assert devices(node, "node_network_receive_bytes") == devices(tally, "node_network_receive_bytes")


def test_the_network_families_are_the_same(outputs):
    node, tally = outputs
    network = lambda found: {name for name in found if name.startswith(NETWORK_PREFIXES)}  # noqa: E731
    # This machine has /proc/net/netstat, snmp, sockstat, softnet_stat, udp and arp at least.
    assert {"node_netstat_Tcp_InSegs", "node_sockstat_sockets_used", "node_softnet_processed", "node_udp_queues",
            "node_arp_entries"} <= network(node)
    assert network(node) <= network(tally)
    assert node["node_softnet_processed"][1] == tally["node_softnet_processed"][1] == {("cpu",)}


def test_the_network_collectors_agree_sample_for_sample_on_the_fixture_tree(tmp_path):
    """Both exporters read tally's fixture /proc (Tests/Fixtures/proc): every sample of the network collectors must
    be there in both, with the same labels, type and value."""
    from conftest import BINARY, FIXTURES

    procfs = FIXTURES / "proc"
    node_port, tally_port = free_port(), free_port()
    node = subprocess.Popen(
        ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{node_port}", f"--path.procfs={procfs}",
         "--collector.disable-defaults"] + [f"--collector.{collector}" for collector in NETWORK_COLLECTORS],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tally = subprocess.Popen(
        [BINARY, "serve", "--web.listen-address", f"127.0.0.1:{tally_port}", "--push.socket", "",
         "--push.datagram-socket", "", "--path.procfs", str(procfs), "--collector.disable-defaults"]
        + [f"--collector.{collector}" for collector in NETWORK_COLLECTORS],
        stdout=open(tmp_path / "tally.log", "wb"), stderr=subprocess.STDOUT)
    try:
        def samples(text):
            return {(sample.name, tuple(sorted(sample.labels.items()))): (family.type, sample.value)
                    for family in text_string_to_metric_families(text) if family.name.startswith(NETWORK_PREFIXES)
                    for sample in family.samples}

        expected = samples(scrape(f"http://127.0.0.1:{node_port}/metrics"))
        actual = samples(scrape(f"http://127.0.0.1:{tally_port}/metrics"))
    finally:
        node.terminate()
        tally.terminate()
        node.wait(timeout=10)
        tally.wait(timeout=10)
    # The default netstat fields, 20 sockstat gauges, 3 x 2 softnet counters, 4 queues, 2 ARP devices, 10 conntrack.
    assert len(expected) == 40 + 20 + 6 + 4 + 2 + 10
    assert actual == expected


def test_a_mount_made_or_removed_while_serving_shows_at_the_next_scrape(tmp_path):
    """tally reads the mount table again only when the kernel flags a change (POLLPRI): a mount made or removed
    between two scrapes must show at the second. tally runs as pid 1 of its own mount and pid namespaces, so that
    /proc/1/mountinfo is its own table and the mounts stay private to the test."""
    from conftest import BINARY

    probe = subprocess.run(["unshare", "--mount", "--pid", "--fork", "--mount-proc", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"this machine does not let the test make namespaces: {probe.stderr.decode().strip()}")
    port = free_port()
    mount_point = tmp_path / "mounted"
    mount_point.mkdir()
    launcher = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "--pid", "--mount-proc", "--kill-child",
         BINARY, "serve", "--web.listen-address", f"127.0.0.1:{port}", "--push.socket", "", "--push.datagram-socket",
         "", "--collector.disable-defaults", "--collector.filesystem"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        try:
            before = scrape(url)
        except OSError:
            launcher.kill()
            pytest.fail(f"tally in new namespaces did not answer: {launcher.communicate()[0].decode()}")
        tally_pid = int(pathlib.Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text().split()[0])
        series = (f'node_filesystem_size_bytes{{device="tally-test",device_error="",fstype="tmpfs",'
                  f'mountpoint="{mount_point}"}}')
        assert series not in before
        in_namespace = ["nsenter", "--target", str(tally_pid), "--mount"]
        subprocess.run(in_namespace + ["mount", "-t", "tmpfs", "-o", "size=4m", "tally-test", str(mount_point)],
                       check=True)
        assert f"{series} 4194304\n" in scrape(url)
        subprocess.run(in_namespace + ["umount", str(mount_point)], check=True)
        assert series not in scrape(url)
    finally:
        launcher.kill()
        launcher.wait(timeout=10)


def test_with_their_defaults_every_family_both_expose_has_the_same_type_and_label_names(tmp_path):
    """Both exporters with every collector they run by default, on this machine's /proc and /sys: a family that both
    expose must have the same type and the same label names (but for the labels node_exporter added after 1.5)."""
    from conftest import BINARY

    node_port, tally_port = free_port(), free_port()
    common = [f"--collector.filesystem.mount-points-exclude={MOUNT_POINTS_EXCLUDE}",
              f"--collector.filesystem.fs-types-exclude={FS_TYPES_EXCLUDE}",
              f"--collector.diskstats.device-exclude={DISK_DEVICE_EXCLUDE}",
              f"--collector.netdev.device-exclude={NETWORK_DEVICE_EXCLUDE}"]
    node = subprocess.Popen(
        ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{node_port}", "--no-collector.netdev.netlink"]
        + common, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tally = subprocess.Popen(
        [BINARY, "serve", "--web.listen-address", f"127.0.0.1:{tally_port}", "--push.socket", "",
         "--push.datagram-socket", ""] + [argument.replace("=", " ", 1).split(" ", 1)[i]
                                         for argument in common for i in (0, 1)],
        stdout=open(tmp_path / "tally.log", "wb"), stderr=subprocess.STDOUT)
    try:
        node_families = families(scrape(f"http://127.0.0.1:{node_port}/metrics"))
        tally_families = families(scrape(f"http://127.0.0.1:{tally_port}/metrics"))
    finally:
        node.terminate()
        tally.terminate()
        node.wait(timeout=10)
        tally.wait(timeout=10)
    both = sorted(set(node_families) & set(tally_families))
    assert len(both) > 150, both
    for name in both:
        assert tally_families[name][0] == node_families[name][0], name
        added = LABELS_ADDED_AFTER_1_5.get(name, set())
        tally_label_names = {tuple(sorted(set(names) - added)) for names in tally_families[name][1]}
        assert tally_label_names == node_families[name][1], (name, tally_families[name][1], node_families[name][1])
