"""The test suite never touches the learner's own progress file.

``course.check()`` records every result in a progress file outside the repository
(``course.learner_progress``). Without this, running the suite (whose solution notebooks pass every
check) would mark the developer's exercises as done, and the start page's stored progress table would
depend on whoever ran it last. So every test, and every notebook's kernel, gets an empty progress
folder of its own through ``COURSE_STATE_DIR``; a notebook's kernel inherits it when nbval starts the
kernel, at the notebook's first cell.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

_ROOT = Path(tempfile.mkdtemp(prefix="course-progress-"))
_counter = itertools.count()
os.environ["COURSE_STATE_DIR"] = str(_ROOT / "session")
# Hypothesis's caches (it writes them even with database=None) go there too, not into the repository.
os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(_ROOT / "hypothesis")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.path.suffix == ".ipynb":  # one kernel per notebook: one folder per notebook
        folder = _ROOT / f"{item.path.parent.name}-{item.path.stem}"
    else:
        folder = _ROOT / f"test-{next(_counter)}"
    os.environ["COURSE_STATE_DIR"] = str(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_ROOT, ignore_errors=True)
