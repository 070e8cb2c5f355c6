"""An event loop that can order simultaneous timers differently, to screen tests for flakiness.

asyncio documents two orders. Callbacks made ready with ``call_soon`` run first-in, first-out:
code may rely on that (``await asyncio.sleep(0)`` lets a just-created task start). But "if two
callbacks are scheduled for exactly the same time, it is undefined which will be called first"
(``loop.call_at``). On virtual time, simultaneous timers are common: two requests with the same
latency finish at the same instant. A test that depends on which one asyncio happens to wake first
is flaky under another loop, Python version or timing.

``CourseLoop`` also ends deadlocks. When nothing is ready and no timer is pending, nothing in the
course's tests can ever wake the loop again (they talk to in-process fakes, not sockets): the loop
would block forever. It then sets one timer, ``course.limits.IDLE_SECONDS`` ahead, that cancels every task;
on virtual time that is instant, and the test fails instead of hanging the grader. It also ends loops
that never stop: once ``course.limits.VIRTUAL_SECONDS`` of virtual time have passed (a poller nobody
stops, a retry loop with no limit), every task is cancelled (and again after as long, for code that
swallows a cancellation), so a test of such code fails at once
instead of spending the session's real-time limit, and a deliberately buggy version that never stops
counts as caught.

``CourseLoop`` breaks ties between timers due at the same time with a seeded random key when
``SCHEDULE.seed`` is set, and by creation order otherwise. The same seed gives the same order, so
a test that passes under one seed and fails under another is flaky, reproducibly.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from dataclasses import dataclass

from course.checker import guard
from course.limits import IDLE_SECONDS, VIRTUAL_SECONDS


@dataclass
class Schedule:
    seed: int | None = None  # None: ties go to the timer created first


SCHEDULE = Schedule()


class _Timer(asyncio.TimerHandle):
    __slots__ = ("_course_key",)

    def _key(self) -> tuple[float, float]:
        return (self._when, self._course_key)  # type: ignore[attr-defined]

    def __lt__(self, other: object) -> bool:
        return self._key() < other._key() if isinstance(other, _Timer) else super().__lt__(other)

    def __le__(self, other: object) -> bool:
        return self._key() <= other._key() if isinstance(other, _Timer) else super().__le__(other)

    def __gt__(self, other: object) -> bool:
        return self._key() > other._key() if isinstance(other, _Timer) else super().__gt__(other)

    def __ge__(self, other: object) -> bool:
        return self._key() >= other._key() if isinstance(other, _Timer) else super().__ge__(other)


class CourseLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self._course_rng = random.Random(SCHEDULE.seed) if SCHEDULE.seed is not None else None
        self._course_counter = itertools.count()
        self._course_start: float | None = None  # the loop's clock when its current window began

    def _run_once(self) -> None:
        guard.beat()
        if not getattr(self, "looptime_on", False):  # real time (looptime off): the real-time limit applies
            self._course_start = None
        elif self._course_start is None:
            self._course_start = self.time()
        elif self.time() - self._course_start >= VIRTUAL_SECONDS:
            self._course_start = self.time()  # and again a window later, for code that swallowed this one
            for task in asyncio.all_tasks(self):
                task.cancel(
                    f"still running after {VIRTUAL_SECONDS:g} s of virtual time: a loop that never ends "
                    "(a poller nobody stops, a retry loop with no limit)"
                )
        # A cancelled timer stays in the heap until asyncio sweeps it (every finished asyncio.timeout()
        # leaves one): only timers still due can wake the loop.
        if not self._ready and all(timer.cancelled() for timer in self._scheduled):  # type: ignore[attr-defined]
            self.call_later(IDLE_SECONDS, self._course_unstick)
        super()._run_once()  # type: ignore[misc]

    def _course_unstick(self) -> None:
        for task in asyncio.all_tasks(self):
            task.cancel(f"waited {IDLE_SECONDS:g} s for something that can never happen (a deadlock)")

    def call_at(self, when, callback, *args, context=None):  # type: ignore[no-untyped-def, override]
        # The body of BaseEventLoop.call_at, with a timer that carries a tie-breaking key.
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()  # type: ignore[attr-defined]
        timer = _Timer(when, callback, args, self, context)
        timer._course_key = self._course_rng.random() if self._course_rng else next(self._course_counter)
        if timer._source_traceback:
            del timer._source_traceback[-1]
        heapq.heappush(self._scheduled, timer)  # type: ignore[attr-defined]
        timer._scheduled = True
        return timer
