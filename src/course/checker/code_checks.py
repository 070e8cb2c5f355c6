"""Check a *write async code* exercise: run each of its checks against the learner's answer."""

from __future__ import annotations

import gc
import inspect
import re
import threading
import warnings
from typing import Any

from course.checker import virtual_time
from course.checker.answer import Answer, AnswerProblem, describe_exception
from course.checker.results import ExerciseResult, Finding, round_score
from course.exercises import Exercise

REAL_TIME_LIMIT = 5.0
"""Seconds of wall-clock time one check may take. Checks run on virtual time and take milliseconds;
only code that blocks the event loop (``time.sleep``, a busy loop) comes near this."""


def run_check(check_run: Any, answer: Answer) -> None:
    """Run one check, on virtual time if it is async."""
    if inspect.iscoroutinefunction(check_run):
        virtual_time.run(lambda: check_run(answer))
    else:
        check_run(answer)


NEVER_AWAITED = re.compile(r"coroutine '([^']+)' was never awaited")


def outcome_of(check_run: Any, answer: Answer) -> str | None:
    """Run one check; None if it passed, else the message for the learner.

    Python reports a coroutine that was never awaited with a RuntimeWarning when the coroutine is
    garbage-collected, which in a notebook prints a red block under some later cell. Here the
    warning is caught while the check runs, the garbage is collected before the check ends, and
    the warning becomes part of the feedback: it names the call that is missing its ``await``.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run_check(check_run, answer)
            message = None
        except (AssertionError, AnswerProblem, virtual_time.Stuck) as exc:
            message = str(exc) or "The check's assertion failed."
        except BaseException as exc:  # noqa: BLE001 - learner code may raise anything, SystemExit too
            message = f"Your code raised {describe_exception(exc)}."
        # The exception (and its traceback's frames, holding any unawaited coroutine) is gone now.
        gc.collect()
    unawaited = sorted({m[1] for w in caught if (m := NEVER_AWAITED.search(str(w.message)))})
    if unawaited:
        names = ", ".join(f"`{name}`" for name in unawaited)
        advice = f"coroutine {names} was never awaited: put `await` before that call."
        message = f"{message} {advice}" if message else advice.capitalize()
    return message


def _in_thread(func: Any, limit: float) -> tuple[bool, Any]:
    """Run ``func`` in a daemon thread; (finished, what it returned or raised). A thread that never
    finishes is left behind: Python cannot kill it, but the kernel (or the grader's sandbox) can."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(func())
        except BaseException as exc:  # noqa: BLE001 - learner code may raise anything, SystemExit too
            outcome.append(exc)

    thread = threading.Thread(target=target, name="course-check", daemon=True)
    thread.start()
    thread.join(limit)
    return (not thread.is_alive(), outcome[0] if outcome else None)


def check_code(exercise: Exercise, answer: Answer, *, real_time_limit: float = REAL_TIME_LIMIT) -> ExerciseResult:
    result = ExerciseResult(exercise.id, exercise.title, exercise.kind, 0.0, float(exercise.points))
    for name in exercise.requires:
        if name not in answer.namespace:
            result.problem = (
                f"Define `{name}` in the cell marked `# exercise: {exercise.id}`, run that cell, then check again."
            )
            return result
    total = sum(c.points for c in exercise.checks)
    earned = 0
    for check in exercise.checks:
        finished, message = _in_thread(lambda c=check: outcome_of(c.run, answer), real_time_limit)
        if not finished:
            message = (
                f"Still running after {real_time_limit:g} s of real time. Something blocks the event loop: "
                "`time.sleep` instead of `await asyncio.sleep`, or a loop that never awaits."
            )
        passed = finished and message is None
        earned += check.points if passed else 0
        result.findings.append(
            Finding(check.description, passed, message or "", float(check.points if passed else 0), float(check.points))
        )
    result.score = round_score(exercise.points * earned / total)
    return result
