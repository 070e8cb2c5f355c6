"""Read course notebooks and find their exercise cells, with one clear error for anything else."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from course.exercises import MARKER, Exercise, all_exercises

CHAPTER_PREFIX = re.compile(r"^(?P<chapter>\d{2})_")


class NotebookError(Exception):
    """The file cannot be graded; the message says why and what to do, in one line."""


@dataclass(frozen=True)
class ExerciseNotebook:
    path: Path
    cells: list[dict]
    exercises: tuple[Exercise, ...]

    def code_sources(self) -> list[str]:
        return [_source(c) for c in self.cells if c.get("cell_type") == "code"]

    def answer(self, exercise: Exercise) -> str | None:
        """The source of the last code cell carrying the exercise's marker, or None."""
        from course.checker import find_cell

        return find_cell(self.code_sources(), exercise.id)


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def read_cells(path: Path) -> list[dict]:
    """The cells of a notebook file; ``NotebookError`` for anything that is not one."""
    if path.suffix != ".ipynb":
        raise NotebookError(f"{path}: not a notebook (expected a .ipynb file)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotebookError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookError(f"{path}: not a valid notebook (the file is not JSON: {exc})") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise NotebookError(f"{path}: not a valid notebook (no list of cells)")
    return cells


def chapter_exercises(chapter: int) -> tuple[Exercise, ...]:
    return tuple(e for e in all_exercises() if e.chapter == chapter)


def open_exercise_notebook(path: Path) -> ExerciseNotebook:
    """A notebook and the exercises it is graded on: its chapter's, by file name (so a deleted
    exercise cell still counts, as 0), else those whose markers it carries."""
    cells = read_cells(path)
    match = CHAPTER_PREFIX.match(path.name)
    exercises = chapter_exercises(int(match["chapter"])) if match else ()
    if not exercises:
        ids = {m["id"] for c in cells if c.get("cell_type") == "code" for m in MARKER.finditer(_source(c))}
        exercises = tuple(e for e in all_exercises() if e.id in ids)
    if not exercises:
        raise NotebookError(
            f"{path}: not an exercise notebook (no cell has a '# exercise: <id>' line, and the file name "
            "does not start with a chapter number such as 01_)"
        )
    return ExerciseNotebook(path, cells, exercises)
