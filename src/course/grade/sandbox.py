"""Put a freshly forked process in the sandbox learner code runs in, and find out once what is possible.

Layers, each applied when this machine allows it (``probe()`` tries them once per grading run, and the
grader's output says which ones are on):

* its own session and process group, killed as a whole on the wall-clock limit (always);
* resource limits: address space, CPU time, file size, open files (always);
* new user, network and PID namespaces (``course.grade.namespaces``): no network but loopback, no
  view of other processes, every process it starts dies with it;
* Landlock (``course.grade.landlock``): files may be written only in its scratch folder; signals
  cannot reach processes outside; and, when there is no network namespace, no TCP connections;
* a scratch folder as working directory, ``HOME`` and ``TMPDIR``; standard input, output and error on
  /dev/null; every inherited descriptor closed but the result pipe.

Without namespaces, processes the learner's code starts in a new session escape the group kill (the
CPU limit still ends busy ones), and without Landlock, files outside the scratch folder can be
written wherever the grader's user may write. The output says so when that is the case.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import tempfile
from dataclasses import asdict, dataclass

from course.grade import landlock, namespaces
from course.grade.limits import Limits

WRITABLE_DEVICES = ("/dev/null",)
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


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
        return self.namespaces or landlock.describe(self.landlock_abi, block_tcp=True)["tcp"]

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


TURN_OFF = "COURSE_GRADE_WITHOUT"
"""Environment variable: layers to leave off, comma-separated (``namespaces``, ``landlock``). For
diagnosing a problem a layer may cause, and for testing the grader as it runs where they are missing."""


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
            namespaces.isolate()
            inner = os.fork()
            if inner:
                _relay(inner)
        except OSError as exc:
            report["namespaces_error"] = exc.strerror or str(exc)
        try:
            if "landlock" in off:
                raise OSError(0, f"turned off by {TURN_OFF}")
            landlock.restrict_self([tempfile.gettempdir()], block_tcp=False, scope_signals=True)
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
    abi = landlock.abi_version() if not report["landlock_error"] else 0
    return Isolation(
        namespaces=not report["namespaces_error"],
        namespaces_error=report["namespaces_error"],
        landlock_abi=abi,
        landlock_error=report["landlock_error"] or ("" if abi else "not available on this kernel"),
        root=os.geteuid() == 0,
    )


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
    from course.grade.channel import move_to_random_fd

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
        namespaces.isolate()
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
        landlock.restrict_self(
            [scratch, *WRITABLE_DEVICES], block_tcp=not isolation.namespaces, scope_signals=True
        )
    os.chdir(scratch)
    os.environ.update(HOME=scratch, TMPDIR=scratch)
    tempfile.tempdir = scratch  # the supervisor's cached choice would be outside the sandbox
