"""Grade a class: turn submissions into sandbox jobs, run them in parallel, put the results together.

Every exercise of every notebook is one job. What can be decided without running anything is decided
here: an exercise cell that is missing, a notebook that cannot be read (its chapter's exercises score
0 and the student's other notebooks are graded as usual), a chapter the student did not submit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from course.checker.results import ExerciseResult, round_score
from course.exercises import Exercise
from course.grade import outcomes
from course.grade.grader import Done, Grader, Job
from course.grade.limits import Limits
from course.grade.submissions import Submission, discover
from course.notebooks import CHAPTER_PREFIX, NotebookError, chapter_exercises, open_exercise_notebook


class _Totals:
    """Score and maximum summed over ``results`` (each class says which results count)."""

    results: list[ExerciseResult]

    @property
    def score(self) -> float:
        return round_score(sum(r.score for r in self.results))

    @property
    def max_score(self) -> float:
        return round_score(sum(r.max_score for r in self.results))


@dataclass
class NotebookGrade(_Totals):
    path: Path
    results: list[ExerciseResult] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "score": self.score,
            "max_score": self.max_score,
            "exercises": [r.to_dict() for r in self.results],
        }


@dataclass
class SubmissionGrade(_Totals):
    student: str
    folder: Path
    notebooks: list[NotebookGrade] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files that are not exercise notebooks

    @property
    def results(self) -> list[ExerciseResult]:
        """One result per exercise. A student who handed in two copies of a notebook (say
        ``01_async_basics (1).ipynb``) has both graded and listed; each exercise counts once, at its best."""
        best: dict[str, ExerciseResult] = {}
        for result in (r for n in self.notebooks for r in n.results):
            if result.exercise_id not in best or result.score > best[result.exercise_id].score:
                best[result.exercise_id] = result
        return list(best.values())

    def to_dict(self) -> dict:
        return {
            "student": self.student,
            "folder": str(self.folder),
            "score": self.score,
            "max_score": self.max_score,
            "notebooks": [n.to_dict() for n in self.notebooks],
            "skipped": self.skipped,
        }


@dataclass
class ClassGrade:
    submissions: list[SubmissionGrade]
    limits: Limits
    isolation: dict
    jobs: int
    seconds: float  # wall clock for the whole run, supervisor start-up included
    sandboxes: list[Done] = field(default_factory=list, repr=False)

    @property
    def notebooks(self) -> list[NotebookGrade]:
        return [n for s in self.submissions for n in s.notebooks]


Slot = ExerciseResult | Job  # decided already, or to be graded


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
        reason = str(exc).split(": ", 1)[-1]
        chapter = _chapter(path)
        if chapter is None or not chapter_exercises(chapter):
            return f"{path.name}: skipped, {reason}"
        return [outcomes.unreadable(e, reason) for e in chapter_exercises(chapter) if only in (None, e.id)]
    slots: list[Slot] = []
    for exercise in notebook.exercises:
        if only not in (None, exercise.id):
            continue
        source = notebook.answer(exercise)
        slots.append(outcomes.missing_cell(exercise) if source is None else Job((path, exercise.id), exercise.id, source, limits))
    return slots


def _missing_chapters(submission: Submission, planned: dict[Path, list[Slot]], chapters: set[int], only: str | None):
    have = {_chapter(p) for p in planned}
    for chapter in sorted(chapters - have):
        exercises: tuple[Exercise, ...] = chapter_exercises(chapter)
        slots = [outcomes.missing_notebook(e) for e in exercises if only in (None, e.id)]
        if slots:
            yield submission.folder / f"{chapter:02d}_*.ipynb", slots


def grade_class(
    paths: list[Path],
    limits: Limits = Limits(),
    *,
    jobs: int | None = None,
    only: str | None = None,
    grader: Callable[[], Grader] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ClassGrade:
    """Grade everything under ``paths``. ``NotebookError`` for bad input (see ``discover``, and a
    notebook given by name that cannot be graded); a bad notebook inside a folder scores 0 instead.

    ``grader`` returns the supervisor to use (``course.grade.shared_grader`` keeps one warm across
    calls); by default a new one is started with ``jobs`` sandboxes and closed at the end. It is asked
    for only once the input is known to be good."""
    start = time.perf_counter()
    submissions = discover(paths)
    plans: list[tuple[Submission, dict[Path, list[Slot]], list[str]]] = []
    for submission in submissions:
        planned: dict[Path, list[Slot]] = {}
        skipped: list[str] = []
        for path in submission.notebooks:
            slots = _plan_notebook(path, submission, limits, only)
            if isinstance(slots, str):
                skipped.append(slots)
            else:
                planned[path] = slots
        plans.append((submission, planned, skipped))
    for submission, planned, _ in plans:  # in a class folder, a chapter someone submitted is due from all
        if submission.cohort is not None:
            chapters = {c for other, theirs, _ in plans if other.cohort == submission.cohort
                        for p in theirs if (c := _chapter(p)) is not None}
            planned.update(_missing_chapters(submission, planned, chapters, only))

    work = [slot for _, planned, _ in plans for slots in planned.values() for slot in slots if isinstance(slot, Job)]
    own = grader is None
    supervisor = Grader(jobs) if grader is None else grader()
    try:
        total = len(work)
        counter = iter(range(1, total + 1))
        done = supervisor.run(work, on_done=(lambda _: on_progress(next(counter), total)) if on_progress else None)
    finally:
        if own:
            supervisor.close()
    graded = {d.job.key: d.result for d in done}

    grades = []
    for submission, planned, skipped in plans:
        notebooks = [
            NotebookGrade(path, [graded[s.key] if isinstance(s, Job) else s for s in slots])
            for path, slots in planned.items()
        ]
        grades.append(SubmissionGrade(submission.student, submission.folder, notebooks, skipped))
    return ClassGrade(grades, limits, supervisor.isolation, supervisor.jobs, time.perf_counter() - start, done)
