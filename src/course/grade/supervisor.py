"""The warm supervisor: imports and warms the checker once, then forks one sandbox per exercise.

``python -m course.grade.supervisor --parallel N`` reads jobs (JSON lines on standard input: an id, an
exercise id, the source of its cell, the limits) and writes one JSON line per finished job to standard
output, in the order they finish. It runs up to N sandboxes at once (one per core by default).
``course.grade.pool.SandboxPool`` starts it and speaks this protocol.

Starting Python and importing pytest, its plugins, httpx and the example package takes about a
second; a check itself takes milliseconds. So the supervisor pays the imports once, runs one check of
every exercise on a placeholder answer (which imports and initialises what checks use lazily), freezes
its heap, and then forks: each sandbox starts with everything loaded, in a few milliseconds.

The supervisor never runs learner code. It enforces the wall-clock limit (killing the sandbox's
process group), reads the one result each sandbox sends over its own pipe (``trust.Receiver``),
checks it against the registry (``trust.verified``), and reports a result of its own when the sandbox
died, hung or sent anything suspicious (``course.grade.outcomes``). The sandbox's own code, from fork
to exit, is ``course.grade.worker``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass

from course.checker import check_source
from course.checker.frozen_heap import freeze_for_good, settle_hypothesis
from course.checker.guard import set_guard
from course.checker.results import ExerciseResult
from course.exercises import Exercise, all_exercises, get
from course.grade import outcomes, sandbox, trust, worker
from course.grade.trust import Receiver, new_secret, verified
from course.grade.worker import WATCHDOG
from course.limits import Limits, default_parallel


def warm_up() -> None:
    """Check one exercise of each kind on a placeholder answer, so that lazy imports and first-use
    set-up (pytest's plugins, event loops, httpx) happen here, once, not in every sandbox. (Warming
    every exercise costs 0.4 s more at start-up and saves nothing measurable per sandbox.)

    Then Hypothesis runs one test in this thread: each sandbox runs its checks in its main thread,
    and on Python 3.15 Hypothesis's first test in a thread whose heap is frozen fails once
    (``course.checker.frozen_heap``)."""
    one_of_each_kind = {e.kind: e for e in reversed(all_exercises())}
    for exercise in one_of_each_kind.values():
        if exercise.kind == "code":
            source = "".join(f"async def {name}(*args, **kwargs):\n    return None\n" for name in exercise.requires)
        else:
            source = "def test_placeholder():\n    assert True\n"
        check_source(exercise, source)
    settle_hypothesis()


@dataclass
class Running:
    """One sandbox that has been forked and not yet reaped."""

    job: dict
    exercise: Exercise
    limits: Limits
    receiver: Receiver
    scratch: str
    started: float
    deadline: float
    cpu: float = 0.0
    timed_out: bool = False


class Supervisor:
    """The supervisor's loop: read jobs, fork sandboxes, reap them, write verified results."""

    def __init__(self, parallel: int, out=None) -> None:
        self.parallel = max(1, parallel)
        self.out = out or sys.stdout
        self.isolation = sandbox.probe()
        self.baseline: trust.Fingerprint = {}
        self.pending: deque[dict] = deque()
        self.running: dict[int, Running] = {}
        self.selector = selectors.DefaultSelector()
        self.root = tempfile.mkdtemp(prefix="course-grade-")

    def prepare(self) -> float:
        """Warm up, install the sandbox's guard, freeze the heap, take the grader's fingerprint."""
        start = time.perf_counter()
        warm_up()
        set_guard(WATCHDOG.guard)
        freeze_for_good()  # forked sandboxes share these pages, and their collections skip them
        self.baseline = trust.fingerprint()
        assert threading.active_count() == 1, "the supervisor must be single-threaded to fork"
        return time.perf_counter() - start

    # -- the loop ---------------------------------------------------------------------------------

    def serve(self, stdin) -> None:
        wake_read, wake_write = os.pipe()  # descriptors are not inherited by default (PEP 446)
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # a child ended: the wake-up pipe says so
        self.selector.register(wake_read, selectors.EVENT_READ, "wake")
        os.set_blocking(stdin.fileno(), False)
        self.selector.register(stdin.fileno(), selectors.EVENT_READ, "jobs")
        buffer, reading = b"", True
        while reading or self.pending or self.running:
            while self.pending and len(self.running) < self.parallel:
                self.start(self.pending.popleft())
            for key, _ in self.selector.select(timeout=self._timeout()):
                if key.data == "wake":
                    _drain(wake_read)
                elif key.data == "jobs":
                    try:
                        chunk = os.read(stdin.fileno(), 1 << 20)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        reading = False
                        self.selector.unregister(stdin.fileno())
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    self.pending.extend(json.loads(line) for line in lines if line.strip())
                else:
                    key.data.receiver.feed()
            self.reap()
            self.enforce_deadlines()
        _remove(self.root)

    def stop(self, *_: object) -> None:
        """End now: kill every running sandbox, remove the scratch folders, exit."""
        for pid in self.running:
            _kill_group(pid)
        _remove(self.root)
        os._exit(1)

    def _timeout(self) -> float | None:
        if not self.running:
            return None
        return max(0.0, min(r.deadline for r in self.running.values()) - time.monotonic())

    # -- one sandbox ------------------------------------------------------------------------------

    def start(self, job: dict) -> None:
        exercise = get(job["exercise"])
        limits = Limits.from_dict(job["limits"])
        scratch = tempfile.mkdtemp(dir=self.root)
        read, write = os.pipe()
        secret = new_secret()
        started = time.monotonic()
        me = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the sandbox; its result is what the tests see
            os.close(read)
            worker.run(job, write, secret, self.isolation, self.baseline, scratch, me)
        os.close(write)
        os.set_blocking(read, False)
        running = Running(job, exercise, limits, Receiver(read, secret), scratch, started,
                          started + limits.seconds_per_exercise)
        self.running[pid] = running
        self.selector.register(read, selectors.EVENT_READ, running)

    def reap(self) -> None:
        for pid in list(self.running):
            try:
                done, status, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:  # pragma: no cover - reaped elsewhere; treat as ended
                done, status, usage = pid, 0, None
            if done:
                running = self.running[pid]
                running.cpu = (usage.ru_utime + usage.ru_stime) if usage else 0.0
                self.finish(pid, os.waitstatus_to_exitcode(status))

    def enforce_deadlines(self) -> None:
        now = time.monotonic()
        for pid, running in list(self.running.items()):
            if now >= running.deadline:
                running.timed_out = True
                _kill_group(pid)
                _, status, usage = os.wait4(pid, 0)
                running.cpu = usage.ru_utime + usage.ru_stime
                self.finish(pid, os.waitstatus_to_exitcode(status))

    def finish(self, pid: int, exit_code: int) -> None:
        running = self.running.pop(pid)
        # Whatever the sandbox started and left behind. (Its first process is reaped already, but the
        # group's id stays reserved while members remain; if none do, the call finds nothing.)
        _kill_group(pid)
        receiver = running.receiver
        while receiver.feed():
            if not _readable(receiver.fd):
                break
        self.selector.unregister(receiver.fd)
        os.close(receiver.fd)
        _remove(running.scratch)
        result = self.verdict(running, exit_code if exit_code >= 0 else 128 - exit_code)
        self.out.write(json.dumps({
            "id": running.job["id"],
            "result": result.to_dict(),
            "wall": round(time.monotonic() - running.started, 4),
            "cpu": round(running.cpu, 4),
        }) + "\n")
        self.out.flush()

    def verdict(self, running: Running, exit_code: int) -> ExerciseResult:
        """Verification: the sandbox's result if the channel and the registry vouch for it; otherwise
        the grader's own verdict, decided from what the channel received and how the process ended."""
        exercise, received = running.exercise, running.receiver.received
        if received.forged:
            return outcomes.forged(exercise, received.forged)
        if received.result is not None:
            result = verified(exercise, received.result)
            return result if result is not None else outcomes.forged(exercise, ["a result the checks did not produce"])
        if running.timed_out:
            return outcomes.stopped(exercise, running.limits.seconds_per_exercise, received.stuck)
        return outcomes.ended(exercise, exit_code, received.stuck)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _remove(folder: str) -> None:
    """Delete a scratch folder, even one whose folders the learner's code made unreadable. (Its
    processes are dead by now; symbolic links are never followed, so nothing outside is touched.)"""
    for root, dirs, _ in os.walk(folder):  # top-down: each folder is opened up before it is listed
        for name in dirs:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                with contextlib.suppress(OSError):
                    os.chmod(path, 0o700)
    shutil.rmtree(folder, ignore_errors=True)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def _readable(fd: int) -> bool:
    with selectors.DefaultSelector() as probe:
        probe.register(fd, selectors.EVENT_READ)
        return bool(probe.select(timeout=0))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m course.grade.supervisor")
    parser.add_argument("--parallel", type=int, default=default_parallel(), help="sandboxes run at once")
    parser.add_argument("--parent", type=int, default=None, help="end when this process ends")
    args = parser.parse_args(argv)
    if args.parent is not None:
        sandbox.die_with_parent(args.parent, signal.SIGTERM)
    supervisor = Supervisor(args.parallel)
    for name in ("SIGTERM", "SIGINT"):  # the grader gone, or Ctrl-C at its terminal
        signal.signal(getattr(signal, name), supervisor.stop)
    warm = supervisor.prepare()
    print(
        json.dumps({"ready": True, "isolation": supervisor.isolation.to_dict(), "warm_up": round(warm, 3)}), flush=True
    )
    supervisor.serve(sys.stdin)


if __name__ == "__main__":
    main()
