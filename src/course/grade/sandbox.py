"""The sandbox learner code runs in: every layer of it, what this machine allows, and how a process enters it.

A sandbox is a process the supervisor has just forked. ``enter()`` moves it in, layer by layer, each
applied when this machine allows it (``probe()`` tries them once per grading run, and every output
format says which ones are on):

* its own session and process group, killed as a whole on the wall-clock limit (always);
* resource limits: address space, CPU time, file size, open files, and processes inside a user
  namespace (always; the values are ``course.limits``);
* new user, network and PID namespaces: no network but loopback, no view of other processes, every
  process it starts dies with it;
* Landlock: files may be written only in its scratch folder; signals cannot reach processes outside;
  and, when there is no network namespace, no TCP connections;
* a scratch folder as working directory, ``HOME`` and ``TMPDIR``; standard input, output and error on
  /dev/null; every inherited descriptor closed but the result pipe (``quiet_descriptors``);
* ``PR_SET_PDEATHSIG``: it dies when the supervisor does (``die_with_parent``).

Without namespaces, processes the learner's code starts in a new session escape the group kill (the
CPU limit still ends busy ones), and without Landlock, files outside the scratch folder can be
written wherever the grader's user may write. The output says so when that is the case.

Namespaces and Landlock are reached through the C library (Python 3.11 has no ``os.unshare``, and no
binding for Landlock's system calls): it is loaded once, here.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import resource
import signal
import socket
import struct
import sys
import tempfile
from dataclasses import asdict, dataclass

from course.limits import Limits

WRITABLE_DEVICES = ("/dev/null",)

TURN_OFF = "COURSE_GRADE_WITHOUT"
"""Environment variable: layers to leave off, comma-separated (``namespaces``, ``landlock``). For
diagnosing a problem a layer may cause, and for testing the grader as it runs where they are missing."""

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS = 1, 38


def _os_error(prefix: str = "") -> OSError:
    errno = ctypes.get_errno()
    return OSError(errno, f"{prefix}{os.strerror(errno)}")


# -- Namespaces: no network, an own process tree -------------------------------------------------
#
# ``enter_namespaces()`` moves the calling process into a new user namespace (which needs no privilege),
# a new network namespace (only a loopback interface, so learner code reaches no other machine), and a
# new PID namespace. The process's next child becomes PID 1 of that namespace: processes the learner's
# code starts cannot see or signal anything outside it, and when that PID 1 ends, the kernel kills every
# process left inside, even ones that started their own session to escape a process-group kill. This
# is what ``unshare --user --map-current-user --net --pid --fork`` does, for about a millisecond.

CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWPID = 0x10000000, 0x40000000, 0x20000000
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def enter_namespaces() -> None:
    """Enter new user, network and PID namespaces. ``OSError`` if the kernel or a security policy
    (a container's seccomp profile, AppArmor) refuses; the caller then does without."""
    if not sys.platform.startswith("linux"):
        raise OSError(0, "namespaces are a Linux feature")
    uid, gid = os.geteuid(), os.getegid()
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID) != 0:
        raise _os_error("unshare: ")
    # Keep the same user id inside: files the process creates are then owned as before.
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _loopback_up()


def _loopback_up() -> None:
    """A new network namespace's loopback interface starts down; tests may use 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock.fileno(), _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock.fileno(), _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


# -- Landlock (Linux >= 5.13): write only inside one folder --------------------------------------
#
# Landlock is an unprivileged kernel sandbox. Once a process restricts itself, neither it nor anything
# it starts can write outside the folders its rules allow; it applies to root too. Reading stays
# allowed everywhere, so learner code can import what it likes. Newer kernels add two more rules used
# when available: no TCP connections (ABI 4: the network fallback when no network namespace can be
# made), and no signals to processes outside the sandbox (ABI 6: learner code cannot kill the grader).

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446  # the same on every architecture
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1
_WRITE_FILE, _REMOVE_DIR, _REMOVE_FILE = 1 << 1, 1 << 4, 1 << 5
_MAKE = sum(1 << bit for bit in range(6, 13))  # char, dir, reg, sock, fifo, block, sym
_REFER, _TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
_SCOPE_SIGNAL = 1 << 1  # ABI 6
LANDLOCK_TCP_ABI = 4
"""The first Landlock ABI that can refuse TCP connections."""


class LandlockError(OSError):
    pass


def _landlock_call(*args: object) -> int:
    result = _libc.syscall(*args)
    if result < 0:
        errno = ctypes.get_errno()
        raise LandlockError(errno, os.strerror(errno))
    return result


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is missing or disabled (or not Linux,
    where these syscall numbers mean something else)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        return _landlock_call(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except LandlockError:
        return 0


def _write_rights(abi: int) -> int:
    rights = _WRITE_FILE | _REMOVE_DIR | _REMOVE_FILE | _MAKE
    if abi >= 2:
        rights |= _REFER
    if abi >= 3:
        rights |= _TRUNCATE
    return rights


def landlock_restrict(writable: list[str], *, block_tcp: bool, scope_signals: bool) -> None:
    """Allow writes only beneath ``writable`` (folders or single files), for this process and its
    future children. Call it while the process has one thread: Landlock restricts the calling thread."""
    abi = landlock_abi()
    if abi < 1:
        raise LandlockError(0, "Landlock is not available on this kernel")
    handled_fs = _write_rights(abi)
    handled_net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if block_tcp and abi >= LANDLOCK_TCP_ABI else 0
    scoped = _SCOPE_SIGNAL if scope_signals and abi >= 6 else 0
    attr = struct.pack("=QQQ", handled_fs, handled_net, scoped)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    buffer = ctypes.create_string_buffer(attr[:size], size)
    ruleset = _landlock_call(_SYS_CREATE_RULESET, buffer, ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        for path in writable:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rights = handled_fs if os.path.isdir(path) else handled_fs & (_WRITE_FILE | _TRUNCATE)
                rule = ctypes.create_string_buffer(struct.pack("=Qi", rights, fd), 12)
                _landlock_call(_SYS_ADD_RULE, ruleset, ctypes.c_int(_RULE_PATH_BENEATH), rule, ctypes.c_uint32(0))
            finally:
                os.close(fd)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            errno = ctypes.get_errno()
            raise LandlockError(errno, os.strerror(errno))
        _landlock_call(_SYS_RESTRICT_SELF, ruleset, ctypes.c_uint32(0))
    finally:
        os.close(ruleset)


# -- What this machine allows --------------------------------------------------------------------


@dataclass(frozen=True)
class Isolation:
    """What the sandbox can do on this machine, as found by ``probe()``."""

    namespaces: bool
    namespaces_error: str
    landlock_abi: int
    landlock_error: str
    root: bool

    @property
    def network_blocked(self) -> bool:
        return self.namespaces or self.landlock_abi >= LANDLOCK_TCP_ABI

    @property
    def files_confined(self) -> bool:
        return self.landlock_abi >= 1

    def notes(self) -> list[str]:
        """One line per missing layer: what is not enforced, and why."""
        notes = []
        if not self.namespaces:
            network = (
                "only TCP connections are blocked (Landlock)" if self.network_blocked else "the network is NOT blocked"
            )
            notes.append(
                f"no user namespaces ({self.namespaces_error}): {network}, and processes the code starts "
                "in a new session survive the wall-clock kill (the CPU limit still applies to them)"
            )
        if not self.files_confined:
            notes.append(
                f"no Landlock ({self.landlock_error}): code can write files outside its scratch folder, "
                "wherever this user may write"
            )
        if self.root and not self.namespaces:
            notes.append("running as root without a user namespace: learner code runs as root and may raise its limits")
        return notes

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(network_blocked=self.network_blocked, files_confined=self.files_confined, notes=self.notes())
        return data


def probe() -> Isolation:
    """Try every layer in a throwaway child (about 10 ms) and report what worked."""
    off = set(os.environ.get(TURN_OFF, "").replace(" ", "").split(","))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child; its report is what the tests see
        os.close(read)
        report = {"namespaces_error": "", "landlock_error": ""}
        try:
            if "namespaces" in off:
                raise OSError(0, f"turned off by {TURN_OFF}")
            enter_namespaces()
            inner = os.fork()
            if inner:
                _relay(inner)
        except OSError as exc:
            report["namespaces_error"] = exc.strerror or str(exc)
        try:
            if "landlock" in off:
                raise OSError(0, f"turned off by {TURN_OFF}")
            landlock_restrict([tempfile.gettempdir()], block_tcp=False, scope_signals=True)
        except OSError as exc:
            report["landlock_error"] = exc.strerror or str(exc)
        os.write(write, json.dumps(report).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    try:
        report = json.loads(data)
    except ValueError:
        report = {"namespaces_error": "the probe failed", "landlock_error": "the probe failed"}
    abi = landlock_abi() if not report["landlock_error"] else 0
    return Isolation(
        namespaces=not report["namespaces_error"],
        namespaces_error=report["namespaces_error"],
        landlock_abi=abi,
        landlock_error=report["landlock_error"] or ("" if abi else "not available on this kernel"),
        root=os.geteuid() == 0,
    )


# -- Entering the sandbox ------------------------------------------------------------------------


def _relay(child: int) -> None:
    """Wait for the namespace's PID 1 and end with its status: the supervisor sees one process."""
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            os._exit(70)
        except InterruptedError:  # pragma: no cover - PEP 475 retries waitpid itself
            continue
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def quiet_descriptors(keep: int, limits: Limits) -> int:
    """Standard streams to /dev/null, every other inherited descriptor closed but ``keep``, which
    moves to a random number; returns that number."""
    from course.grade.trust import move_to_random_fd

    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)
    kept = move_to_random_fd(keep, below=limits.open_files)
    os.closerange(3, kept)
    os.closerange(kept + 1, max(kept + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0]))
    return kept


def die_with_parent(parent: int | None, signum: int = signal.SIGKILL) -> None:
    """Get ``signum`` when the process that started this one ends: a supervisor that crashes or is
    killed takes its sandboxes with it (and the grader its supervisor). ``parent`` guards against the
    parent having ended already. (Linux only; elsewhere the supervisor's kill is the only guard.)"""
    if sys.platform.startswith("linux"):
        _libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(70)


def enter(scratch: str, limits: Limits, isolation: Isolation, supervisor: int) -> None:
    """Move the calling process (just forked, one thread) into the sandbox. With namespaces this
    forks once more: the caller waits and relays, the returning process is PID 1 of the namespace."""
    die_with_parent(supervisor)
    os.setsid()
    signal.set_wakeup_fd(-1)  # the supervisor's wake-up pipe: closed in here
    for name in ("SIGINT", "SIGTERM", "SIGPIPE", "SIGCHLD"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large file is an OSError, not a dead process
    if isolation.namespaces:
        enter_namespaces()
        child = os.fork()
        if child:
            _relay(child)
        die_with_parent(None)  # its parent, the relay, is outside the namespace: no pid to compare
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    if isolation.namespaces:  # counted per user namespace, i.e. per sandbox
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    if isolation.files_confined:
        landlock_restrict([scratch, *WRITABLE_DEVICES], block_tcp=not isolation.namespaces, scope_signals=True)
    os.chdir(scratch)
    os.environ.update(HOME=scratch, TMPDIR=scratch)
    tempfile.tempdir = scratch  # the supervisor's cached choice would be outside the sandbox
