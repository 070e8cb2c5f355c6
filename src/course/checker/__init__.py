"""``check``: run one exercise's checks against a learner's cell and explain the result.

``check_source`` is the one entry point; ``check()`` in a notebook and ``course grade`` both call
it, so instant feedback always predicts the grade.
"""

from __future__ import annotations

from collections import Counter

from course.checker.answer import AnswerProblem, load_answer, without_cell_magic
from course.checker.code_checks import check_code
from course.checker.guard import run_guarded
from course.checker.feedback import Feedback
from course.checker.learner_tests import check_tests
from course.checker.results import ExerciseResult
from course.exercises import MARKER, Exercise, UnknownExercise, get

__all__ = ["check_source", "check_in_notebook", "find_cell", "ExerciseResult", "Feedback"]

_attempts: Counter[str] = Counter()

LOAD_TIME_LIMIT = 5.0


def find_cell(sources: list[str], exercise_id: str) -> str | None:
    """The last of ``sources`` that carries the exercise's marker line, or None."""
    for source in reversed(sources):
        if any(m.group("id") == exercise_id for m in MARKER.finditer(source)):
            return source
    return None


def check_source(exercise: Exercise, source: str, *, in_thread: bool = False) -> ExerciseResult:
    """Check the source of an exercise cell. Never raises for anything the learner wrote."""
    source = without_cell_magic(source)
    if exercise.kind == "tests":
        return check_tests(exercise, source, in_thread=in_thread)
    result = ExerciseResult.start(exercise)
    box: list = []

    def load() -> None:
        box.append(load_answer(source, exercise.id))

    finished, error = run_guarded(load, LOAD_TIME_LIMIT)
    error = error if isinstance(error, BaseException) else None
    if not finished:
        result.problem = (
            f"Running the exercise cell took more than {LOAD_TIME_LIMIT:g} s. Does it run a loop or a "
            "long computation at the top level? Define functions in the cell; do not call them there."
        )
        return result
    if isinstance(error, AnswerProblem):
        result.problem = str(error)
        return result
    if error is not None:  # pragma: no cover - load_answer turns learner errors into AnswerProblem
        raise error
    return check_code(exercise, box[0])


def _history() -> list[str]:
    from course.notebook_setup import EXECUTED_CELLS

    return list(EXECUTED_CELLS)


def check_in_notebook(exercise_id: str) -> Feedback:
    """``course.check("01-...")`` in a notebook: check the latest run of the exercise's cell."""
    try:
        exercise = get(exercise_id)
    except UnknownExercise as exc:
        return Feedback(ExerciseResult(exercise_id, "unknown exercise", "", 0.0, 0.0, problem=str(exc)))
    source = find_cell(_history()[:-1], exercise_id)  # [:-1]: not this very cell
    if source is None:
        result = ExerciseResult.start(exercise)
        result.problem = (
            f"Run the exercise cell first: the one with the line `# exercise: {exercise_id}`. "
            "If you deleted that line, put it back at the top of your answer cell. "
            "(Cells run before `course.setup()` are not seen: run the set-up cell, then your answer.)"
        )
        return Feedback(result)
    result = check_source(exercise, source, in_thread=True)
    if result.status != "passed":
        _attempts[exercise_id] += 1
        result.hint = exercise.hints[min(_attempts[exercise_id], len(exercise.hints)) - 1]
    return Feedback(result)
