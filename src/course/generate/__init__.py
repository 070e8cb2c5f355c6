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
    """Every exercise notebook's path and the text it should have."""
    result = {}
    for solution in sorted((root / "solutions").glob("*.ipynb")):
        data = json.loads(solution.read_text(encoding="utf-8"))
        result[root / "exercises" / solution.name] = dumps(exercise_notebook(data, str(solution.relative_to(root))))
    return result


def stale(root: Path) -> list[Path]:
    """Exercise notebooks that differ from what the solutions produce (or are missing or extra)."""
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
