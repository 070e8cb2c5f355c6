"""Run a check's coroutine on a fresh event loop with virtual time, and name where it got stuck.

Checks simulate latency with ``asyncio.sleep``; on looptime's loop that costs no wall-clock time and
``loop.time()`` advances exactly, so a check can tell concurrent code (1 s of virtual time) from
sequential code (3 s). A coroutine that waits for something that never happens is stopped after
``VIRTUAL_LIMIT`` virtual seconds (an instant in real time) with the line it was waiting on.

Each loop also reports async hygiene (``course.checker.hygiene``): a lost task exception goes to the
observer of the check, and so do the tasks still pending when the check's coroutine returns (the
runner would otherwise cancel them without a word when it closes the loop).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import looptime

from course.checker import guard, hygiene
from course.checker.locate import suspended_at
from course.limits import SPIN_STEPS, VIRTUAL_SECONDS

__all__ = ["SPIN_LIMIT", "VIRTUAL_LIMIT", "Spinning", "Stuck", "run"]

VIRTUAL_LIMIT = VIRTUAL_SECONDS  # the table's values (course.limits), under this module's names


class Stuck(Exception):
    """The checked code waited ``VIRTUAL_LIMIT`` virtual seconds; the message names the line."""


class Spinning(Stuck):
    """The checked code kept the loop busy for ``SPIN_LIMIT`` iterations with no time passing."""


SPIN_LIMIT = SPIN_STEPS


def run(make_coro: Callable[[], Awaitable[Any]], *, limit: float = VIRTUAL_LIMIT) -> Any:
    """Run ``make_coro()`` to completion on a new virtual-time loop in the current thread."""
    with asyncio.Runner(loop_factory=lambda: looptime.new_event_loop(start=0.0)) as runner:
        loop = runner.get_loop()
        loop.set_exception_handler(hygiene.loop_exception_handler)
        # Every task the check's code creates, held strongly: a task nobody references can be
        # garbage-collected while it is pending (sooner on 3.14's incremental collector), and then
        # "a task still pending when the check ended" would depend on when the collector ran.
        created: list[asyncio.Task[Any]] = []

        def task_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
            task = asyncio.Task(coro, loop=loop, **kwargs)
            created.append(task)
            return task

        loop.set_task_factory(task_factory)
        run_once = loop._run_once  # type: ignore[attr-defined]
        stuck: list[tuple[str, str]] = []  # (why, where), once the check is given up on
        spin = {"time": -1.0, "count": 0}

        def give_up(why: str) -> None:
            if stuck:
                return
            places = [suspended_at(t) for t in asyncio.all_tasks(loop)]
            stuck.append((why, next((p for p in places if p), "")))
            for task in asyncio.all_tasks(loop):
                if task.get_coro().__name__ == "guarded":
                    task.cancel()

        def run_once_with_heartbeat() -> None:
            guard.beat()  # tells a loop that never ends from a blocked one, for the real-time guard
            now = loop.time()
            if now == spin["time"]:
                spin["count"] += 1
                if spin["count"] == SPIN_LIMIT:
                    give_up("spinning")
            else:
                spin["time"], spin["count"] = now, 0
            # CPU time of this thread, not the wall clock: on a loaded machine a step may wait for a
            # core, which is not the learner's doing; a long computation burns CPU all the same.
            start = time.thread_time()
            run_once()
            took = time.thread_time() - start
            if took >= hygiene.SLOW_STEP:  # which task it was: the ones now suspended right after it
                hygiene.step_was_slow(took, [t for t in asyncio.all_tasks(loop) if t.get_coro().__name__ != "guarded"])

        loop._run_once = run_once_with_heartbeat  # type: ignore[attr-defined]

        async def guarded() -> Any:
            main = asyncio.current_task()
            assert main is not None
            handle = loop.call_later(limit, give_up, "waiting")
            try:
                return await make_coro()
            except asyncio.CancelledError:
                if stuck:
                    why, place = stuck[0]
                    if why == "spinning":
                        where = f" It was at {place}." if place else ""
                        raise Spinning(
                            f"The code kept awaiting but never finished: {SPIN_LIMIT:,} steps of the event loop "
                            f"and no time passed.{where} A loop that never ends (`while True:` with no "
                            "`break`, or a retry loop with no limit) that awaits only `asyncio.sleep(0)` or "
                            "something always ready. Make the loop end."
                        ) from None
                    where = f" It was waiting at {place}." if place else ""
                    raise Stuck(
                        f"The code was still waiting after {limit:g} s (of virtual time).{where} "
                        "Something it awaits never happens: an event never set, a queue never fed, "
                        "or a call with no timeout."
                    ) from None
                raise
            finally:
                handle.cancel()
                if not stuck:  # after a deadlock every task is pending: that is already the message
                    hygiene.tasks_left_pending(t for t in created if t is not main and not t.done())

        try:
            return runner.run(guarded())  # looptime.new_event_loop() starts with virtual time enabled
        finally:
            hygiene.errors_never_retrieved(loop, created)
