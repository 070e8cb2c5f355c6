"""A pytest plugin loaded into every ``%%ipytest`` cell and every graded run of learner tests.

It does one thing: when a failure was raised by pytest's own machinery rather than by the test's
code, it replaces a 40-line traceback through pytest and pluggy internals with the message that
matters. The typical case is the most common async mistake: a coroutine that was never awaited.
Python reports it while garbage-collecting the coroutine, pytest turns that into a
``PytestUnraisableExceptionWarning`` (an error here, because the course runs with warnings as
errors), and the traceback shows only pytest's frames. The learner needs one line: which coroutine
was never awaited.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import _pytest
import pluggy
import pytest

_INTERNAL_DIRS = tuple(str(Path(mod.__file__).parent) + os.sep for mod in (_pytest, pluggy))
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _raised_by_pytest(excinfo: pytest.ExceptionInfo[BaseException]) -> bool:
    """True when the exception's innermost frame is inside pytest or pluggy, not in test code."""
    try:
        innermost = str(excinfo.traceback[-1].path)
    except IndexError:  # pragma: no cover - an exception always has at least one frame here
        return False
    return innermost.startswith(_INTERNAL_DIRS)


def short_message(exc: BaseException) -> str:
    """The learner-facing message: the root cause's type and text, without memory addresses."""
    root = exc
    while root.__cause__ is not None:
        root = root.__cause__
    lines = [f"{type(root).__name__}: {_ADDRESS.sub('', str(root))}"]
    if isinstance(exc, pytest.PytestUnraisableExceptionWarning):
        lines.append(
            "Python reported this while cleaning up an object after the test, so no line of the test "
            "is shown. pytest fails the test because warnings are errors here."
        )
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ARG001
    report = yield
    if report.failed and call.excinfo is not None and _raised_by_pytest(call.excinfo):
        report.longrepr = short_message(call.excinfo.value)
    return report
