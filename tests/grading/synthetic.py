"""Build submissions for trying the grader: the course's notebooks with some cells swapped.

The grader's corpus of bad submissions (tests/grading/corpus), the learner attempts
(tests/test_learner_attempts.py) and the throughput benchmark (scripts/benchmark_grading.py) all start
from the committed solutions or exercises and change only what a case is about, so that every other
exercise of the submission shows that it was still graded. Only tests and the benchmark use it, so it
lives here, not in the ``course`` package; it imports nothing from the tests (no conftest, no
fixtures), so a script can import it as ``grading.synthetic`` with tests/ on ``sys.path``.

A change is written as cells in a small text file: cells are separated by lines ``# %%``; a cell
carrying an exercise's marker line replaces that exercise's cell; a cell without one is inserted
after the cell before it (as a learner's helper cell would be).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from course.exercises import MARKER

CELL_SEPARATOR = re.compile(r"^# %%[^\n]*\n", re.MULTILINE)


def split_cells(text: str) -> list[str]:
    return [cell.strip("\n") + "\n" for cell in CELL_SEPARATOR.split(text) if cell.strip()]


def _marker(source: str) -> str | None:
    match = MARKER.search(source)
    return match["id"] if match else None


def _code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source.splitlines(keepends=True)}


def apply_cells(notebook: dict, cells: list[str], *, delete: tuple[str, ...] = ()) -> dict:
    """A copy of ``notebook`` with ``cells`` swapped in and the cells of ``delete`` removed."""
    result = copy.deepcopy(notebook)
    code = result["cells"]
    anchor: int | None = None
    for source in cells:
        exercise = _marker(source)
        if exercise is not None:
            matches = [i for i, c in enumerate(code) if c.get("cell_type") == "code"
                       and _marker("".join(c.get("source", ""))) == exercise]
            if not matches:
                continue  # this notebook does not hold that exercise
            anchor = matches[-1]
            code[anchor] = _code_cell(source)
        elif anchor is not None:
            anchor += 1
            code.insert(anchor, _code_cell(source))
    result["cells"] = [c for c in code if _marker("".join(c.get("source", ""))) not in delete]
    return result


def chapters_of(cells: list[str]) -> set[str]:
    """The chapter numbers ("01") of the exercises the cells replace."""
    return {exercise[:2] for source in cells if (exercise := _marker(source))}


def write_submission(folder: Path, originals: list[Path], cells: list[str] = (), *,
                     delete: tuple[str, ...] = (), replace_files: dict[str, bytes] | None = None) -> Path:
    """Write ``folder`` with a copy of each notebook of ``originals``, changed as asked. A name in
    ``replace_files`` is written as given instead (say, a notebook that is not JSON)."""
    folder.mkdir(parents=True, exist_ok=True)
    replace_files = replace_files or {}
    for original in originals:
        if original.name in replace_files:
            continue
        notebook = json.loads(original.read_text(encoding="utf-8"))
        changed = apply_cells(notebook, list(cells), delete=delete)
        (folder / original.name).write_text(json.dumps(changed, indent=1), encoding="utf-8")
    for name, content in replace_files.items():
        (folder / name).write_bytes(content)
    return folder
