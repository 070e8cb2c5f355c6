"""Check a *write async code* exercise: run each of its checks against the learner's answer."""

from __future__ import annotations

import inspect
import threading
from typing import Any

from course.check import virtual_time
from course.check.answer import Answer, AnswerProblem, describe_exception
from course.check.results import ExerciseResult, Finding, round_score
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


def _in_thread(func: Any, limit: float) -> tuple[bool, BaseException | None]:
    """Run ``func`` in a daemon thread; (finished, exception). A thread that never finishes is left
    behind: Python cannot kill it, but the learner's kernel (or the grader's sandbox) can."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            func()
            outcome.append(None)
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
        finished, error = _in_thread(lambda c=check: run_check(c.run, answer), real_time_limit)
        if not finished:
            message = (
                f"Still running after {real_time_limit:g} s of real time. Something blocks the event loop: "
                "`time.sleep` instead of `await asyncio.sleep`, or a loop that never awaits."
            )
        elif error is None:
            message = ""
        elif isinstance(error, (AssertionError, AnswerProblem, virtual_time.Stuck)):
            message = str(error) or "The check's assertion failed."
        else:
            message = f"Your code raised {describe_exception(error)}."
        passed = finished and error is None
        earned += check.points if passed else 0
        result.findings.append(
            Finding(check.description, passed, message, float(check.points if passed else 0), float(check.points))
        )
    result.score = round_score(exercise.points * earned / total)
    return result
