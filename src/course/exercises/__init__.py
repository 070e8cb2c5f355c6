"""The exercise registry: every exercise of the course, each written once, by chapter.

A chapter's exercises live in ``chNN_<topic>.py`` as a tuple ``EXERCISES``; add a chapter by adding
its module to ``CHAPTER_MODULES``. ``course list`` prints the registry.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from pathlib import Path

from course.exercises.model import MARKER, Check, Exercise, Variant

__all__ = ["MARKER", "Check", "Exercise", "UnknownExercise", "Variant", "all_exercises", "get"]

CHAPTER_MODULES = (
    "course.exercises.ch01_async_basics",
    "course.exercises.ch02_pytest_asyncio",
    "course.exercises.ch03_fixtures",
    "course.exercises.ch06_concurrency",
    "course.exercises.ch04_mocking",
    "course.exercises.ch05_pitfalls",
    "course.exercises.ch07_cancellation",
    "course.exercises.ch08_hypothesis",
    "course.exercises.ch09_integration",
)


class UnknownExercise(LookupError):
    """Raised for an exercise id that is not registered; the message lists the valid ids."""

    def __init__(self, exercise_id: str) -> None:
        valid = ", ".join(e.id for e in all_exercises())
        super().__init__(f"There is no exercise {exercise_id!r}. Valid ids: {valid}.")
        self.exercise_id = exercise_id


@cache
def all_exercises() -> tuple[Exercise, ...]:
    """Every registered exercise, in chapter order. Ids must be unique across the course."""
    unregistered = sorted(
        f"course.exercises.{path.stem}" for path in Path(__file__).parent.glob("ch[0-9][0-9]_*.py")
        if f"course.exercises.{path.stem}" not in CHAPTER_MODULES
    )
    if unregistered:
        raise ValueError(
            f"{', '.join(unregistered)} defines exercises but is not registered: add it to CHAPTER_MODULES in "
            'src/course/exercises/__init__.py (docs/authoring.md, "The files of a chapter")'
        )
    found: list[Exercise] = []
    for name in CHAPTER_MODULES:
        found.extend(import_module(name).EXERCISES)
    found.sort(key=lambda e: e.chapter)  # chapter order, whatever order the modules are listed in
    ids = [e.id for e in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"exercise ids registered twice: {', '.join(duplicates)}")
    return tuple(found)


def get(exercise_id: str) -> Exercise:
    """The exercise with this id, or ``UnknownExercise`` naming the valid ids."""
    for exercise in all_exercises():
        if exercise.id == exercise_id:
            return exercise
    raise UnknownExercise(exercise_id)
