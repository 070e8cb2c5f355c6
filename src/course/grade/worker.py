"""Inside the sandbox: the forked process's whole life, from fork to ``os._exit``, and its watchdog.

The supervisor forks one process per exercise, so whatever an answer does (patch the checker, leave
threads running, exit, exhaust memory) touches only its own exercise. ``run`` enters the sandbox
(``course.grade.sandbox``), checks the answer exactly as ``check()`` does in a notebook
(``check_exercise``), compares the grader's fingerprint (``course.grade.trust``), and sends the one
result over the result channel. A learner-test exercise's session runs under one time limit; a code
exercise's cell and each of its checks run under their own.

**The watchdog** stops learner code that runs too long, and says which line it was on. A thread
cannot be stopped in Python, but the main thread can be interrupted: ``SIGALRM`` runs a handler
between two bytecodes, and also breaks ``time.sleep``, ``Lock.acquire``, ``select`` and ``waitpid``.
The handler sees the interrupted frame, so the message names the learner's line ("at exercise cell,
line 7, in total_stock"), then raises ``CheckTimeout`` there. The check fails and the next check runs.
``CheckTimeout`` is a ``BaseException``, so ``except Exception`` in learner code does not swallow it.
Code that swallows it anyway (a bare ``except:`` around the blocking call) gets
``course.limits.STOP_GRACE_SECONDS`` more; then the watchdog gives up on the exercise (``on_give_up``:
the exercise scores 0 and the process ends). The sandbox's wall-clock limit, enforced by the
supervisor, remains the backstop for code stuck where no signal handler can run.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any, NoReturn

from course.checker import check_source, guard
from course.checker.guard import Hang
from course.checker.locate import running_at
from course.exercises import get
from course.grade import outcomes, sandbox, trust
from course.limits import CHECK_SECONDS, STOP_GRACE_SECONDS, Limits


def run(job: dict, write_fd: int, secret: str, isolation: sandbox.Isolation, baseline: trust.Fingerprint,
        scratch: str, supervisor: int) -> NoReturn:
    """The forked process's whole life. Never returns."""
    try:
        limits = Limits.from_dict(job["limits"])
        fd = sandbox.quiet_descriptors(write_fd, limits)
        sandbox.enter(scratch, limits, isolation, supervisor)
        check_exercise(job, trust.Sender(fd, secret), limits, baseline)
    finally:
        os._exit(0)  # never return into the supervisor's code; do not wait for threads left behind


def check_exercise(job: dict, sender: trust.Sender, limits: Limits, baseline: trust.Fingerprint) -> None:
    """Check the job's answer under the watchdog and send the result (or the watchdog's verdict)."""
    exercise = get(job["exercise"])
    source = job["source"]  # planning sends a job only for a cell that exists

    def give_up(hang: Hang, swallowed: bool) -> NoReturn:
        if exercise.kind == "tests" and not swallowed:
            result = outcomes.tests_hung(exercise, hang, limits.tests_seconds)
        else:
            result = outcomes.swallowed(exercise, hang)
        sender.send(result=result.to_dict())
        os._exit(0)

    watchdog = WATCHDOG
    watchdog.configure(
        limits.check_seconds,
        on_stuck=lambda hang: sender.send(stuck={"where": hang.where, "seconds": hang.seconds}),
        on_give_up=give_up,
    )
    try:
        if exercise.kind == "tests":
            result = watchdog.limit_whole(lambda: check_source(exercise, source), limits.tests_seconds)
        else:
            result = check_source(exercise, source)
            if result.problem_kind == "load-hang" and watchdog.last_hang is not None:
                result = outcomes.load_hung(exercise, watchdog.last_hang)  # the same verdict, with the line
    except BaseException as exc:  # noqa: BLE001 - check_source never raises for learner code: tampering, or a bug
        result = outcomes.checker_failed(exercise, exc)
    changed = trust.changes(baseline, trust.fingerprint())
    if changed:
        result = outcomes.tampered(exercise, changed)
    sender.send(result=outcomes.annotate(result).to_dict())


# -- The watchdog --------------------------------------------------------------------------------


class CheckTimeout(BaseException):
    """Raised by the grader inside learner code that ran past its time limit."""


class Watchdog:
    """The sandbox's guard for ``course.checker`` (``set_guard(WATCHDOG.guard)``)."""

    def __init__(self, grace: float = STOP_GRACE_SECONDS) -> None:
        self.seconds = CHECK_SECONDS
        self.grace = grace
        self.on_stuck: Callable[[Hang], None] = lambda hang: None  # told at the first interruption
        self.on_give_up: Callable[[Hang, bool], NoReturn] | None = None  # (hang, swallowed): ends the process
        self.last_hang: Hang | None = None
        self._active = False
        self._hang: Hang | None = None
        self._abort = False
        self._seconds = 0.0

    def configure(self, seconds: float, on_stuck: Callable[[Hang], None],
                  on_give_up: Callable[[Hang, bool], NoReturn]) -> None:
        """Set up for one exercise. The watchdog itself is created, and installed as the checker's
        guard, before the grader's fingerprint is taken (``course.grade.trust``)."""
        self.seconds, self.on_stuck, self.on_give_up = seconds, on_stuck, on_give_up

    def guard(self, func: Callable[[], Any], limit: float) -> tuple[bool, Any]:
        """Run ``func`` in this (main) thread for at most ``self.seconds``: (finished, outcome).

        The grader's limit replaces the checker's own ``limit``, scaled as the checker scaled it (a
        check with ``time_scale=3`` asks for 3 x ``CHECK_SECONDS``, and gets 3 x ``self.seconds``). A
        nested call runs under the outer call's alarm (there is one alarm per process)."""
        if self._active:
            try:
                return True, func()
            except CheckTimeout:
                raise
            except BaseException as exc:  # noqa: BLE001 - same contract as thread_guard
                return True, exc
        return self._run(func, self.seconds * limit / CHECK_SECONDS, abort=False)

    def limit_whole(self, func: Callable[[], Any], seconds: float) -> Any:
        """Run ``func`` with one time limit for all of it; past the limit, give up on the exercise at
        once. For a learner-test session: pytest would report the interruption as one failed test
        and go on running the others, each blocking again."""
        _, outcome = self._run(func, seconds, abort=True)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _run(self, func: Callable[[], Any], seconds: float, *, abort: bool) -> tuple[bool, Any]:
        self._active, self._hang, self._abort = True, None, abort
        self._seconds = seconds
        previous = signal.signal(signal.SIGALRM, self._on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            outcome, finished = func(), True
        except CheckTimeout:
            outcome, finished = None, False
        except BaseException as exc:  # noqa: BLE001 - learner code may raise anything
            outcome, finished = exc, True
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            self._active = False
        if self._hang is not None:  # interrupted, even if the code swallowed it and then returned
            self.last_hang = self._hang
            return False, self._hang
        return finished, outcome

    def _on_alarm(self, signum: int, frame: Any) -> None:
        if self._hang is None:
            self._hang = Hang(self._seconds, running_at(frame), guard.cycling(threading.get_ident()))
            self.on_stuck(self._hang)
            if self._abort and self.on_give_up is not None:
                self.on_give_up(self._hang, False)
            signal.setitimer(signal.ITIMER_REAL, self.grace)
            raise CheckTimeout(f"stopped by the grader after {self._seconds:g} s")
        if self.on_give_up is not None:
            self.on_give_up(self._hang, True)
        raise CheckTimeout(f"stopped by the grader after {self._seconds:g} s")


WATCHDOG = Watchdog()
"""The sandbox's one watchdog: one alarm per process."""
