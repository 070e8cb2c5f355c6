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
from typing import Any, Awaitable, Callable

import looptime

from course.checker import guard, hygiene
from course.checker.locate import suspended_at

__all__ = ["VIRTUAL_LIMIT", "Stuck", "run", "suspended_at"]

VIRTUAL_LIMIT = 600.0


class Stuck(Exception):
    """The checked code waited ``VIRTUAL_LIMIT`` virtual seconds; the message names the line."""


def run(make_coro: Callable[[], Awaitable[Any]], *, limit: float = VIRTUAL_LIMIT) -> Any:
    """Run ``make_coro()`` to completion on a new virtual-time loop in the current thread."""
    with asyncio.Runner(loop_factory=lambda: looptime.new_event_loop(start=0.0)) as runner:
        loop = runner.get_loop()
        loop.set_exception_handler(hygiene.loop_exception_handler)
        run_once = loop._run_once  # type: ignore[attr-defined]
        ready = loop._ready  # type: ignore[attr-defined]

        def run_once_with_heartbeat() -> None:
            guard.beat()  # tells a loop that never ends from a blocked one
            tasks = [h._callback.__self__ for h in ready if isinstance(getattr(h._callback, "__self__", None), asyncio.Task)]
            start = time.perf_counter()
            run_once()
            hygiene.step_was_slow(time.perf_counter() - start, tasks)

        loop._run_once = run_once_with_heartbeat  # type: ignore[attr-defined]

        async def guarded() -> Any:
            main = asyncio.current_task()
            assert main is not None
            stuck: list[str] = []

            def give_up() -> None:
                places = [suspended_at(t) for t in asyncio.all_tasks(loop)]
                stuck.append(next((p for p in places if p), ""))
                main.cancel()

            handle = loop.call_later(limit, give_up)
            try:
                return await make_coro()
            except asyncio.CancelledError:
                if stuck:
                    where = f" It was waiting at {stuck[0]}." if stuck[0] else ""
                    raise Stuck(
                        f"The code was still waiting after {limit:g} s (of virtual time).{where} "
                        "Something it awaits never happens: an event never set, a queue never fed, "
                        "or a call with no timeout."
                    ) from None
                raise
            finally:
                handle.cancel()
                if not stuck:  # after a deadlock every task is pending: that is already the message
                    hygiene.tasks_left_pending(t for t in asyncio.all_tasks(loop) if t is not main and not t.done())

        return runner.run(guarded())  # looptime.new_event_loop() starts with virtual time enabled
