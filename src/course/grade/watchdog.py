"""Stop learner code that runs too long, from inside the sandbox, and say which line it was on.

A thread cannot be stopped in Python, but the main thread can be interrupted: ``SIGALRM`` runs a
handler between two bytecodes, and also breaks ``time.sleep``, ``Lock.acquire``, ``select`` and
``waitpid``. The handler sees the interrupted frame, so the message names the learner's line
("at exercise cell, line 7, in total_stock"), then raises ``CheckTimeout`` there. The check fails and
the next check runs.

``CheckTimeout`` is a ``BaseException``, so ``except Exception`` in learner code does not swallow it.
Code that swallows it anyway (a bare ``except:`` around the blocking call) gets one more second; then
the watchdog gives up on the exercise (``on_give_up``: the worker reports 0 and ends the process).
The sandbox's wall-clock limit remains the backstop for code stuck where no signal handler can run.
"""

from __future__ import annotations

import signal
import threading
from typing import Any, Callable, NoReturn

from course.checker import guard
from course.checker.guard import Hang
from course.checker.locate import running_at

GRACE_SECONDS = 1.0


class CheckTimeout(BaseException):
    """Raised by the grader inside learner code that ran past its time limit."""


class Watchdog:
    """The grader's guard for ``course.checker.code_checks`` (``set_guard(WATCHDOG.guard)``)."""

    def __init__(self) -> None:
        self.seconds = 5.0
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
        guard, before the grader's fingerprint is taken (``course.grade.tamper``)."""
        self.seconds, self.on_stuck, self.on_give_up = seconds, on_stuck, on_give_up

    def guard(self, func: Callable[[], Any], limit: float) -> tuple[bool, Any]:  # noqa: ARG002
        """Run ``func`` in this (main) thread for at most ``self.seconds``: (finished, outcome).

        The grader's limit replaces the checker's own ``limit``. A nested call runs under the outer
        call's alarm (there is one alarm per process)."""
        if self._active:
            try:
                return True, func()
            except CheckTimeout:
                raise
            except BaseException as exc:  # noqa: BLE001 - same contract as thread_guard
                return True, exc
        return self._run(func, self.seconds, abort=False)

    def limit_whole(self, func: Callable[[], Any], seconds: float) -> Any:
        """Run ``func`` with one time limit for all of it; past the limit, give up on the exercise at
        once. For a learner-test session: pytest would report the interruption as one failed test
        and go on running the others, each blocking again."""
        finished, outcome = self._run(func, seconds, abort=True)
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

    def _on_alarm(self, signum: int, frame: Any) -> None:  # noqa: ARG002
        if self._hang is None:
            self._hang = Hang(self._seconds, running_at(frame), guard.cycling(threading.get_ident()))
            self.on_stuck(self._hang)
            if self._abort and self.on_give_up is not None:
                self.on_give_up(self._hang, False)
            signal.setitimer(signal.ITIMER_REAL, GRACE_SECONDS)
            raise CheckTimeout(f"stopped by the grader after {self._seconds:g} s")
        if self.on_give_up is not None:
            self.on_give_up(self._hang, True)
        raise CheckTimeout(f"stopped by the grader after {self._seconds:g} s")


WATCHDOG = Watchdog()
"""The sandbox's one watchdog: one alarm per process."""
