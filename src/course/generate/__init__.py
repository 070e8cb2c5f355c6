"""``course generate``: write ``exercises/`` from ``solutions/``, the single source of both.

In a solution notebook, the answer to an exercise sits between marker lines::

    # BEGIN SOLUTION
    product = await client.get_product(sku)
    # END SOLUTION
    # BEGIN STUB
    # product = client.get_product(sku)
    # END STUB

The learner's notebook gets the stub instead (its lines uncommented) or, without a stub block,
nothing. Outputs and execution counts are cleared, so learners start from a clean notebook. The
course-consistency tests fail when ``exercises/`` differs from what this module produces.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

BEGIN_SOLUTION = re.compile(r"^\s*# BEGIN SOLUTION\s*$")
END_SOLUTION = re.compile(r"^\s*# END SOLUTION\s*$")
BEGIN_STUB = re.compile(r"^\s*# BEGIN STUB\s*$")
END_STUB = re.compile(r"^\s*# END STUB\s*$")
COMMENT = re.compile(r"^(?P<indent>\s*)# ?(?P<rest>.*)$")


class MarkerError(ValueError):
    """Unbalanced or misplaced markers in a solution cell; names the notebook and the line."""


def strip_solution(source: str, where: str = "cell") -> str:
    """The learner's version of one solution cell's source."""
    out: list[str] = []
    state = "code"
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        if state == "code":
            if BEGIN_SOLUTION.match(line):
                state = "solution"
            elif BEGIN_STUB.match(line):
                state = "stub"
            elif END_SOLUTION.match(line) or END_STUB.match(line):
                raise MarkerError(f"{where}, line {number}: an END marker without its BEGIN")
            else:
                out.append(line)
        elif state == "solution":
            if END_SOLUTION.match(line):
                state = "code"
            elif BEGIN_SOLUTION.match(line) or BEGIN_STUB.match(line):
                raise MarkerError(f"{where}, line {number}: a BEGIN marker inside a solution block")
        else:  # stub
            if END_STUB.match(line):
                state = "code"
            else:
                match = COMMENT.match(line)
                if match is None:
                    raise MarkerError(f"{where}, line {number}: stub lines must be comments in the solution")
                out.append(match["indent"] + match["rest"] + ("\n" if line.endswith("\n") else ""))
    if state != "code":
        raise MarkerError(f"{where}: a {state} block is never closed")
    return "".join(out).rstrip("\n")


HOW_THE_EXERCISES_WORK = """\
**How the exercises work.** Each exercise has an *answer cell* marked by the line `# exercise: <id>`
(its first line, or the line under `%%ipytest`). Keep that line: it is how `course.check` and your
instructor's grader find your answer. Write your answer in that cell and run it, then run the check
cell below it. The check runs your cell on its own (with its own imports), so it passes here exactly
when it will pass at grading. It lists what works and what does not yet, with a hint about the first
thing that fails; when the same thing fails again, the next hint is more specific, and the last one
gives the answer away.

In a *write the tests* exercise, running the answer cell runs your tests against the real code. The
check then runs them against other correct versions, in several scheduling orders, and against buggy
versions, each with one plausible mistake. Each test is judged on its own: it earns a share of the
points for each bug it catches, unless it fails on a correct version or asserts nothing. Your tests
run on virtual time, in the cell as in the check: `await asyncio.sleep(1)` returns at once and
`asyncio.get_running_loop().time()` moves by exactly 1.

Try each exercise yourself first: the answers are in `solutions/{name}`, for when you are
stuck. From a terminal, `course check exercises/{name}` checks the whole notebook.
"""
"""The introduction of every exercise notebook, written once: ``course generate`` puts it under the
title in the first cell of each solution notebook (and so of each exercise notebook)."""


def with_introduction(solution: dict, name: str) -> dict:
    """The solution notebook with the shared introduction under the title of its first cell."""
    notebook = copy.deepcopy(solution)
    first = notebook["cells"][0]
    source = "".join(first["source"]) if isinstance(first["source"], list) else first["source"]
    title = source.split("\n", 1)[0]
    if first["cell_type"] != "markdown" or not title.startswith("# "):
        return notebook  # tests/test_course_consistency.py names the missing title cell
    first["source"] = f"{title}\n\n{HOW_THE_EXERCISES_WORK.format(name=name).rstrip()}"
    return notebook


def _same_cells(a: dict, b: dict) -> bool:
    def text(cell: dict) -> str:
        return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]

    return [text(c) for c in a["cells"]] == [text(c) for c in b["cells"]]


def exercise_notebook(solution: dict, where: str = "notebook") -> dict:
    """The learner's notebook for one solution notebook (a parsed .ipynb)."""
    notebook = copy.deepcopy(solution)
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell["source"] = strip_solution(source, f"{where}, cell {index}")
        cell["outputs"] = []
        cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    return notebook


def dumps(notebook: dict) -> str:
    """nbformat's own on-disk layout, so JupyterLab saving the file changes nothing."""
    import nbformat

    text = nbformat.writes(nbformat.from_dict(notebook))
    return text if text.endswith("\n") else text + "\n"


def planned(root: Path) -> dict[Path, str]:
    """Every exercise notebook's path and the text it should have, and every solution notebook whose
    introduction is not the shared one (with its corrected text)."""
    result = {}
    for solution in sorted((root / "solutions").glob("*.ipynb")):
        data = json.loads(solution.read_text(encoding="utf-8"))
        introduced = with_introduction(data, solution.name)
        if not _same_cells(data, introduced):
            result[solution] = dumps(introduced)
        result[root / "exercises" / solution.name] = dumps(
            exercise_notebook(introduced, str(solution.relative_to(root)))
        )
    return result


def stale(root: Path) -> list[Path]:
    """Exercise notebooks that differ from what the solutions produce (or are missing or extra), and
solution notebooks whose introduction is not the shared one."""
    expected = planned(root)
    existing = set((root / "exercises").glob("*.ipynb"))
    differ = [p for p, text in expected.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    return sorted(differ + [p for p in existing if p not in expected])


def write(root: Path) -> list[Path]:
    """Write every exercise notebook; returns the paths that changed."""
    changed = []
    for path, text in planned(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
