#!/usr/bin/env python3
"""Runs a command the way systemd would start a socket-activated, sandboxed service, then execs it.

    exec_confined.py --unit tally.service --syscall-groups GROUPS [--user NAME] [--listen NAME=FD ...] -- COMMAND...

What it does, in systemd's order (systemd.exec(5), sd_listen_fds(3)):
- moves the descriptors given with --listen to 3, 4, ... and sets LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID; sets
  WATCHDOG_PID when WATCHDOG_USEC is set (exec keeps the process id, so both name the command);
- with --user, drops to that user and its group with no supplementary groups (User=, Group=);
- applies UMask=, NoNewPrivileges=, MemoryDenyWriteExecute=, RestrictAddressFamilies= and SystemCallFilter= with
  SystemCallErrorNumber= from the unit's [Service] section, as seccomp filters built with libseccomp, the way
  systemd builds them. GROUPS is the output of `systemd-analyze syscall-filter`, which names the system calls of
  each @group.

It does not build the mount namespace (ProtectSystem= and friends): running as an unprivileged user already
keeps the command from writing outside the directories it owns.
"""

import argparse
import ctypes
import ctypes.util
import errno
import fcntl
import os
import pwd
import socket
import sys

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4
SCMP_CMP_GT = 6
SCMP_CMP_MASKED_EQ = 7
PROT_WRITE = 0x2
PROT_EXEC = 0x4
SHM_EXEC = 0o100000
PR_SET_NO_NEW_PRIVS = 38
# Address families above this are not defined by Linux (AF_MAX is 46 in 6.x); anything above is refused too.
HIGHEST_ADDRESS_FAMILY = 64


def scmp_act_errno(number):
    return 0x00050000 | (number & 0xFFFF)


class ArgumentComparison(ctypes.Structure):
    """struct scmp_arg_cmp from <seccomp.h>."""

    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


class Seccomp:
    """The few libseccomp calls needed to build and load one filter."""

    def __init__(self):
        path = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
        self.library = ctypes.CDLL(path, use_errno=True)
        self.library.seccomp_init.restype = ctypes.c_void_p
        self.library.seccomp_init.argtypes = [ctypes.c_uint32]
        self.library.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        self.library.seccomp_rule_add_array.argtypes = [
            ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(ArgumentComparison),
        ]
        self.library.seccomp_load.argtypes = [ctypes.c_void_p]
        self.library.seccomp_release.argtypes = [ctypes.c_void_p]

    def number(self, name):
        """The system call's number on this architecture, or None when it has none here."""
        number = self.library.seccomp_syscall_resolve_name(name.encode())
        return number if number >= 0 else None

    def load(self, default_action, rules):
        """Loads a filter: `rules` is a list of (action, system call name, [(argument, op, a, b), ...])."""
        context = self.library.seccomp_init(default_action)
        if not context:
            raise OSError("seccomp_init failed")
        try:
            for action, name, comparisons in rules:
                number = self.number(name)
                if number is None:
                    continue
                array = (ArgumentComparison * max(len(comparisons), 1))(
                    *[ArgumentComparison(*comparison) for comparison in comparisons])
                result = self.library.seccomp_rule_add_array(context, action, number, len(comparisons), array)
                if result < 0:
                    raise OSError(-result, f"seccomp_rule_add({name}): {os.strerror(-result)}")
            result = self.library.seccomp_load(context)
            if result < 0:
                raise OSError(-result, f"seccomp_load: {os.strerror(-result)}")
        finally:
            self.library.seccomp_release(context)


def service_settings(unit_path):
    """The [Service] assignments of a unit file, each key with the list of its values in order."""
    settings = {}
    section = None
    with open(unit_path, encoding="utf-8") as unit:
        lines = unit.read().replace("\\\n", " ").splitlines()
    for line in lines:
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if section == "Service" and "=" in line:
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def syscall_groups(path):
    """Parses `systemd-analyze syscall-filter` output into {"@group": [members]}."""
    groups = {}
    current = None
    with open(path, encoding="utf-8") as listing:
        for line in listing:
            text = line.strip()
            if not text:
                current = None
            elif not line[0].isspace() and text.startswith("@"):
                current = groups.setdefault(text, [])
            elif current is not None and not text.startswith("#"):
                current.append(text)
    return groups


def expand(name, groups, seen=None):
    """The system calls a name stands for, following nested @groups."""
    if not name.startswith("@"):
        return {name}
    if name not in groups:
        raise SystemExit(f"exec_confined.py: unknown system call group {name}")
    seen = set() if seen is None else seen
    if name in seen:
        return set()
    seen.add(name)
    calls = set()
    for member in groups[name]:
        calls |= expand(member, groups, seen)
    return calls


def allowed_syscalls(filters, groups):
    """systemd's reading of SystemCallFilter= lines: the first plain line starts an allow list that also holds
    @default; a line starting with ~ takes calls out of it; later plain lines add calls."""
    allowed = None
    for value in filters:
        if not value:
            allowed = None
            continue
        remove = value.startswith("~")
        names = value.lstrip("~").split()
        calls = set().union(*(expand(name, groups) for name in names))
        if allowed is None:
            if remove:
                raise SystemExit("exec_confined.py: only allow-list SystemCallFilter= settings are supported")
            allowed = expand("@default", groups)
        if remove:
            allowed -= calls
        else:
            allowed |= calls
    return allowed


def address_family_number(name):
    if name == "none":
        return None
    number = getattr(socket, name, None)
    if number is None:
        raise SystemExit(f"exec_confined.py: unknown address family {name}")
    return int(number)


def move_listeners(listeners):
    """Puts the descriptors at 3, 4, ... in the given order and sets the sd_listen_fds(3) variables."""
    if not listeners:
        return
    # Park them above the targets first, so that moving one cannot overwrite another.
    parked = [(name, fcntl.fcntl(int(fd), fcntl.F_DUPFD_CLOEXEC, 256)) for name, fd in listeners]
    for name, fd in listeners:
        os.close(int(fd))
    for index, (name, fd) in enumerate(parked):
        os.dup2(fd, 3 + index, inheritable=True)
    for _, fd in parked:
        os.close(fd)
    os.environ["LISTEN_FDS"] = str(len(parked))
    os.environ["LISTEN_FDNAMES"] = ":".join(name for name, _ in parked)
    os.environ["LISTEN_PID"] = str(os.getpid())


def drop_privileges(user):
    entry = pwd.getpwnam(user)
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unit", required=True, help="the .service file whose sandbox settings apply")
    parser.add_argument("--syscall-groups", required=True, help="output of `systemd-analyze syscall-filter`")
    parser.add_argument("--user", help="run as this user and its group (User=, Group=)")
    parser.add_argument("--listen", action="append", default=[], metavar="NAME=FD",
                        help="pass this descriptor under this FileDescriptorName=")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    arguments = parser.parse_args()
    command = arguments.command[1:] if arguments.command[:1] == ["--"] else arguments.command
    if not command:
        parser.error("no command given")

    settings = service_settings(arguments.unit)
    groups = syscall_groups(arguments.syscall_groups)
    move_listeners([listener.split("=", 1) for listener in arguments.listen])
    if "WATCHDOG_USEC" in os.environ:
        os.environ["WATCHDOG_PID"] = str(os.getpid())
    if arguments.user:
        drop_privileges(arguments.user)
    if "UMask" in settings:
        os.umask(int(settings["UMask"][-1], 8))

    libc = ctypes.CDLL(None, use_errno=True)
    if settings.get("NoNewPrivileges", ["no"])[-1] == "yes" or "SystemCallFilter" in settings:
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")

    seccomp = Seccomp()
    # MemoryDenyWriteExecute=: no mapping both writable and executable, and no mapping made executable later.
    if settings.get("MemoryDenyWriteExecute", ["no"])[-1] == "yes":
        denied = scmp_act_errno(errno.EPERM)
        seccomp.load(SCMP_ACT_ALLOW, [
            (denied, "mmap", [(2, SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC)]),
            (denied, "mprotect", [(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)]),
            (denied, "pkey_mprotect", [(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)]),
            (denied, "shmat", [(2, SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC)]),
        ])

    # RestrictAddressFamilies=: socket(2) fails with EAFNOSUPPORT for every other family.
    if "RestrictAddressFamilies" in settings:
        families = set()
        for value in settings["RestrictAddressFamilies"]:
            if value.startswith("~"):
                raise SystemExit("exec_confined.py: only allow-list RestrictAddressFamilies= settings are supported")
            families |= {number for number in map(address_family_number, value.split()) if number is not None}
        refused = scmp_act_errno(errno.EAFNOSUPPORT)
        rules = [(refused, "socket", [(0, SCMP_CMP_EQ, family, 0)])
                 for family in range(HIGHEST_ADDRESS_FAMILY + 1) if family not in families]
        rules.append((refused, "socket", [(0, SCMP_CMP_GT, HIGHEST_ADDRESS_FAMILY, 0)]))
        seccomp.load(SCMP_ACT_ALLOW, rules)

    # SystemCallFilter=: everything outside the allow list fails with SystemCallErrorNumber= (or kills).
    if "SystemCallFilter" in settings:
        allowed = allowed_syscalls(settings["SystemCallFilter"], groups)
        error_name = settings.get("SystemCallErrorNumber", [""])[-1]
        default = scmp_act_errno(getattr(errno, error_name)) if error_name else 0x80000000  # SCMP_ACT_KILL_PROCESS
        seccomp.load(default, [(SCMP_ACT_ALLOW, name, []) for name in sorted(allowed)])

    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
