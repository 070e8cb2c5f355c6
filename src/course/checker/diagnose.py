"""Say what went wrong in a failed learner test, in the learner's words, and whose fault it is.

pytest reports a test's failure as an exception. With warnings as errors, many of those exceptions are
warnings, and three cases must not be confused:

* a **coroutine never awaited** in the test (chapter 1's headline mistake): Python reports it while
  collecting garbage, pytest wraps that in ``PytestUnraisableExceptionWarning`` with memory addresses
  and tracemalloc advice. The learner needs the coroutine's name, the test's line and "add await";
  the learner-test session records where each coroutine was created
  (``sys.set_coroutine_origin_tracking_depth``), so the line is known;
* a warning **raised by the learner's own code** (a deprecated call in the test): the test's fault;
* a warning raised **by the course's or a library's code**, with no learner code calling it (a
  dependency's deprecation on a newer Python): not the learner's fault. ``Failure.blame`` is then
  ``"course"``, and the grader reports its own fault instead of blaming the test.
"""

from __future__ import annotations

import inspect
import re
import types
from dataclasses import dataclass
from typing import Literal

import pytest

from course.checker.hygiene import NEVER_AWAITED
from course.checker.locate import describe, is_learner_file

Blame = Literal["test", "course"]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_CREATED_AT = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)')

ORIGIN_DEPTH = 32
"""Frames of the creation stack recorded for every coroutine in a learner-test session."""


@dataclass(frozen=True)
class Failure:
    """One failed run of one learner test."""

    message: str
    blame: Blame = "test"
    where: str = ""


def diagnose(exc: BaseException) -> Failure:
    """The failure ``exc`` (raised by or around a learner's test) as the learner should read it."""
    cause = exc.__cause__
    if isinstance(exc, pytest.PytestUnraisableExceptionWarning) and cause is not None:
        found = NEVER_AWAITED.search(str(cause))
        if found:
            where = _learner_line_in(str(cause))
            at = f" at {where}" if where else ""
            return Failure(
                f"coroutine `{found[1]}` was never awaited{at}: the call made a coroutine object, which "
                "never ran. Put `await` before the call.",
                "test", where,
            )
        return Failure(
            f"{type(cause).__name__}: {_ADDRESS.sub('', str(cause).splitlines()[0] if str(cause) else '')} "
            "(Python reported it while cleaning up after the test; warnings are errors in this course)",
            "test",
        )
    if isinstance(exc, Warning):
        frames = _frames(exc.__traceback__)
        text = f"{type(exc).__name__}: {_ADDRESS.sub('', str(exc))}"
        # warnings.warn is written in C: the innermost frame is the warning function, and the
        # warning is about its caller (stacklevel 2, the usual choice). Either being the learner's
        # makes it the test's warning.
        if any(is_learner_file(f.f_code.co_filename) for f in frames[-2:]):
            where = next(describe(f) for f in reversed(frames) if is_learner_file(f.f_code.co_filename))
            return Failure(f"{text} (at {where}; warnings are errors in this course: fix what it warns about)",
                           "test", where)
        origin = frames[-1].f_globals.get("__name__", "?") if frames else "?"
        return Failure(f"{text} (raised inside `{origin}`, not by your test)", "course", origin)
    advice = async_advice(exc)
    text = _ADDRESS.sub("", _exconly(exc))
    return Failure(f"{text}.{advice}" if advice else text)


_NOT_AWAITABLE = re.compile(
    r"object (?P<old>\S+) can't be used in 'await' expression"  # Python 3.11 and 3.12
    r"|'(?P<new>[^']+)' object can't be awaited"  # 3.13 and later
)


def async_advice(exc: BaseException) -> str:
    """What a ``TypeError`` from asyncio means in the learner's words: something sync where an
    awaitable was needed; or an ``AttributeError`` asked of a coroutine object, an awaitable where a
    result was needed (``product.stock`` where ``product = client.get_product(sku)`` lacks its
    ``await``). "" for any other exception. Used for learner code and learner tests alike."""
    if isinstance(exc, AttributeError) and inspect.iscoroutine(getattr(exc, "obj", None)):
        return " That object is a coroutine: a call to an `async def` function is missing its `await`."
    if not isinstance(exc, TypeError):
        return ""
    text = str(exc)
    found = _NOT_AWAITABLE.search(text)
    if found:
        kind = found["old"] or found["new"]
        return (
            f" `await` was given a plain `{kind}`, not a coroutine: the function that made it is a plain `def` "
            "(or its result was awaited already). Make that function `async def`, or do not await its result."
        )
    if text.startswith("a coroutine was expected, got"):
        return (" `asyncio.create_task()` and `asyncio.run()` need a coroutine: call the `async def` function, "
                "`fetch()`, and pass what the call returns.")
    if "An asyncio.Future, a coroutine or an awaitable is required" in text:
        return (" `asyncio.gather()` (or `wait_for()`) was given something that cannot be awaited: pass "
                "coroutines, `fetch()` from an `async def fetch`, not the function `fetch` or a plain value.")
    return ""


def _frames(tb: types.TracebackType | None) -> list[types.FrameType]:
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def _learner_line_in(text: str) -> str:
    """The innermost learner line of a "Coroutine created at" stack printed in ``text``."""
    found = [m for m in _CREATED_AT.finditer(text) if is_learner_file(m["file"])]
    if not found:
        return ""
    last = found[-1]
    return f"exercise cell, line {last['line']}, in {last['function']}"


def _exconly(exc: BaseException) -> str:
    return pytest.ExceptionInfo.from_exception(exc).exconly()
