"""Check a *write async code* exercise: run each of its checks against the learner's answer."""

from __future__ import annotations

import gc
import inspect
import warnings
from dataclasses import dataclass
from typing import Any

from course.checker import hygiene, virtual_time
from course.checker.answer import Answer, AnswerProblem, describe_exception
from course.checker.diagnose import async_advice
from course.checker.frozen_heap import frozen_heap
from course.checker.guard import Hang, hang_advice, run_guarded
from course.checker.results import ExerciseResult, Finding
from course.exercises import Exercise
from course.limits import CHECK_SECONDS, exercise_score


def run_check(check_run: Any, answer: Answer) -> None:
    """Run one check, on virtual time if it is async."""
    if inspect.iscoroutinefunction(check_run):
        virtual_time.run(lambda: check_run(answer))
    else:
        check_run(answer)


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str = ""
    raised: str = ""  # the type of the exception the learner's code raised, if it raised one
    stuck: bool = False  # stopped as a loop that never ends (``virtual_time.Spinning``): later checks would spin too


def outcome_of(check_run: Any, answer: Answer) -> Outcome:
    """Run one check and say whether it passed, and what to tell the learner.

    Python reports async mistakes late: a coroutine that was never awaited warns when it is
    garbage-collected, which in a notebook prints a red block under some later cell. Here warnings
    are caught while the check runs, the garbage is collected before the check ends, and every
    hygiene mistake (``course.checker.hygiene``) becomes part of this check's feedback, with its
    scoring rule: some fail the check, some are warnings that cost nothing.
    """
    with warnings.catch_warnings(record=True) as caught, hygiene.observe() as observer:
        warnings.simplefilter("always")
        try:
            run_check(check_run, answer)
            message, raised, stuck = "", "", False
        except (AssertionError, AnswerProblem, virtual_time.Stuck) as exc:
            message, raised = str(exc) or "The check's assertion failed.", ""
            stuck = isinstance(exc, virtual_time.Spinning)
        except BaseException as exc:  # noqa: BLE001 - learner code may raise anything, SystemExit too
            message, raised, stuck = (
                f"Your code raised {describe_exception(exc)}.{_advice_for(exc)}",
                _kind_of(exc),
                False,
            )
        # The exception (and its traceback's frames, holding any unawaited coroutine) is gone now.
        gc.collect()
        observer.finish(caught)
    passed = not message and not any(m.fails_check for m in observer.mistakes)
    notes = " ".join(m.message[0].upper() + m.message[1:] for m in observer.mistakes)
    return Outcome(passed, f"{message} {notes}".strip(), raised, stuck)


def _kind_of(exc: BaseException) -> str:
    """The exception's type name, or "forgotten-await" for an attribute asked of a coroutine object
    (``product.stock`` where ``product = client.get_product(sku)`` lacks its ``await``)."""
    if isinstance(exc, AttributeError) and inspect.iscoroutine(getattr(exc, "obj", None)):
        return "forgotten-await"
    return type(exc).__name__


def _advice_for(exc: BaseException) -> str:
    if async_advice(exc):
        return async_advice(exc)
    if isinstance(exc, NameError):
        return (
            " Each exercise cell is checked on its own, top to bottom: define or import everything it "
            "uses inside that cell (a name defined in another cell, or later, does not count)."
        )
    return ""


def check_code(exercise: Exercise, answer: Answer, *, real_time_limit: float = CHECK_SECONDS) -> ExerciseResult:
    # Each check ends with a full garbage collection (``outcome_of``), and code that polls collects
    # often. Frozen, the heap that was here before the checks is skipped: a collection costs what it
    # costs in a kernel after ``course.setup()`` (which froze it) or in a fresh sandbox, however much
    # the process held, so the real-time limit means the same everywhere.
    with frozen_heap():
        return _check_code(exercise, answer, real_time_limit)


def _check_code(exercise: Exercise, answer: Answer, real_time_limit: float) -> ExerciseResult:
    result = ExerciseResult.start(exercise)
    for name in exercise.requires:
        if name not in answer.namespace:
            return result.cannot_check("missing-name", (
                f"Define `{name}` in the cell marked `# exercise: {exercise.id}`, run that cell, then check again."
            ))
    total = sum(c.points for c in exercise.checks)
    earned = 0
    hung = False
    for check in exercise.checks:
        if hung:  # the next check would most likely hang too: one wait is enough
            result.findings.append(
                Finding(
                    check.description,
                    False,
                    "Not checked: a check above got stuck. Fix that first.",
                    0.0,
                    float(check.points),
                )
            )
            continue
        limit = real_time_limit * check.time_scale
        finished, outcome = run_guarded(lambda c=check: outcome_of(c.run, answer), limit)
        hung = hung or (finished and isinstance(outcome, Outcome) and outcome.stuck)
        if not finished:
            hung = True
            hang = outcome if isinstance(outcome, Hang) else Hang(limit)
            outcome = Outcome(
                False, f"Still running after {hang.seconds:g} s of real time{hang.at}. {hang_advice(hang)}"
            )
        earned += check.points if outcome.passed else 0
        result.findings.append(Finding(
            check.description, outcome.passed, outcome.message,
            float(check.points if outcome.passed else 0), float(check.points), outcome.raised,
        ))
    result.score = exercise_score(exercise.points, earned, total)
    return result
