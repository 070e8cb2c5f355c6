"""``course grade``: grade exercise notebooks, one sandboxed process per exercise, in parallel.

For every exercise of a notebook's chapter the grader takes the last cell carrying the exercise's
marker line and checks it exactly as ``check()`` does in the notebook, in a process forked from a warm
supervisor and sandboxed (``course.grade.sandbox``). Learner code never runs in the grader's process.
docs/grading.md is the instructor's guide: formats, exit codes, limits, what the grader trusts.

    grade_class(paths, limits)   a class: submissions, isolation report, timings
    grade_notebook(path, limits) one notebook (``NotebookError`` if it is not an exercise notebook)
    grade_paths(paths, limits)   every notebook below ``paths``, as a flat list
"""

from __future__ import annotations

import atexit
import threading
from pathlib import Path

from course.grade.grader import Grader, GraderError
from course.grade.grading import ClassGrade, NotebookGrade, SubmissionGrade, grade_class
from course.grade.limits import Limits
from course.notebooks import NotebookError, open_exercise_notebook

__all__ = [
    "ClassGrade", "Grader", "GraderError", "Limits", "NotebookError", "NotebookGrade", "SubmissionGrade",
    "grade_class", "grade_notebook", "grade_paths", "shared_grader",
]

_shared: Grader | None = None
_lock = threading.Lock()


def shared_grader() -> Grader:
    """One warm supervisor for the whole process, started on first use: calling ``grade_notebook``
    repeatedly (as tests do) pays the supervisor's start-up once."""
    global _shared
    if _shared is None or _shared._process.poll() is not None:
        _shared = Grader()
        atexit.register(_shared.close)
    return _shared


def grade_notebook(path: Path, limits: Limits = Limits()) -> NotebookGrade:
    """Grade one exercise notebook. ``NotebookError`` if it is not one."""
    open_exercise_notebook(path)  # bad input fails here, before any process starts
    with _lock:
        [submission] = grade_class([path], limits, grader=shared_grader).submissions
    return submission.notebooks[0]


def grade_paths(paths: list[Path], limits: Limits = Limits()) -> list[NotebookGrade]:
    with _lock:
        return grade_class(list(paths), limits, grader=shared_grader).notebooks
