"""Planning: turn submissions into sandbox jobs, and decide what needs no sandbox at all.

Every exercise of every notebook is one slot: a ``Job`` (its cell, to check in a sandbox) or a verdict
decided here without running anything (``course.grade.outcomes``): an exercise cell that is missing, a
notebook that cannot be read (its chapter's exercises score 0 and the student's other notebooks are
graded as usual), a chapter the student did not submit although others in the class did.

Which exercises a notebook is graded on follows from its file name (``01_...`` is chapter 1), so a
deleted exercise cell still counts, as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from course.checker.results import ExerciseResult
from course.grade import outcomes
from course.grade.discovery import Submission
from course.grade.pool import Job
from course.limits import Limits
from course.notebooks import CHAPTER_PREFIX, NotebookError, chapter_exercises, open_exercise_notebook

Slot = ExerciseResult | Job
"""One exercise of one notebook: decided already, or to be checked in a sandbox."""


@dataclass
class Plan:
    """One submission's slots, notebook by notebook, and the files that are not exercise notebooks."""

    submission: Submission
    notebooks: dict[Path, list[Slot]]
    skipped: list[str]

    def jobs(self) -> list[Job]:
        return [slot for slots in self.notebooks.values() for slot in slots if isinstance(slot, Job)]


def plan(submissions: list[Submission], limits: Limits, only: str | None = None) -> list[Plan]:
    """The plan of every submission (``only``: one exercise id). ``NotebookError`` for a notebook
    named on the command line that cannot be graded."""
    plans = []
    for submission in submissions:
        planned: dict[Path, list[Slot]] = {}
        skipped: list[str] = []
        for path in submission.notebooks:
            slots = _plan_notebook(path, submission, limits, only)
            if isinstance(slots, str):
                skipped.append(slots)
            else:
                planned[path] = slots
        plans.append(Plan(submission, planned, skipped))
    for one in plans:  # in a class folder, a chapter someone submitted is due from all
        if one.submission.cohort is not None:
            chapters = {c for other in plans if other.submission.cohort == one.submission.cohort
                        for p in other.notebooks if (c := _chapter(p)) is not None}
            one.notebooks.update(_missing_chapters(one, chapters, only))
    return plans


def _chapter(path: Path) -> int | None:
    match = CHAPTER_PREFIX.match(path.name)
    return int(match["chapter"]) if match else None


def _plan_notebook(path: Path, submission: Submission, limits: Limits, only: str | None) -> list[Slot] | str:
    """The slots of one notebook's exercises, or why it was skipped."""
    try:
        notebook = open_exercise_notebook(path)
    except NotebookError as exc:
        if path in submission.named:
            raise
        reason = str(exc).split(": ", 1)[-1]  # the message without its path: shown to the learner, decides nothing
        chapter = _chapter(path)
        if chapter is None or not chapter_exercises(chapter):
            return f"{path.name}: skipped, {reason}"
        return [outcomes.unreadable(e, reason) for e in chapter_exercises(chapter) if only in (None, e.id)]
    slots: list[Slot] = []
    for exercise in notebook.exercises:
        if only not in (None, exercise.id):
            continue
        source = notebook.answer(exercise)
        slots.append(
            outcomes.missing_cell(exercise) if source is None else Job((path, exercise.id), exercise.id, source, limits)
        )
    return slots


def _missing_chapters(one: Plan, chapters: set[int], only: str | None):
    have = {_chapter(p) for p in one.notebooks}
    for chapter in sorted(chapters - have):
        slots = [outcomes.missing_notebook(e) for e in chapter_exercises(chapter) if only in (None, e.id)]
        if slots:
            yield one.submission.folder / f"{chapter:02d}_*.ipynb", slots
