"""The example package's own tests must exercise it thoroughly: branch coverage >= 95 %.

Learners imitate these tests, so a branch nobody tests is a lesson nobody gets. The catalog
suite runs again under ``coverage`` in a subprocess: a fresh interpreter imports ``catalog``
only after coverage has started, and nothing from this test run can leak into the count.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MINIMUM = 95.0


def _coverage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_catalog_branch_coverage(tmp_path: Path) -> None:
    env = {**os.environ, "COVERAGE_FILE": str(tmp_path / ".coverage")}
    run = _coverage(
        "run", "--branch", "--source=catalog",
        "-m", "pytest", "tests/catalog", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
        env=env,
    )
    assert run.returncode == 0, (
        f"the catalog tests failed under coverage; run them directly to see why:\n"
        f"{run.stdout}\n{run.stderr}"
    )
    report = _coverage("report", "--show-missing", env=env)
    assert report.returncode == 0, report.stderr
    exported = _coverage("json", "-o", str(tmp_path / "coverage.json"), env=env)
    assert exported.returncode == 0, exported.stderr
    total = json.loads((tmp_path / "coverage.json").read_text())["totals"]["percent_covered"]
    assert total >= MINIMUM, (
        f"catalog's branch coverage is {total:.1f} %, below {MINIMUM} %; add tests for the "
        f"lines and branches listed under Missing:\n{report.stdout}"
    )
