"""Async hygiene: the mistakes that let a result look right while work is lost, named with their fix.

Python reports most of them late and far away: a coroutine that was never awaited warns when it is
garbage-collected, a task's lost exception is logged when the task is, a task still running when the
event loop closes is cancelled without a word. While a check runs, an ``Observer`` collects each of
them and turns it into one message that names the mistake, the fix, and what it costs:

* a coroutine never awaited: **the check fails** (the awaited work never happened);
* a task still pending when the check ends: **the check fails** (the work was abandoned; the loop
  cancels it silently);
* "Task exception was never retrieved": **the check fails** (an error was raised and lost);
* the event loop **blocked** by learner code: a ``time.sleep`` called while the check's loop runs, or
  any step of a task that held the loop for ``SLOW_STEP`` seconds of CPU time (a long computation,
  busy waiting): **the check fails** (chapter 1's classic pitfall: nothing else could run meanwhile,
  though the result may be right);
* an ``httpx.AsyncClient`` never closed, or any other ``ResourceWarning`` (an unclosed file, socket
  or transport): **a warning that costs nothing** (the result is right; only resources leaked).

The rule is the same in ``check()`` and in ``course grade``; docs/grading.md states it too.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from course.checker.locate import describe, innermost_learner_frame, suspended_at
from course.limits import SLOW_STEP_SECONDS

NEVER_AWAITED = re.compile(r"coroutine '([^']+)' was never awaited")
FAILS = "this check fails"
FREE = "warning only: it costs no points"


@dataclass(frozen=True)
class Mistake:
    message: str
    fails_check: bool


class Observer:
    """Collects the hygiene mistakes of one check. Created by ``observe()``."""

    def __init__(self) -> None:
        self.mistakes: list[Mistake] = []
        self._clients: list[tuple[Any, str]] = []

    def _add(self, message: str, fails_check: bool) -> None:
        mistake = Mistake(f"{message} ({FAILS if fails_check else FREE}).", fails_check)
        if mistake not in self.mistakes:
            self.mistakes.append(mistake)

    def task_pending(self, task: Any) -> None:
        where = suspended_at(task)
        at = f", waiting at {where}" if where else ""
        self._add(
            f"a task running `{_coro_name(task)}` was still pending when the check ended{at}: await every "
            "task you create, or use `async with asyncio.TaskGroup()`, which waits for them; the event loop "
            "cancels a forgotten task without a word",
            True,
        )

    def blocking_sleep(self, seconds: Any, where: str) -> None:
        self._add(
            f"`time.sleep({seconds!r})` at {where} blocks the event loop: nothing else can run while it "
            f"sleeps. Use `await asyncio.sleep({seconds!r})`",
            True,
        )

    def slow_step(self, seconds: float, what: str) -> None:
        if any(m.message.startswith("`time.sleep(") for m in self.mistakes):
            return  # already named, with its line
        self._add(
            f"{what} held the event loop for {seconds:.1f} s of CPU time without awaiting (a long "
            "computation, or a loop waiting without `await`): nothing else could run meanwhile. Await "
            "the async version, or run blocking work with `await asyncio.to_thread(...)`",
            True,
        )

    def exception_not_retrieved(self, context: dict[str, Any]) -> None:
        task = context.get("future") or context.get("task")
        error = context.get("exception")
        raised = f"{type(error).__name__}: {error}" if error is not None else "an error"
        self._add(
            f"the task running `{_coro_name(task)}` raised {raised}, and nothing ever retrieved that error "
            "(Task exception was never retrieved): await every task you create, or gather them with "
            "`asyncio.gather` or a TaskGroup, so that errors reach the caller",
            True,
        )

    def client_created(self, client: Any) -> None:
        frame = innermost_learner_frame(sys._getframe(2))
        self._clients.append((client, f" at {describe(frame)}" if frame is not None else ""))

    def finish(self, caught: list[warnings.WarningMessage]) -> None:
        """Turn what the check left behind (warnings, open clients) into mistakes. Call after
        ``gc.collect()``, so that every abandoned coroutine has reported itself."""
        unawaited = sorted({m[1] for w in caught if (m := NEVER_AWAITED.search(str(w.message)))})
        if unawaited:
            names = ", ".join(f"`{name}`" for name in unawaited)
            self._add(f"coroutine {names} was never awaited: put `await` before that call", True)
        for client, where in self._clients:
            if not client.is_closed:
                self._add(
                    f"an `httpx.AsyncClient` created{where} was never closed: use `async with "
                    "httpx.AsyncClient() as client:`, or `await client.aclose()` when done",
                    False,
                )
        self._clients.clear()
        for w in caught:
            if issubclass(w.category, ResourceWarning):
                self._add(f"ResourceWarning: {w.message}: close it when done (a `with` block does)", False)


def _coro_name(task: Any) -> str:
    get_coro = getattr(task, "get_coro", None)
    coro = get_coro() if get_coro is not None else None
    return getattr(coro, "__qualname__", None) or getattr(task, "get_name", lambda: "?")()


_current: Observer | None = None


@contextmanager
def observe() -> Iterator[Observer]:
    """Observe one check: while it runs, every ``httpx.AsyncClient`` created is remembered."""
    global _current
    import httpx

    observer, previous, original_init = Observer(), _current, httpx.AsyncClient.__init__

    def init(client: Any, *args: Any, **kwargs: Any) -> None:
        original_init(client, *args, **kwargs)
        observer.client_created(client)

    _current = observer
    httpx.AsyncClient.__init__ = init  # type: ignore[method-assign]
    time.sleep = watched_sleep
    try:
        yield observer
    finally:
        # A check stopped by its guard may end long after a later check began (a thread cannot be
        # killed): undo only what is still this check's own, never the later check's patches.
        if _current is observer:
            time.sleep = _real_sleep if previous is None else time.sleep
            httpx.AsyncClient.__init__ = original_init  # type: ignore[method-assign]
            _current = previous


_real_sleep = time.sleep

SLOW_STEP = SLOW_STEP_SECONDS
"""Real seconds one step of a task may hold the check's loop: the table's value (``course.limits``)."""


def watched_sleep(seconds: float) -> None:
    """``time.sleep`` while a check runs: named when learner code calls it on a running event loop."""
    if _current is not None and _loop_running():
        frame = innermost_learner_frame(sys._getframe(1))
        if frame is not None:
            _current.blocking_sleep(seconds, describe(frame))
    _real_sleep(seconds)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def step_was_slow(seconds: float, ran: list[Any]) -> None:
    """Called by the check's event loop after an iteration that took ``seconds`` of real time, with
    the tasks whose steps it ran."""
    if _current is not None and seconds >= SLOW_STEP:
        places = sorted({p for p in (suspended_at(t) for t in ran) if p})
        after = f" (the step before the `await` at {' or '.join(places)})" if places else ""
        _current.slow_step(seconds, f"Your code{after}")


LOST = "Task exception was never retrieved"


def loop_exception_handler(loop: Any, context: dict[str, Any]) -> None:
    """Installed on every check's event loop: a lost task exception becomes a named mistake."""
    if context.get("message") != LOST:
        loop.default_exception_handler(context)
    elif _current is not None and not loop.is_closed():
        _current.exception_not_retrieved(context)
    # A closed loop's lost error was named when its check ended (``errors_never_retrieved``); the
    # collector freeing that task later, during another check, must not blame that check.


def errors_never_retrieved(loop: Any, tasks: list[Any]) -> None:
    """Called as a check's loop ends, with every task it created: a task that raised and that nobody
    awaited is named now, in this check, and marked retrieved. Python would report it only when the
    garbage collector frees the task, which may be during a later check (or a later cell)."""
    if _current is None:
        return
    for task in tasks:
        if task.done() and not task.cancelled() and task._log_traceback:
            error = task.exception()  # marks it retrieved: the collector stays silent later
            _current.exception_not_retrieved({"message": LOST, "exception": error, "future": task})


def tasks_left_pending(tasks: Any) -> None:
    """Called by the check's event loop with the tasks still pending when the check returned."""
    if _current is not None:
        for task in tasks:
            _current.task_pending(task)
