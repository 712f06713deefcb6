"""Confine the grading child before it runs a student's code (Linux only, no privileges needed).

Three kernel features, each applied to the child process and inherited by anything it starts:

* **Landlock** (Linux 5.13+; ABI 4+ for TCP, 6+ for signals): the child may read only
  the system's and Python's files, the release's shipped data, and its own scratch
  folder, which is also the only place it may write. The grader's repository (the
  reference outputs, the hidden checks' source, the solutions, other students' scratch
  folders) cannot be opened, listed or changed. TCP ``connect``/``bind`` fail at once
  with ``PermissionError``; signals and abstract unix sockets cannot reach processes
  outside the child's own sandbox (the grader, other students' children).
* **No capabilities**: a grader running as root (a CI container) starts a child that
  keeps uid 0 but has no capability left, so it cannot reboot the machine, load a
  module, use raw sockets or override file permissions.
* **seccomp**: ``fork``, ``vfork`` and ``clone`` without ``CLONE_THREAD`` fail with
  ``EPERM`` (threads still start, processes do not): no fork bomb, no process that
  outlives its check. Student code that starts a process gets an ``OSError``. Signals
  reach only the child itself (on kernels older than Landlock's signal scope too). No socket
  that reaches a network can be made (IPv4, IPv6, packet: ``socket`` fails with
  ``PermissionError``), so UDP and raw sockets are refused as well as TCP, on kernels older than
  Landlock's TCP rules too; ``io_uring_setup`` fails (io_uring can make sockets without the
  ``socket`` call). A system call of another ABI (i386's ``int 0x80``, x32, 32-bit ARM), whose numbers the filter
  does not know, kills the child.

A fourth layer sits outside the child: its parent, the zygote (:mod:`autograder.sandbox.zygote`), is
its subreaper and kills any process the child leaves behind, before the child's end is reported
(``reaper:no-orphans``), so that a process made past the filter cannot outlive its notebook.

:func:`confine` reports what it could apply; the grader records it with each result
(``isolation``). ``--require-isolation`` (batch grader, pytest runner) first asks a
throwaway child what this machine can apply (:func:`probe`) and refuses to grade
anything, exit 11, when one of ``REQUIRED`` is missing (:func:`missing`); each result is
checked again by :func:`graded_without`.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

_SYS = {
    "x86_64": {
        "landlock_create_ruleset": 444,
        "landlock_add_rule": 445,
        "landlock_restrict_self": 446,
        "fork": 57,
        "vfork": 58,
        "clone": 56,
        "clone3": 435,
        "kill": 62,
        "tkill": 200,
        "tgkill": 234,
        "pidfd_send_signal": 424,
        "socket": 41,
        "io_uring_setup": 425,
        "arch": 0xC000003E,
    },
    "aarch64": {
        "landlock_create_ruleset": 444,
        "landlock_add_rule": 445,
        "landlock_restrict_self": 446,
        "fork": None,
        "vfork": None,
        "clone": 220,
        "clone3": 435,
        "kill": 129,
        "tkill": 130,
        "tgkill": 131,
        "pidfd_send_signal": 424,
        "socket": 198,
        "io_uring_setup": 425,
        "arch": 0xC00000B7,
    },
}

# Landlock access rights (linux/landlock.h)
FS = {
    "execute": 1 << 0,
    "write_file": 1 << 1,
    "read_file": 1 << 2,
    "read_dir": 1 << 3,
    "remove_dir": 1 << 4,
    "remove_file": 1 << 5,
    "make_char": 1 << 6,
    "make_dir": 1 << 7,
    "make_reg": 1 << 8,
    "make_sock": 1 << 9,
    "make_fifo": 1 << 10,
    "make_block": 1 << 11,
    "make_sym": 1 << 12,
    "refer": 1 << 13,
    "truncate": 1 << 14,
    "ioctl_dev": 1 << 15,
}
FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
FILE_ONLY = FS["execute"] | FS["write_file"] | FS["read_file"] | FS["truncate"] | FS["ioctl_dev"]
READ = FS["read_file"] | FS["read_dir"] | FS["execute"]
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1 << 0, 1 << 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 24, 22, 2
CLONE_THREAD = 0x00010000
AF_INET, AF_INET6, AF_PACKET = 2, 10, 17  # the socket families that reach a network
X32_SYSCALL_BIT = 0x40000000

# What the child may read besides Python itself: the system's libraries and settings.
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/opt", "/proc", "/sys")
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full")


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _syscall(name: str, *args) -> int:
    nr = _SYS.get(platform.machine(), {}).get(name)
    if nr is None:
        raise OSError(38, f"{name} is not known on {platform.machine()}")
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(ctypes.c_long(nr), *args)
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}: {os.strerror(err)}")
    return result


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, or 0 where there is none (old kernel, not Linux, disabled)."""
    if sys.platform != "linux":
        return 0
    try:
        return _syscall("landlock_create_ruleset", None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except OSError:
        return 0


def _landlock(read: list[Path], write: list[Path], abi: int) -> list[str]:
    handled_fs = FS_BY_ABI[min(abi, 5)]
    handled_net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL if abi >= 6 else 0
    attr = struct.pack("QQQ", handled_fs, handled_net, scoped)[: 8 if abi < 4 else 16 if abi < 6 else 24]
    buf = ctypes.create_string_buffer(attr, len(attr))
    fd = _syscall("landlock_create_ruleset", buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    try:
        for paths, access in ((read, READ), (write, handled_fs)):
            for path in paths:
                try:
                    pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue  # a folder this system does not have
                try:
                    allowed = access & handled_fs
                    if not os.path.isdir(path):
                        allowed &= FILE_ONLY
                    rule = ctypes.create_string_buffer(struct.pack("=Qi", allowed, pfd), 12)
                    _syscall(
                        "landlock_add_rule", ctypes.c_int(fd), ctypes.c_int(RULE_PATH_BENEATH), rule, ctypes.c_uint32(0)
                    )
                finally:
                    os.close(pfd)
        _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        _syscall("landlock_restrict_self", ctypes.c_int(fd), ctypes.c_uint32(0))
    finally:
        os.close(fd)
    applied = [f"landlock-abi{abi}:files"]
    if handled_net:
        applied.append("landlock:tcp")
    if scoped:
        applied.append("landlock:signals")
    return applied


def _drop_capabilities() -> bool:
    """Empty the bounding, effective, permitted and inheritable sets (a no-op when there are none)."""
    libc = _libc()
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # fails harmlessly past the last capability
    header = struct.pack("Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = bytes(24)  # two empty {effective, permitted, inheritable}
    return libc.capset(ctypes.create_string_buffer(header, 8), ctypes.create_string_buffer(data, 24)) == 0


def _no_processes() -> bool:
    """A seccomp filter: fork/vfork fail with EPERM, clone fails unless it makes a thread, clone3
    reports ENOSYS (so that the C library falls back to clone, which the filter can inspect);
    kill and tgkill reach only this process, tkill and pidfd_send_signal nothing; a socket of
    the IPv4, IPv6 or packet family fails with EACCES, io_uring_setup with EPERM; a system call
    of another ABI (i386, x32, 32-bit ARM) kills the process."""
    nrs = _SYS.get(platform.machine())
    if nrs is None:
        return False
    EPERM, EACCES, ENOSYS = 1, 13, 38
    RET_ALLOW, RET_ERRNO, RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
    LD_W_ABS, JEQ_K, JSET_K, RET_K = 0x20, 0x15, 0x45, 0x06

    def ins(code, jt, jf, k):
        return struct.pack("HBBI", code, jt, jf, k)

    prog = [
        ins(LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        ins(JEQ_K, 1, 0, nrs["arch"]),
        # Another ABI (i386's int 0x80 on x86_64, 32-bit ARM on aarch64): its system call
        # numbers mean other calls (2 is fork there), so nothing of it is allowed.
        ins(RET_K, 0, 0, RET_KILL_PROCESS),
        ins(LD_W_ABS, 0, 0, 0),
    ]  # seccomp_data.nr
    if platform.machine() == "x86_64":  # x32: the native arch with bit 30 set
        prog += [ins(JSET_K, 0, 1, X32_SYSCALL_BIT), ins(RET_K, 0, 0, RET_KILL_PROCESS)]
    for name in ("fork", "vfork"):
        if nrs[name] is not None:
            prog += [ins(JEQ_K, 0, 1, nrs[name]), ins(RET_K, 0, 0, RET_ERRNO | EPERM)]
    # Signals only to this process (its threads, its own group): not to the grader, nor to
    # another student's child (Landlock's signal scope does the same from Linux 6.12 on).
    me = os.getpid()
    for name in ("tkill", "pidfd_send_signal"):
        prog += [ins(JEQ_K, 0, 1, nrs[name]), ins(RET_K, 0, 0, RET_ERRNO | EPERM)]
    for name in ("kill", "tgkill"):
        prog += [
            ins(JEQ_K, 0, 5, nrs[name]),
            ins(LD_W_ABS, 0, 0, 16),  # args[0]: the pid (tgid)
            ins(JEQ_K, 2, 0, me),
            ins(JEQ_K, 1, 0, 0) if name == "kill" else ins(JEQ_K, 0, 0, me),
            ins(RET_K, 0, 0, RET_ERRNO | EPERM),
            ins(RET_K, 0, 0, RET_ALLOW),
        ]
    # No socket that reaches a network (TCP, UDP, raw, packet; on every kernel, where Landlock's
    # TCP rules need 6.7 and cover neither UDP nor raw sockets): socket() fails with EACCES.
    # Unix sockets and netlink stay. io_uring could make sockets without the socket() call the
    # filter sees: io_uring_setup fails with EPERM.
    prog += [
        ins(JEQ_K, 0, 6, nrs["socket"]),
        ins(LD_W_ABS, 0, 0, 16),  # args[0]: the family
        ins(JEQ_K, 3, 0, AF_INET),
        ins(JEQ_K, 2, 0, AF_INET6),
        ins(JEQ_K, 1, 0, AF_PACKET),
        ins(RET_K, 0, 0, RET_ALLOW),
        ins(RET_K, 0, 0, RET_ERRNO | EACCES),
        ins(JEQ_K, 0, 1, nrs["io_uring_setup"]),
        ins(RET_K, 0, 0, RET_ERRNO | EPERM),
    ]
    prog += [
        ins(JEQ_K, 0, 1, nrs["clone3"]),
        ins(RET_K, 0, 0, RET_ERRNO | ENOSYS),
        ins(JEQ_K, 0, 3, nrs["clone"]),
        ins(LD_W_ABS, 0, 0, 16),  # args[0] (flags), low 32 bits
        ins(JSET_K, 1, 0, CLONE_THREAD),
        ins(RET_K, 0, 0, RET_ERRNO | EPERM),
        ins(RET_K, 0, 0, RET_ALLOW),
    ]
    code = b"".join(prog)
    filt = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("HxxxxxxQ", len(prog), ctypes.addressof(filt))
    fprog_buf = ctypes.create_string_buffer(fprog, len(fprog))
    libc = _libc()
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    return libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.c_void_p(ctypes.addressof(fprog_buf)), 0, 0) == 0


def python_paths() -> list[Path]:
    """Where this interpreter's own files are (the venv and the Python it was made from)."""
    roots = {
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sys.exec_prefix),
        Path(sys.base_exec_prefix),
        Path(os.path.realpath(sys.executable)).parent.parent,
    }
    for entry in sys.path:
        if entry and ("site-packages" in entry or "dist-packages" in entry):
            roots.add(Path(entry))
    return sorted(roots)


def around(paths: list[Path], secret: Path) -> list[Path]:
    """``paths``, with any that holds ``secret`` (the grader's repository) replaced by its
    other entries, level by level, so that a repository under ``/opt`` stays unreadable."""
    out = []
    for path in paths:
        path = Path(os.path.abspath(path))
        if path != secret and path not in secret.parents:
            out.append(path)
            continue
        current = path
        while current != secret:
            toward = current / secret.relative_to(current).parts[0]
            try:
                out += [entry for entry in current.iterdir() if entry != toward]
            except OSError:
                pass
            current = toward
    return out


def confine(scratch: Path, read_only: list[Path], processes: bool = False) -> list[str]:
    """Confine this process; return the names of what was applied (see the module's text).

    ``scratch`` becomes the only writable folder; ``read_only`` are the extra folders
    or files the child may read (the release's shipped data). ``processes=True`` leaves out the
    seccomp filter (the tests use it to show that the reaper alone leaves no process behind)."""
    applied = []
    abi = landlock_abi()
    if abi:
        from autograder.paths import REPO

        read = around([Path(p) for p in SYSTEM_READ] + python_paths(), REPO) + [Path(p) for p in read_only]
        write = [scratch] + [Path(p) for p in DEVICES]
        try:
            applied += _landlock(read, write, abi)
        except OSError as exc:  # e.g. a container whose seccomp profile refuses Landlock's calls
            applied.append(f"landlock-failed:{exc.errno}")
    if _drop_capabilities():
        applied.append("no-capabilities")
    if not processes and _no_processes():
        applied += ["seccomp:no-fork", "seccomp:no-network"]
    return applied


# What --require-isolation asks for, by the last part of the names confine() reports
# ("landlock-abi6:files" -> "files"). Landlock's signal scope is not required: the seccomp
# filter keeps signals inside the child on older kernels too.
REQUIRED = {
    "files": "Landlock's file rules, Linux 5.13+",
    "no-network": "the seccomp filter's socket rule, Linux on x86_64 or aarch64",
    "no-fork": "the seccomp filter, Linux on x86_64 or aarch64",
    "no-capabilities": "capset",
    "no-orphans": "the zygote's subreaper, Linux 3.4+",
}
from autograder.exitcodes import ExitCode  # noqa: E402

EXIT_REFUSED = ExitCode.NOT_CONFINED  # --require-isolation on a machine that cannot confine: nobody graded


def missing(applied: list[str]) -> list[str]:
    """The REQUIRED isolation that ``applied`` (what :func:`confine` returned) lacks, each
    with what provides it."""
    have = {name.split(":")[-1] for name in applied}
    return [f"{name} ({what})" for name, what in REQUIRED.items() if name not in have]


def probe() -> tuple[list[str] | None, str]:
    """What :func:`confine` applies on this machine, asked of a throw-away child process
    (confining is for good: this process must stay free): ``(applied, "")``, or
    ``(None, why)`` when the child failed."""
    code = (
        "import json, sys; from pathlib import Path; from autograder.sandbox.confine import confine; "
        "from autograder.sandbox.zygote import become_reaper; reaper = become_reaper(); "
        "print(json.dumps(confine(Path(sys.argv[1]), []) + (['reaper:no-orphans'] if reaper else [])))"
    )
    with tempfile.TemporaryDirectory(prefix="convnets-probe-") as scratch:
        try:
            proc = subprocess.run(
                [sys.executable, "-c", code, scratch],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=Path(__file__).resolve().parents[2],  # the repository
            )
        except subprocess.TimeoutExpired:
            return None, "the probe process did not answer within 120 s"
    try:
        return [str(a) for a in json.loads(proc.stdout.strip().splitlines()[-1])], ""
    except (IndexError, ValueError, TypeError):
        return None, f"the probe process failed (exit {proc.returncode}): {proc.stderr.strip()[-500:] or 'no output'}"


def refusal() -> str | None:
    """For --require-isolation: why this machine cannot grade (None: it can)."""
    applied, failure = probe()
    where = f"Linux {platform.release()}, Landlock ABI {landlock_abi()}" if sys.platform == "linux" else sys.platform
    head = "refusing to grade (--require-isolation): "
    if applied is None:
        return f"{head}cannot tell what this machine ({where}) can confine: {failure}"
    lacking = missing(applied)
    if not lacking:
        return None
    blocked = [a for a in applied if a.startswith("landlock-failed")]
    hint = (
        f" The kernel has Landlock but refused it ({', '.join(blocked)}): a container's seccomp profile "
        f"may block its system calls."
        if blocked
        else " Grade on Linux 5.13 or later, x86_64 or aarch64 (a VM or container)."
    )
    return (
        f"{head}this machine ({where}) applied {applied or 'nothing'}; expected also "
        + "; ".join(lacking)
        + "."
        + hint
        + " Without --require-isolation only the time, memory and output "
        "limits hold (README, SECURITY)."
    )


def graded_without(isolation: dict[str, list[str]]) -> str:
    """For a result's ``isolation`` (``{notebook: what confine() applied}``): one line naming
    the notebooks graded without the REQUIRED isolation and what each lacked ("" if none)."""
    lacking = {name: m for name, applied in isolation.items() if (m := missing(applied))}
    if not lacking:
        return ""
    return "--require-isolation: graded without " + "; ".join(f"{name}: {', '.join(m)}" for name, m in lacking.items())
