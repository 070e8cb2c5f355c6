"""The code is linted as part of the test command: ruff, with the rules chosen in pyproject.toml.

A rule silenced on one line must say why, after the code: ``# noqa: BLE001 - the learner's code may
raise anything``. A bare ``# noqa: X`` is a finding nobody explained; ruff's RUF100 already removes
the ones that silence nothing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOQA = re.compile(r"#\s*noqa\b(?P<rest>.*)$")
EXPLAINED = re.compile(r"^:\s*[A-Z]+[0-9]+(?:,\s*[A-Z]+[0-9]+)*\s+-\s+\S")


def test_ruff_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", str(ROOT)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, (
        "ruff found problems; fix them, or run `ruff check --fix` for the fixable ones:\n"
        f"{result.stdout}{result.stderr}"
    )


def _python_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "*.py"], capture_output=True, text=True,
                            cwd=ROOT, check=True).stdout.split()
    this = Path(__file__).resolve()  # its docstring and messages quote the syntax
    return [ROOT / name for name in listed if (ROOT / name).is_file() and (ROOT / name) != this]


def test_every_noqa_names_its_rule_and_says_why():
    unexplained = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _python_files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if (match := NOQA.search(line)) and not EXPLAINED.match(match["rest"])
    ]
    assert unexplained == [], (
        "write the rule and the reason, `# noqa: CODE - why`, or fix the line instead:\n" + "\n".join(unexplained)
    )


def test_the_noqa_rule_itself_is_checked_both_ways():
    assert EXPLAINED.match(": BLE001 - the learner's code may raise anything")
    assert EXPLAINED.match(": ANN001, ARG001 - IPython's signature")
    assert not EXPLAINED.match(": BLE001")
    assert not EXPLAINED.match("")
