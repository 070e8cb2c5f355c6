"""Accept a result from the sandbox only if the registry agrees with its score.

The sandbox reports findings (which check passed, which bug was caught) and a score. The supervisor
recomputes the score from the findings and the exercise's registry entry (check descriptions and
their points, chaff names); a record that claims anything else is not a result of the checks.
"""

from __future__ import annotations

from course.checker.results import ExerciseResult, round_score
from course.exercises import Exercise


def expected_score(exercise: Exercise, result: ExerciseResult) -> float:
    passed = {f.name for f in result.findings if f.passed}
    if exercise.kind == "code":
        total = sum(c.points for c in exercise.checks)
        earned = sum(c.points for c in exercise.checks if c.description in passed)
    else:
        total = len(exercise.chaffs)
        earned = sum(1 for c in exercise.chaffs if f"bug: {c.name}" in passed)
    return round_score(exercise.points * earned / total)


def verified(exercise: Exercise, data: dict) -> ExerciseResult | None:
    """The result, if it is well formed, for this exercise, and scored as the registry says; else None."""
    try:
        result = ExerciseResult.from_dict(data)
    except (TypeError, ValueError, AttributeError):
        return None
    if (result.exercise_id, result.kind, result.max_score) != (exercise.id, exercise.kind, float(exercise.points)):
        return None
    if not isinstance(result.score, (int, float)) or result.score != expected_score(exercise, result):
        return None
    return result
