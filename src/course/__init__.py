"""The course toolkit: what a notebook imports (``setup``, ``check``, ``hint``, ``progress``) and the
``course`` command.

Kept import-light on purpose: ``import course`` loads nothing heavy, so the grader and the command
line start fast. The example code that learners test lives in the separate ``catalog`` package.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check", "hint", "progress", "setup"]


def setup(*, quiet: bool = False) -> None:
    """Configure this Jupyter kernel for the course's ``%%ipytest`` cells (see ``course.notebook_setup``)."""
    from course.notebook_setup import setup as _setup

    _setup(quiet=quiet)


def check(exercise_id: str | None = None) -> Any:
    """Check the exercise ``exercise_id`` against the code in this notebook and show the feedback."""
    from course.checker import check_in_notebook

    return check_in_notebook(exercise_id)


def hint(exercise_id: str | None = None) -> Any:
    """The next hint for an exercise: the same tiers as ``check()``, one more each time you ask."""
    from course.checker import _hints
    from course.learner_progress import hint as _hint

    return _hint(exercise_id, _hints.last)


def progress(chapter: int | None = None) -> Any:
    """Every exercise of the course (or of one chapter) as done, attempted or not started, with points."""
    from course.learner_progress import report

    return report(chapter)


__all__ += ["timeline"]


def __getattr__(name: str) -> Any:
    """``course.timeline``: the task timeline picture (``course/timeline.py``), imported on first use.

    ``course.timeline(fetch_all, SKUS)`` draws what the tasks of ``fetch_all(SKUS)`` did; loading the
    module lazily keeps ``import course`` light for the grader and the command line.
    """
    if name == "timeline":
        import importlib

        return importlib.import_module("course.timeline")
    raise AttributeError(f"module 'course' has no attribute {name!r}")
