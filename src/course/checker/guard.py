"""Run learner code under a real-time limit, say where and how it got stuck, and stop it.

Checks run on virtual time and take milliseconds, so only two kinds of code come near a real-time
limit, and they need different advice:

* code that **blocks** the event loop: one step runs and never gives control back (``time.sleep``,
  sync I/O, a ``while`` loop with no ``await``);
* code that **never ends while awaiting**: the loop keeps cycling, but the work never finishes
  (``while True: await asyncio.sleep(0)``, a retry loop with no limit). Virtual time does not move
  while nothing waits on a timer, so the virtual-time limit never comes.

The event loops the checker runs beat a heartbeat (``beat``) at each iteration; when the limit
passes, a recent beat means the loop was still cycling. ``Hang.cycling`` carries that, and
``hang_advice`` words it for the learner, for ``check()`` and the grader alike.

In a notebook the code runs in a daemon thread (``thread_guard``): the kernel's own event loop is
running in the main thread. Python cannot kill a thread, but it can raise an exception in it between
two bytecodes; ``StopCheck`` is raised there, again and again, until the thread ends, so a stuck check
does not keep spinning in the learner's kernel. The grader's sandbox installs its own guard
(``course.grade.worker.Watchdog``), based on signals in its main thread.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from course.checker.locate import is_learner_file, loop_on_stack, running_at
from course.limits import STOP_GRACE_SECONDS

CYCLING_WITHIN = 0.25
"""A loop that started an iteration this recently (real seconds) is still cycling, not blocked."""

_beats: dict[int, float] = {}
_stopping: set[int] = set()


def beat() -> None:
    """Record that the event loop running in this thread started an iteration (cheap: a dict store)."""
    _beats[threading.get_ident()] = time.monotonic()


def forget_beats() -> None:
    """The loop of this thread has finished: a thread id may be reused by another thread."""
    _beats.pop(threading.get_ident(), None)


def cycling(thread_id: int | None) -> bool:
    """Whether the event loop of that thread started an iteration in the last ``CYCLING_WITHIN`` s."""
    last = _beats.get(thread_id or 0)
    return last is not None and time.monotonic() - last < CYCLING_WITHIN


def stop_requested() -> bool:
    """Whether a guard is stopping the code this thread runs. A learner-test session asks after each
    test and ends there: cancelling a test's tasks ends only that test, and pytest would go on to the
    next one, which spins again (``while True: await asyncio.sleep(0)`` in every run of the test)."""
    return threading.get_ident() in _stopping


class StopCheck(KeyboardInterrupt):
    """Raised inside stuck learner code to end the check.

    A ``KeyboardInterrupt`` on purpose: it is what asyncio and pytest already treat as "stop
    everything now" (a task re-raises it instead of storing it, pytest ends the session), and
    ``except Exception`` in learner code does not catch it."""


@dataclass(frozen=True)
class Hang:
    """What a guard reports for code that did not finish in time: how long, where, and how."""

    seconds: float
    where: str = ""
    cycling: bool = False  # the event loop kept cycling (awaiting forever) rather than being blocked
    stopped: bool = True  # False: the code could not be stopped and still runs in this process

    @property
    def at(self) -> str:
        return f" at {self.where}" if self.where else ""


def hang_advice(hang: Hang) -> str:
    """What to tell the learner about a hang, after "Still running after N s of real time at …"."""
    if hang.cycling:
        advice = (
            "The code keeps awaiting but never finishes: a loop that never ends (`while True:` with no "
            "`break`, a retry loop with no limit) or that only awaits `asyncio.sleep(0)`. Virtual time "
            "stands still while nothing waits on a timer. Make the loop end."
        )
    else:
        advice = (
            "A call there blocks the event loop: `time.sleep` instead of `await asyncio.sleep`, sync I/O, "
            "or a loop that never awaits. Nothing else can run while it blocks."
        )
    if not hang.stopped:
        advice += (
            " It could not be stopped (it is inside a call Python cannot interrupt) and is still running:"
            " restart the kernel (Kernel → Restart Kernel) before you go on."
        )
    return advice


Guard = Callable[[Callable[[], Any], float], "tuple[bool, Any]"]


class _Stoppable(threading.Thread):
    """A daemon thread running ``func`` that can be stopped between two bytecodes.

    ``StopCheck`` is raised in it only while ``func`` runs: once ``func`` has returned or raised,
    ``done`` is set under the lock the stopper holds while raising, and any exception still pending
    for the thread is cleared, so none can escape after the outcome is known."""

    def __init__(self, func: Callable[[], Any]) -> None:
        super().__init__(name="course-check", daemon=True)
        self.func = func
        self.outcome: list[Any] = []
        self._lock = threading.Lock()
        self._done = False

    def run(self) -> None:
        try:
            try:
                value = self.func()
            except BaseException as exc:  # noqa: BLE001 - learner code may raise anything, SystemExit too
                value = exc
            self._finish()
            self.outcome.append(value)
        except StopCheck:  # delivered just as func ended
            self._finish()
        finally:
            forget_beats()
            _stopping.discard(threading.get_ident())

    def _finish(self) -> None:
        with self._lock:
            self._done = True
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threading.get_ident()), None)

    def interrupt(self) -> bool:
        """Raise ``StopCheck`` in the thread if it is executing learner code right now.

        Only there: an exception raised between two bytecodes of a weakref callback or a ``__del__``
        (asyncio's cleanup runs many) would be "ignored" and printed, not stop anything."""
        with self._lock:
            top = sys._current_frames().get(self.ident or 0)
            if self._done or top is None or not _in_learner_code(top):
                return False
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.ident), ctypes.py_object(StopCheck))
            return True

    def cancel_tasks(self) -> bool:
        """Cancel every task of the event loop this thread runs, if any; the asyncio way to stop code
        that keeps awaiting (each task gets ``CancelledError`` at its next ``await``)."""
        loop = loop_on_stack(sys._current_frames().get(self.ident or 0))
        if loop is None or loop.is_closed():
            return False

        def cancel_all() -> None:
            for task in asyncio.all_tasks(loop):
                task.cancel("stopped by course.check: still running at the time limit")

        try:
            loop.call_soon_threadsafe(cancel_all)
        except RuntimeError:  # closed in the meantime
            return False
        return True

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> bool:
        """Stop the thread within ``grace`` seconds, if it can be stopped; did it end?

        First the loop's tasks are cancelled (and a learner-test session told to run no further test:
        ``stop_requested``); code that swallows ``CancelledError``, or that blocks,
        then gets ``StopCheck`` raised in its own frames, again whenever it is back in them (a bare
        ``except:`` may swallow one; a blocking C call delivers it only when the call returns)."""
        deadline = time.monotonic() + grace
        _stopping.add(self.ident or 0)
        if self.cancel_tasks():
            self.join(grace / 4)
        while self.is_alive() and time.monotonic() < deadline:
            self.join(0.02 if self.interrupt() else 0.001)
        return not self.is_alive()


def _in_learner_code(frame: Any) -> bool:
    """The frame runs learner code, or a thin wrapper the checker put around a learner's blocking
    call (``time.sleep`` while a check runs, ``course.checker.hygiene``), called by learner code."""
    if is_learner_file(frame.f_code.co_filename):
        return True
    from course.checker import hygiene

    return frame.f_code is hygiene.watched_sleep.__code__ and frame.f_back is not None and is_learner_file(
        frame.f_back.f_code.co_filename)


def thread_guard(func: Callable[[], Any], limit: float) -> tuple[bool, Any]:
    """Run ``func`` in a daemon thread; (finished, what it returned or raised, or a ``Hang``).

    Past ``limit``, the thread's stack tells where the learner's code is stuck and its heartbeat how,
    then the thread is stopped."""
    thread = _Stoppable(func)
    thread.start()
    thread.join(limit)
    if not thread.is_alive():
        return True, thread.outcome[0] if thread.outcome else None
    where = running_at(sys._current_frames().get(thread.ident or 0))
    was_cycling = cycling(thread.ident)
    return False, Hang(limit, where, was_cycling, stopped=thread.stop())


_guard: Guard = thread_guard


def set_guard(guard: Guard) -> Guard:
    """Choose how learner code is time-limited; returns the previous guard. ``check()`` in a notebook
    uses ``thread_guard``; the grader's sandbox installs a signal-based one that also stops the code."""
    global _guard
    previous, _guard = _guard, guard
    return previous


def run_guarded(func: Callable[[], Any], limit: float) -> tuple[bool, Any]:
    """Run ``func`` under the current guard: (finished, what it returned or raised, or a ``Hang``)."""
    return _guard(func, limit)
