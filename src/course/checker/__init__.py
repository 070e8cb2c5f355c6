"""``check``: run one exercise's checks against a learner's cell and explain the result.

``check_source`` is the one entry point; ``check()`` in a notebook and ``course grade`` both call
it, so instant feedback always predicts the grade.
"""

from __future__ import annotations

import re

from course.checker.answer import AnswerProblem, load_answer, without_cell_magic
from course.checker.code_checks import check_code
from course.checker.feedback import Feedback
from course.checker.guard import run_guarded
from course.checker.hints import HintState
from course.checker.learner_tests import check_tests
from course.checker.lints import late_binding_closures
from course.checker.results import ExerciseResult
from course.exercises import MARKER, Exercise, UnknownExercise, get
from course.limits import LOAD_SECONDS

__all__ = ["ExerciseResult", "Feedback", "check_in_notebook", "check_source", "find_cell"]

_hints = HintState()

_CHECK_CALL = re.compile(r"^\s*course\.check\(", re.MULTILINE)


def find_cell(sources: list[str], exercise_id: str) -> str | None:
    """The last of ``sources`` that carries the exercise's marker line, or None."""
    for source in reversed(sources):
        if any(m.group("id") == exercise_id for m in MARKER.finditer(source)):
            return source
    return None


def check_source(exercise: Exercise, source: str, *, in_thread: bool = False) -> ExerciseResult:
    """Check the source of an exercise cell. Never raises for anything the learner wrote."""
    source = without_cell_magic(source)
    if _CHECK_CALL.search(source):
        return ExerciseResult.start(exercise).cannot_check("misplaced-check", (
            'The answer cell calls `course.check(...)`. Move it to a cell of its own, below the answer cell: '
            "the answer cell is checked on its own, where `course` is not defined."
        ))
    if exercise.kind == "tests":
        return check_tests(exercise, source, in_thread=in_thread)
    result = ExerciseResult.start(exercise)
    box: list = []

    def load() -> None:
        box.append(load_answer(source, exercise.id))

    finished, error = run_guarded(load, LOAD_SECONDS)
    error = error if isinstance(error, BaseException) else None
    if not finished:
        return result.cannot_check("load-hang", (
            f"Running the exercise cell took more than {LOAD_SECONDS:g} s. Does it run a loop or a "
            "long computation at the top level? Define functions in the cell; do not call them there."
        ))
    if isinstance(error, AnswerProblem):
        return result.cannot_check(error.kind, str(error))
    if error is not None:  # pragma: no cover - load_answer turns learner errors into AnswerProblem
        raise error
    return _with_notes(check_code(exercise, box[0]), source)


def _with_notes(result: ExerciseResult, source: str) -> ExerciseResult:
    """Add to each failed check what the source shows that may explain it (``course.checker.lints``)."""
    notes = " ".join(b.note() for b in late_binding_closures(source))
    if notes:
        for finding in result.findings:
            if not finding.passed:
                finding.message = f"{finding.message} {notes}".strip()
    return result


def _history() -> list[str]:
    from course.notebook_setup import EXECUTED_CELLS

    return list(EXECUTED_CELLS)


def _unchecked(exercise_id: str, problem: str, kind: str = "unknown-exercise") -> Feedback:
    return Feedback(ExerciseResult(exercise_id, "cannot check", "", 0.0, 0.0, problem=problem, problem_kind=kind))


def ids_in(sources: list[str]) -> list[str]:
    """The exercise ids whose marker lines appear in ``sources``, in order, once each."""
    return list(dict.fromkeys(m.group("id") for s in sources for m in MARKER.finditer(s)))


def check_in_notebook(exercise_id: object = None) -> Feedback:
    """``course.check("01-...")`` in a notebook: check the latest run of the exercise's cell."""
    history = _history()
    if not isinstance(exercise_id, str) or not exercise_id.strip():
        seen = ids_in(history)
        example = seen[-1] if seen else "01-forgotten-await"
        return _unchecked(str(exercise_id or ""), (
            f'Say which exercise to check, in quotes: course.check("{example}").'
            + (f" Exercises in this notebook so far: {', '.join(seen)}." if seen else "")
        ))
    exercise_id = exercise_id.strip()
    try:
        exercise = get(exercise_id)
    except UnknownExercise as exc:
        return _unchecked(exercise_id, str(exc))
    if history and exercise_id in ids_in(history[-1:]):
        return _unchecked(exercise_id, (
            f'`course.check("{exercise_id}")` is inside the answer cell. Put it in a cell of its own, below '
            "the answer cell: the check runs your answer cell on its own, and then `course` is not defined there."
        ), "misplaced-check")
    source = find_cell(history[:-1], exercise_id)  # [:-1]: not this very cell
    if source is None:
        result = ExerciseResult.start(exercise)
        return Feedback(result.cannot_check("no-cell", (
            f"Run the exercise cell first: the one with the line `# exercise: {exercise_id}`. "
            "If you deleted that line, put it back at the top of your answer cell. "
            "(Cells run before `course.setup()` are not seen: run the set-up cell, then your answer.)"
        )))
    result = check_source(exercise, source, in_thread=True)
    result.hint = _hints.next_hint(exercise, result)
    from course.learner_progress import record  # the progress file (course.progress()); never raises

    return Feedback(result, attempts=record(result, _hints.last.get(exercise.id)))
