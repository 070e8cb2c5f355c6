"""A pytest plugin loaded into every ``%%ipytest`` cell and every graded run of learner tests.

It loads the course's other plugins (see ``pytest_addhooks``), runs the tests of an exercise cell on
virtual time as the checker does (``pytest_collection_modifyitems``), then does three things.
First, when a failure was raised by pytest's own machinery rather than by the test's
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

Third, it keeps looptime 0.9 from asking asyncio's policy for an event loop around *sync* tests
(``_hide_policy_from_looptime``: the one place the course works around a dependency).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import _pytest
import pluggy
import pytest
from _pytest.fixtures import FixtureLookupError
from pytest_asyncio import is_async_test

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
    if isinstance(root, FixtureLookupError):  # pytest's own wording, not the exception's repr
        lines = [root.formatrepr().errorstring.splitlines()[0]]
        if root.argname == "event_loop":
            lines.append(
                "pytest-asyncio 1.0 removed the `event_loop` fixture: inside an async test, use "
                "`asyncio.get_running_loop()`; to share a loop, give the tests a `loop_scope`."
            )
        return "\n".join(lines)
    lines = [f"{type(root).__name__}: {_ADDRESS.sub('', str(root))}"]
    if isinstance(exc, pytest.PytestUnraisableExceptionWarning):
        lines.append(
            "Python reported this while cleaning up an object after the test, so no line of the test "
            "is shown. pytest fails the test because warnings are errors here."
        )
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
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
            with contextlib.suppress(Exception):  # best effort; some frames' locals cannot be cleared
                tb.tb_frame.f_locals.clear()
            tb = tb.tb_next
        traceback.clear_frames(current.__traceback__)
        pending += [current.__cause__, current.__context__]
        if isinstance(current, BaseExceptionGroup):
            pending += list(current.exceptions)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In the answer cell of a *write the tests* exercise, every test runs on virtual time.

    ``course.check()`` and ``course grade`` run the learner's tests with ``--looptime``: simulated
    latency costs nothing, and ``loop.time()`` is exact. The cell itself runs them the same way, so a
    test gets one verdict in the cell, in the check and in the grade (the exercise texts say so)."""
    if _running_tests_exercise_cell():
        for item in items:
            if item.get_closest_marker("looptime") is None:
                item.add_marker(pytest.mark.looptime)


def _running_tests_exercise_cell() -> bool:
    setup = sys.modules.get("course.notebook_setup")
    if setup is None or not setup.EXECUTED_CELLS:
        return False  # not in a course notebook's kernel
    from course.exercises import MARKER, UnknownExercise, get

    for match in MARKER.finditer(setup.EXECUTED_CELLS[-1]):
        try:
            return get(match["id"].strip()).kind == "tests"
        except UnknownExercise:
            return False
    return False


LOOPTIME_POLICY_ARG = "event_loop_policy"
"""The autouse fixture of pytest-asyncio that looptime's ``pytest_pyfunc_call`` looks for."""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    """``_hide_policy_from_looptime`` around every test that pytest-asyncio does not run."""
    with _hide_policy_from_looptime(pyfuncitem):
        return (yield)


@contextmanager
def _hide_policy_from_looptime(item: pytest.Function) -> Iterator[None]:
    """Workaround for looptime 0.9 (its newest release): hide the policy fixture from a sync test.

    looptime wants to know which loop runs the test, and asks ``policy.get_event_loop()`` for every
    test that has pytest-asyncio's (autouse) ``event_loop_policy`` fixture, sync tests included. For a
    sync test no loop is set in the thread, and what happens then depends on the Python version:

    * 3.11 makes a new loop and leaves it open; garbage-collected during a later test, it fails that
      test with "unclosed event loop" (in a notebook: a cell that has nothing to do with it);
    * 3.12 and 3.13 also warn "There is no current event loop", a ``DeprecationWarning``: an error
      here, so a learner's sync test fails although it is right;
    * 3.14 and later raise ``RuntimeError``, which looptime catches; 3.16 removes the policy API.

    A sync test cannot await, so looptime has nothing to do for it: without the fixture in
    ``funcargs`` it steps aside before asking. The test function never sees ``funcargs`` itself,
    only the arguments it declares, so one that asks for ``event_loop_policy`` by name still gets it.
    Upstream fix: looptime should return early for tests that are not coroutine functions (or ask
    pytest-asyncio's runner for its loop) instead of calling ``policy.get_event_loop()``.
    """
    funcargs = item.funcargs
    hidden = (
        LOOPTIME_POLICY_ARG in funcargs
        and LOOPTIME_POLICY_ARG not in item._fixtureinfo.argnames
        and not is_async_test(item)
    )
    policy = funcargs.pop(LOOPTIME_POLICY_ARG) if hidden else None
    try:
        yield
    finally:
        if hidden:
            funcargs[LOOPTIME_POLICY_ARG] = policy
