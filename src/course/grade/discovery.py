"""Discovery: find what to grade, and whose it is: a notebook, a folder of notebooks, or a class.

A class's submissions are laid out as ``<submissions>/<student>/<exercise notebook>.ipynb``: the student
is the name of the folder right below the one given (notebooks deeper down count for that student).
Notebooks directly in a given folder are one submission, named after that folder; a notebook given by
name belongs to the folder it is in. Jupyter's ``.ipynb_checkpoints`` copies are never graded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from course.notebooks import NotebookError


@dataclass
class Submission:
    student: str
    folder: Path
    notebooks: list[Path] = field(default_factory=list)
    named: set[Path] = field(default_factory=set)  # given by file name: if unreadable, bad input, not a 0
    cohort: Path | None = None  # the class folder it is a student folder of, if any


def _notebooks_below(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.relative_to(folder).parts)


def discover(paths: list[Path]) -> list[Submission]:
    """Every submission under ``paths``, in a stable order. ``NotebookError`` for a path that does
    not exist, a file that is not a notebook, or a folder without notebooks."""
    found: dict[Path, Submission] = {}

    def add(folder: Path, notebook: Path, *, named: bool = False, cohort: Path | None = None) -> None:
        key = folder.resolve()
        submission = found.setdefault(key, Submission(folder.resolve().name or str(folder), folder, cohort=cohort))
        if notebook not in submission.notebooks:
            submission.notebooks.append(notebook)
        if named:
            submission.named.add(notebook)

    for path in paths:
        if path.is_dir():
            notebooks = _notebooks_below(path)
            if not notebooks:
                raise NotebookError(f"{path}: no notebooks found (expected .ipynb files, or one folder per student)")
            for notebook in notebooks:
                relative = notebook.relative_to(path)
                if len(relative.parts) == 1:
                    add(path, notebook)
                else:
                    add(path / relative.parts[0], notebook, cohort=path)
        elif path.suffix != ".ipynb":
            raise NotebookError(
                f"{path}: not a notebook (expected a .ipynb file)" if path.exists() else f"{path}: no such file"
            )
        elif not path.is_file():
            raise NotebookError(f"{path}: no such file")
        else:
            add(path.parent, path, named=True)
    submissions = sorted(found.values(), key=lambda s: str(s.folder))
    names = [s.student for s in submissions]
    for submission in submissions:  # two folders with one name (a/alice, b/alice): show the paths
        if names.count(submission.student) > 1:
            submission.student = str(submission.folder)
    return submissions
