"""A pytest plugin loaded into every ``%%ipytest`` cell and every graded run of learner tests.

It loads the course's other plugins (see ``pytest_addhooks``), then does three things. First, when a failure was raised by pytest's own machinery rather than by the test's
code, it replaces a 40-line traceback through pytest and pluggy internals with the message that
matters. The typical case is the most common async mistake: a coroutine that was never awaited.
Python reports it while garbage-collecting the coroutine, pytest turns that into a
``PytestUnraisableExceptionWarning`` (an error here, because the course runs with warnings as
errors), and the traceback shows only pytest's frames. The learner needs one line: which coroutine
was never awaited.

Second, once a test's failure is reported, it clears the local variables of the failure's
traceback frames. A failing test's traceback keeps its locals alive, and with them any coroutine it
forgot to await; the "never awaited" warning would then fire during a *later* test (in a notebook,
in a later cell) instead of failing the test that made the mistake.

Third, it closes the event loop that looptime 0.9 creates, and never closes, around every *sync*
test (it asks the policy for the current loop, which makes one). Left open, that loop is
garbage-collected during some later test, whose run then fails with "unclosed event loop": in a
notebook, a failure in a cell that has nothing to do with it.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import sys
import traceback
from pathlib import Path

import _pytest
import pluggy
import pytest

_INTERNAL_DIRS = tuple(str(Path(mod.__file__).parent) + os.sep for mod in (_pytest, pluggy))
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


# The plugins a course cell uses, registered under their entry-point names. Loading them with
# `-p <entry-point name>` makes pluggy read the metadata of every installed distribution on every
# run: about 16 ms of each cell's 60. Registering the modules directly costs nothing. The names
# matter: looptime finds pytest-asyncio as "asyncio", and `-p no:asyncio` in a cell still works.
PLUGINS = {
    "asyncio": "pytest_asyncio.plugin",
    "hypothesispytest": "_hypothesis_pytestplugin",
    "respx": "respx.plugin",
    "looptime_plugin": "looptime._internal.plugin",
    "looptime_chronometers": "looptime._internal.chronometers",
}


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    for name, module in PLUGINS.items():
        if pluginmanager.get_plugin(name) is None and not pluginmanager.is_blocked(name):
            pluginmanager.register(importlib.import_module(module), name)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """A cell may switch pytest-asyncio off (`-p no:asyncio`) to show what pytest does without it.
    cells.ini still sets pytest-asyncio's options then; declare them, so that pytest does not fail
    the run over "unknown config options" instead of showing what the cell is about."""
    if pluginmanager.is_blocked("asyncio"):
        for name in ("asyncio_mode", "asyncio_default_fixture_loop_scope", "asyncio_default_test_loop_scope"):
            parser.addini(name, "pytest-asyncio's option; the plugin is switched off for this run")


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
    if report.failed and call.excinfo is not None:
        if _raised_by_pytest(call.excinfo):
            report.longrepr = short_message(call.excinfo.value)
        _release(call.excinfo.value)  # the report is already rendered as text
    return report


def _release(exc: BaseException) -> None:
    """Drop what keeps a failed test's objects alive: its frames' locals, the object an
    AttributeError names, and the post-mortem copy pytest keeps in ``sys.last_value``."""
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if getattr(sys, name, None) is not None:
            setattr(sys, name, None)
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, AttributeError):
            current.obj = None
        tb = current.__traceback__
        while tb is not None:
            try:
                tb.tb_frame.f_locals.clear()
            except Exception:  # noqa: BLE001 - best effort; some frames' locals cannot be cleared
                pass
            tb = tb.tb_next
        traceback.clear_frames(current.__traceback__)
        pending += [current.__cause__, current.__context__]
        if isinstance(current, BaseExceptionGroup):
            pending += list(current.exceptions)


def _current_loop() -> asyncio.AbstractEventLoop | None:
    """The loop set as current in this thread, without creating one (the policy's own record)."""
    local = getattr(asyncio.get_event_loop_policy(), "_local", None)
    return getattr(local, "_loop", None)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    before = _current_loop()
    try:
        return (yield)
    finally:
        after = _current_loop()
        if after is not None and after is not before and not after.is_running() and not after.is_closed():
            after.close()
            asyncio.set_event_loop(before)
