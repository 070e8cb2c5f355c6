"""The course toolkit: what a notebook imports (``setup``, ``check``) and the ``course`` command.

Kept import-light on purpose: ``import course`` loads nothing heavy, so the grader and the command
line start fast. The example code that learners test lives in the separate ``catalog`` package.
"""

from __future__ import annotations

from typing import Any

__all__ = ["setup", "check"]


def setup(*, quiet: bool = False) -> None:
    """Configure this Jupyter kernel for the course's ``%%ipytest`` cells (see ``course.notebook_setup``)."""
    from course.notebook_setup import setup as _setup

    _setup(quiet=quiet)


def check(exercise_id: str | None = None) -> Any:
    """Check the exercise ``exercise_id`` against the code in this notebook and show the feedback."""
    from course.checker import check_in_notebook

    return check_in_notebook(exercise_id)
