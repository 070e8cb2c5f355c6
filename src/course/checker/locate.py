"""Name the line of the learner's own code where something is stuck, waiting, or was created.

A message that says "timeout" teaches nothing; "stuck at exercise cell, line 7, in total_stock"
sends the learner to the line to fix. Learner code lives in two kinds of file: the exercise cell
(compiled as ``<exercise cell>``) and, for a *write the tests* exercise, the temporary test module
the cell is written to (``test_answer_<hex>.py``, whose lines are the cell's lines).
"""

from __future__ import annotations

import asyncio
import re
import types
from typing import Any

from course.checker.answer import CELL_FILENAME

_TEST_MODULE = re.compile(r"(^|[/\\])test_answer_[0-9a-f]{12}\.py$")


def is_learner_file(filename: str) -> bool:
    return filename == CELL_FILENAME or bool(_TEST_MODULE.search(filename))


def describe(frame: types.FrameType) -> str:
    """``exercise cell, line 7, in total_stock``; the same wording for the cell and its tests."""
    return f"exercise cell, line {frame.f_lineno}, in {frame.f_code.co_name}"


def innermost_learner_frame(frame: types.FrameType | None) -> types.FrameType | None:
    """The most recent frame of learner code on the stack that ``frame`` is the top of."""
    while frame is not None:
        if is_learner_file(frame.f_code.co_filename):
            return frame
        frame = frame.f_back
    return None


def running_at(frame: types.FrameType | None) -> str:
    """Where the learner's code is running, given the top frame of a thread's stack; "" if not in it.

    When the thread is inside the event loop rather than in learner code (it waits in ``select``),
    the answer is where the loop's tasks are suspended instead.
    """
    found = innermost_learner_frame(frame)
    if found is not None:
        return describe(found)
    loop = loop_on_stack(frame)  # the stack may belong to another thread: find its loop on it
    if loop is not None:
        return next((p for p in (suspended_at(t) for t in asyncio.all_tasks(loop)) if p), "")
    return ""


def loop_on_stack(frame: types.FrameType | None) -> asyncio.AbstractEventLoop | None:
    """The event loop whose method is running on the stack that ``frame`` is the top of, if any."""
    while frame is not None:
        loop = frame.f_locals.get("self")
        if isinstance(loop, asyncio.AbstractEventLoop):
            return loop
        frame = frame.f_back
    return None


def suspended_at(task: asyncio.Task[Any]) -> str:
    """The innermost line of learner code that ``task`` is suspended on, if any."""
    where = ""
    awaitable: Any = task.get_coro()
    while awaitable is not None:
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is not None and is_learner_file(frame.f_code.co_filename):
            where = describe(frame)
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)
    return where
