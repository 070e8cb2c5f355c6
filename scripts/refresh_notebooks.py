"""Re-execute the course's notebooks in place, then regenerate exercises/ from solutions/.

For maintainers, after changing a chapter, a solution, the example package or the toolkit:

    python scripts/refresh_notebooks.py            # every notebook in notebooks/ and solutions/
    python scripts/refresh_notebooks.py notebooks/02_pytest_asyncio.ipynb

A cell may raise only if it carries the `raises-exception` tag (nbclient enforces this), so a
refresh cannot silently store an unexpected error. Review `git diff` afterwards: every changed output
is a change a learner will see.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def refresh(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    nbformat.write(notebook, path)


def main(argv: list[str]) -> int:
    os.environ.pop("CI", None)  # the kernel inherits this process's environment
    # An empty progress state, so a stored `course.progress()` never shows the maintainer's own.
    os.environ["COURSE_STATE_DIR"] = tempfile.mkdtemp(prefix="course-state-")
    paths = [Path(a).resolve() for a in argv] or sorted(
        [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*.ipynb")]
    )
    for path in paths:
        print(f"executing {path.relative_to(ROOT)}")
        refresh(path)
    from course import generate

    for path in generate.write(ROOT):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
