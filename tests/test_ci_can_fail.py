"""Proof that the notebook CI can fail: break a notebook on purpose and watch `pytest` go red.

Each case copies a committed notebook, breaks one thing a careless edit could break, and runs the
copy through the same command and configuration as CI (`python -m pytest` with the project's
pyproject.toml, so `--nbval` strict mode and the sanitize file apply). The unbroken copy must pass,
so a red result is caused by the breakage and nothing else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _code_cells(notebook: dict) -> list[dict]:
    return [c for c in notebook["cells"] if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _tagged(cell: dict) -> bool:
    return "raises-exception" in cell.get("metadata", {}).get("tags", [])


def break_chapter_assertion(notebook: dict) -> None:
    """Flip the first `==` in the first passing %%ipytest cell's assertions."""
    cell = next(c for c in _code_cells(notebook) if _source(c).startswith("%%ipytest") and not _tagged(c)
                and "assert " in _source(c) and "==" in _source(c))
    lines = _source(cell).splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.lstrip().startswith("assert ") and "==" in line)
    lines[index] = lines[index].replace("==", "!=", 1)
    cell["source"] = "".join(lines)


def fix_expected_failure(notebook: dict) -> None:
    """Make a cell that fails on purpose pass: its stored error no longer happens."""
    cell = next(c for c in _code_cells(notebook) if _tagged(c) and _source(c).startswith("%%ipytest"))
    cell["source"] = "%%ipytest\n\ndef test_nothing_wrong_here():\n    assert 1 + 1 == 2\n"


def break_code_solution(notebook: dict) -> None:
    """Sum the wrong field in the solution of 01-concurrent-total."""
    cell = next(c for c in _code_cells(notebook) if "# exercise: 01-concurrent-total" in _source(c))
    cell["source"] = _source(cell).replace("product.stock for product", "product.price_cents for product")


def weaken_tests_solution(notebook: dict) -> None:
    """Delete the reference test that catches the off-by-one limit in 01-gather-limited-tests."""
    cell = next(c for c in _code_cells(notebook) if "# exercise: 01-gather-limited-tests" in _source(c))
    cell["source"] = _source(cell).replace("    assert tracker.peak == 2\n", "")


CASES = {
    "chapter, unbroken": ("notebooks/01_async_basics.ipynb", None),
    "chapter, a test assertion broken": ("notebooks/01_async_basics.ipynb", break_chapter_assertion),
    "chapter, an expected failure that no longer fails": ("notebooks/02_pytest_asyncio.ipynb", fix_expected_failure),
    "solution, unbroken": ("solutions/01_async_basics.ipynb", None),
    "solution, wrong code": ("solutions/01_async_basics.ipynb", break_code_solution),
    "solution, weaker tests": ("solutions/01_async_basics.ipynb", weaken_tests_solution),
}


def run_case(name: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    relative, breakage = CASES[name]
    notebook = json.loads((ROOT / relative).read_text())
    if breakage is not None:
        breakage(notebook)
    folder = workdir / name.replace(",", "").replace(" ", "_")
    folder.mkdir()
    copy = folder / Path(relative).name
    copy.write_text(json.dumps(notebook, indent=1))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), str(copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CI": "true"},  # as in CI
    )


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("ci-can-fail")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run_case, name, workdir) for name in CASES}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, (_, b) in CASES.items() if b is None])
def test_an_unbroken_copy_passes(outcomes, name):
    result = outcomes[name]
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, (_, b) in CASES.items() if b is not None])
def test_a_broken_copy_fails(outcomes, name):
    result = outcomes[name]
    assert result.returncode == 1, result.stdout[-3000:]
    assert " failed" in result.stdout.splitlines()[-1], result.stdout[-3000:]
