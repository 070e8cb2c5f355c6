"""Chapter 3, fixtures for async tests: the exercises of ``exercises/03_fixtures.ipynb``.

Solutions live in ``solutions/03_fixtures.ipynb``; this module holds everything else.

The two *write async code* exercises ask for pytest fixtures, and a fixture is only itself inside
pytest: ``@pytest.fixture`` wraps the function, calling it directly is an error, and what matters
(when the teardown runs, which loop it runs on, how long the value is kept) is decided by pytest and
pytest-asyncio. So their checks run the learner's fixtures the only faithful way: a real pytest
session, with the course's cell settings (``cells.ini``), over a small test file written here. The
learner's cell is registered as a plugin (pytest collects fixtures from plugins), and a ``probe``
fixture of the check's own, set up before the learner's and torn down after them, records what the
learner's teardown left behind while the event loop is still open (once pytest-asyncio closes a loop
it cancels every task on it, which would make any watcher look stopped). One session serves every
check of an answer; each check reads its own test's outcome.
"""

from __future__ import annotations

import re
import sys
import tempfile
import types
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from course.checker.frozen_heap import frozen_heap
from course.exercises.model import Check, Exercise, Variant

# --- Running a learner's fixtures in a real pytest session ----------------------------------------

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
RECORDER = "course_fixture_recorder"


_NEVER_AWAITED = re.compile(r"coroutine '([^']+)' was never awaited")


def _describe(exc: BaseException) -> str:
    """``NotFound: no product with sku 'durian'``: the type and the first line, no addresses."""
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return _describe(exc.exceptions[0])
    cause: BaseException | None = exc
    while cause is not None:
        never_awaited = _NEVER_AWAITED.search(str(cause))
        if never_awaited:
            return (
                f"coroutine '{never_awaited[1]}' was never awaited (put `await` before that call; a fixture "
                "that awaits is an `async def` fixture)"
            )
        cause = cause.__cause__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = _ADDRESS.sub("", text)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class _Session:
    """What one pytest session over the check's tests saw, test by test."""

    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # test -> phase -> error
    ran: set[str] = field(default_factory=set)
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)  # what each probe recorded
    lost: list[str] = field(default_factory=list)  # what the loops' exception handler was told
    problem: str = ""  # the session could not run the tests at all

    def error(self, test: str, phase: str) -> str:
        return self.errors.get(test, {}).get(phase, "")

    def require(self, test: str) -> None:
        """Fail the check at once, in the learner's terms, when its test could not even start."""
        assert not self.problem, self.problem
        assert test in self.ran, "pytest did not run the check's test; run the exercise cell and check again."
        setup = self.error(test, "setup")
        if setup:
            raise AssertionError(_setup_advice(setup))


def _setup_advice(error: str) -> str:
    missing = re.search(r"fixture '(\w+)' not found", error)
    if missing:
        return (
            f"pytest found no fixture named `{missing[1]}`. Define it in the exercise cell with that name, "
            "decorated with `@pytest.fixture` (or `@pytest_asyncio.fixture`)."
        )
    if "ScopeMismatch" in error:
        return _scope_mismatch_advice(error)
    return f"pytest could not set up the fixtures for the test: {error}."


def _scope_mismatch_advice(error: str) -> str:
    """ScopeMismatch comes in two kinds; each needs different advice."""
    requesters = re.findall(r"def (\w+)\(", error)
    name = f"`{requesters[-2]}`" if len(requesters) >= 2 else "a fixture"  # the last is the one requested
    runner = re.search(r"the function scoped fixture _function_scoped_runner with a (\w+) scoped", error)
    if runner:
        return (
            f"ScopeMismatch: {name} is {runner[1]}-scoped, but its async code would run on the test's "
            "function loop, which ends with each test. Give it a loop that lives as long as its value: "
            f'`@pytest_asyncio.fixture(scope="{runner[1]}", loop_scope="{runner[1]}")`.'
        )
    shorter = re.search(r"the (\w+) scoped fixture (\w+) with a (\w+) scoped", error)
    if shorter:
        return (
            f"ScopeMismatch: the {shorter[3]}-scoped {name} uses `{shorter[2]}`, which is {shorter[1]}-scoped. "
            "A fixture may only use fixtures that live at least as long as it does: give each fixture the "
            "scope the exercise asks for."
        )
    return error


class _Recorder:
    """The check's own pytest plugin: outcomes by test and phase, and the ``probe`` fixtures."""

    def __init__(self, session: _Session) -> None:
        self.session = session
        self.__name__ = RECORDER  # the name it is registered under: the check's tests look it up


    @pytest_asyncio.fixture
    async def probe(self, request: pytest.FixtureRequest, client: Any):
        """Set up after the exercise's given ``client`` fixture, before the learner's ``make_watcher``:
        so it is torn down right after ``make_watcher``, on the test's loop, with the client still open
        (a watcher left running would otherwise die at its next poll, of the closed client)."""
        record: dict[str, Any] = {"watchers": []}
        self.session.seen[request.node.originalname] = record
        yield record
        record["running"] = [
            w for w in record["watchers"] if getattr(w, "task", None) is not None and not w.task.done()
        ]

    def pytest_asyncio_loop_factories(self, config: Any, item: Any) -> dict[str, Any]:
        return {"course": self._new_loop}

    def _new_loop(self) -> Any:
        from course.checker.schedule import CourseLoop

        loop = CourseLoop()  # it ends a deadlock instead of hanging
        # A watcher left running by a wrong answer dies later of the closed client, and asyncio would
        # print "Task exception was never retrieved" under some later cell: the verdicts already say it.
        loop.set_exception_handler(self._lost)
        return loop

    def _lost(self, loop: Any, context: dict[str, Any]) -> None:
        self.session.lost.append(str(context.get("message", "")))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        report = yield
        name = getattr(item, "originalname", item.name)
        self.session.ran.add(name)
        if report.failed:
            exc = call.excinfo.value if call.excinfo is not None else None
            error = _describe(exc) if exc is not None else "failed"
            if "ScopeMismatch" in error:  # the fixture it names is on a later line
                error = _ADDRESS.sub("", str(exc))
            self.session.errors.setdefault(name, {})[call.when] = error
        return report

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and not self.session.problem:
            self.session.problem = (
                f"pytest could not collect the check's tests: {str(report.longrepr).strip().splitlines()[-1]}"
            )


_sessions: weakref.WeakKeyDictionary[Any, _Session] = weakref.WeakKeyDictionary()


def _session(answer: Any, tests: dict[str, str]) -> _Session:
    """Run ``tests`` (file stem -> source) against the fixtures of ``answer``, once per answer."""
    if answer in _sessions:
        return _sessions[answer]
    from course.notebook_setup import pytest_args_for_cells

    session = _Session()
    fixtures = types.ModuleType(f"course_fixtures_{uuid.uuid4().hex[:12]}")
    for name, value in answer.namespace.items():
        if not name.startswith(("__", "pytest_")):  # a `pytest_*` name would be taken for a hook
            setattr(fixtures, name, value)
    with tempfile.TemporaryDirectory(prefix="course-fixtures-") as tmp:
        paths = []
        for stem, source in tests.items():
            path = Path(tmp, f"{stem}_{uuid.uuid4().hex[:12]}.py")
            path.write_text(source)
            paths.append(path)
        args = [
            *pytest_args_for_cells(tmp),
            "-p", "no:terminal",
            "--capture=sys",
            "--import-mode=importlib",
            *map(str, paths),
        ]
        try:
            with frozen_heap():  # pytest collects garbage twice per session: only this session's objects
                pytest.main(args, plugins=[fixtures, _Recorder(session)])
        except Exception as exc:  # noqa: BLE001 - an error escaping pytest is reported, not raised
            if not session.ran:
                session.problem = f"pytest stopped: {_describe(exc)}"
        finally:
            for path in paths:
                sys.modules.pop(path.stem, None)
    _sessions[answer] = session
    return session


# --- 03-watcher-factory ---------------------------------------------------------------------------

_FACTORY_TESTS = {
    "factory": '''
import asyncio
import inspect

import pytest

pytestmark = pytest.mark.looptime


async def made(make_watcher, probe, *args, **kwargs):
    """Call the factory the way the exercise allows: plainly, or awaited if it is async."""
    watcher = make_watcher(*args, **kwargs)
    if inspect.isawaitable(watcher):
        watcher = await watcher
    probe["watchers"].append(watcher)
    return watcher


async def test_started(probe, server, make_watcher):
    watcher = await made(make_watcher, probe, ["apple", "bread"], interval=0.5)
    probe["task"] = getattr(watcher, "task", "missing")
    probe["done"] = getattr(probe["task"], "done", lambda: False)()
    await asyncio.sleep(1.2)
    probe["requests"] = list(server.requests)


async def test_several(probe, make_watcher):
    for skus in (["apple"], ["bread"], ["cheese"]):
        await made(make_watcher, probe, skus)
    await asyncio.sleep(0.5)


async def test_failing(probe, make_watcher):
    await made(make_watcher, probe, ["apple"])
    await made(make_watcher, probe, ["bread"])
    await asyncio.sleep(0.5)
    raise LookupError("this test fails on purpose")


async def test_crashing(probe, make_watcher):
    for skus in (["apple"], ["durian"], ["bread"]):
        await made(make_watcher, probe, skus)
    await asyncio.sleep(1.5)
''',
}

_POLLS = [("GET", "/products/apple"), ("GET", "/products/bread")] * 3


def _factory(answer) -> _Session:
    return _session(answer, _FACTORY_TESTS)


def _call_error(session: _Session, test: str, allowed: str = "") -> None:
    """Fail the check when the check's test itself failed, unless with the error it raises on purpose."""
    error = session.error(test, "call")
    if error and not (allowed and error.startswith(allowed)):
        raise AssertionError(f"The test using `make_watcher` failed: {error}.")


def _still_running(session: _Session, test: str, when: str) -> None:
    running = session.seen[test]["running"]
    made = len(session.seen[test]["watchers"])
    if running:
        skus = ", ".join(str(w._skus) for w in running)  # the check names them for the learner
        advice = (
            "Nothing closed them: a fixture that `return`s its factory has no teardown. `yield` the factory, "
            "and close every watcher it made after the `yield`."
            if len(running) == made
            else "The fixture's teardown (after its `yield`) must close every watcher the factory made, not "
            "only some of them."
        )
        raise AssertionError(
            f"{when}, {len(running)} of the {made} watchers it made were still running ({skus}). {advice}"
        )


def _factory_starts(answer) -> None:
    session = _factory(answer)
    session.require("test_started")
    _call_error(session, "test_started")
    seen = session.seen["test_started"]
    task = seen["task"]
    assert task != "missing", "`make_watcher(...)` must return the StockWatcher it made (it returned something else)."
    assert task is not None, (
        "The watcher `make_watcher(...)` returned was never started: call `watcher.start()` (or enter it with "
        "`async with` / `AsyncExitStack.enter_async_context`) before returning it."
    )
    assert not seen["done"], (
        "The watcher `make_watcher(...)` returned was already stopped when the test got it. An `async with "
        "StockWatcher(...)` block inside the factory closes the watcher as soon as the factory returns: the "
        "fixture must keep it open until its teardown."
    )
    got = seen["requests"]
    assert got == _POLLS, (
        f"In 1.2 s of (virtual) time the watcher sent {len(got)} requests: {got}. A watcher of ['apple', 'bread'] "
        "polling every 0.5 s sends 6 (polls at 0, 0.5 and 1.0 s): pass both the skus and the `interval` on to "
        "StockWatcher."
    )


def _factory_stops_all(answer) -> None:
    session = _factory(answer)
    session.require("test_several")
    _call_error(session, "test_several")
    teardown = session.error("test_several", "teardown")
    assert not teardown, f"The teardown of `make_watcher` raised {teardown}."
    _still_running(session, "test_several", "After a test that made 3 watchers")


def _factory_stops_after_failure(answer) -> None:
    session = _factory(answer)
    session.require("test_failing")
    _call_error(session, "test_failing", allowed="LookupError")
    assert session.error("test_failing", "call").startswith("LookupError"), (
        "A test that fails must be reported with its own error; it was not."
    )
    teardown = session.error("test_failing", "teardown")
    assert not teardown, f"After a failing test, the teardown of `make_watcher` raised {teardown}."
    _still_running(session, "test_failing", "After a test that failed")


def _factory_reports_a_crash(answer) -> None:
    session = _factory(answer)
    session.require("test_crashing")
    _call_error(session, "test_crashing")
    teardown = session.error("test_crashing", "teardown")
    running = session.seen["test_crashing"]["running"]
    if not teardown.startswith("NotFound"):
        assert not teardown, f"The teardown of `make_watcher` raised {teardown}, not the watcher's own error."
        assert not running, (
            "The test made a watcher for 'durian', a sku the catalog does not know, and two good ones. The "
            "fixture closed none of them, so the broken watcher's error (NotFound, raised by its `aclose()`) "
            "was never seen and the test passed. Close them all after the `yield`, and let that error propagate."
        )
        raise AssertionError(
            "The test made a watcher for 'durian', a sku the catalog does not know: its task died of "
            "NotFound, and `aclose()` raises that error. Your fixture hid it, so the test passed although "
            "the watcher was broken. Let the error propagate out of the teardown (after closing the other "
            "watchers)."
        )
    assert not running, (
        f"The watcher for 'durian' raised NotFound when it was closed, and {len(running)} other watcher(s) "
        "were then left running: one error stopped the teardown before it closed the rest. Close every "
        "watcher even when one of them raises (`contextlib.AsyncExitStack` does that, and raises the "
        "error afterwards)."
    )


WATCHER_FACTORY = Exercise(
    id="03-watcher-factory",
    title="A factory fixture for watchers",
    kind="code",
    points=4,
    requires=("make_watcher",),
    hints=(
        "A factory fixture yields a function; the test calls it as often as it likes. Everything that "
        "function made must be remembered, so that the code after the fixture's `yield` can close it all.",
        "Each watcher must be started before it is returned, and stay open until the teardown: an `async with` "
        "inside the factory would close it at once. One watcher's `aclose()` may raise (a watcher that died of "
        "an error re-raises it): the others must still be closed, and the error must not be swallowed.",
        "`async with contextlib.AsyncExitStack() as stack:` around the `yield`, and in the factory "
        "`return await stack.enter_async_context(StockWatcher(client, skus, interval=interval))`.",
    ),
    checks=(
        Check("gives a started watcher for the skus and interval asked for", _factory_starts),
        Check("stops every watcher a test made, when the test ends", _factory_stops_all),
        Check("stops them when the test fails, too", _factory_stops_after_failure),
        Check("reports a watcher that crashed, and still stops the others", _factory_reports_a_crash),
    ),
)


# --- 03-shared-watcher ----------------------------------------------------------------------------

_SHARED_TEST = '''
import asyncio
from dataclasses import replace

import pytest
import pytest_asyncio

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.looptime]


def drain(queue):
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_probe(request):
    """Set up before the learner's module-scoped fixtures, torn down after them, on the module's loop."""
    record = {"tests": []}
    recorder = request.config.pluginmanager.get_plugin("RECORDER")
    recorder.session.seen[request.module.__name__.split("_")[0]] = record
    yield record
    if record["tests"]:
        _, client, watcher = record["tests"][-1]
        task = getattr(watcher, "task", None)
        record["watcher_running"] = task is not None and not task.done()
        record["client_closed"] = getattr(client, "closed", None)

'''.replace('"RECORDER"', repr(RECORDER))

_SHARED_TESTS = {
    "first": _SHARED_TEST + '''
async def test_first(module_probe, shared_server, shared_client, shared_watcher):
    module_probe["tests"].append((shared_server, shared_client, shared_watcher))
    task = shared_watcher.task
    module_probe["done_at_start"] = task is None or task.done()
    module_probe["same_loop"] = task is not None and task.get_loop() is asyncio.get_running_loop()
    if module_probe["done_at_start"] or not module_probe["same_loop"]:
        return  # it cannot poll while this test runs (and on another loop, virtual time is not its time)
    await asyncio.sleep(0.5)
    before = shared_server.products["bread"].stock
    module_probe["expected"] = ("bread", before, before + 4)
    shared_server.products["bread"] = replace(shared_server.products["bread"], stock=before + 4)
    await asyncio.sleep(1.0)
    module_probe["changes"] = [(c.sku, c.old, c.new) for c in drain(shared_watcher.changes)]


async def test_second(module_probe, shared_server, shared_client, shared_watcher):
    module_probe["tests"].append((shared_server, shared_client, shared_watcher))
''',
    "second": _SHARED_TEST + '''
async def test_other_module(module_probe, shared_server, shared_client, shared_watcher):
    module_probe["tests"].append((shared_server, shared_client, shared_watcher))
''',
}

_NAMES = ("shared_server", "shared_client", "shared_watcher")


def _shared(answer) -> _Session:
    session = _session(answer, _SHARED_TESTS)
    for test in ("test_first", "test_second", "test_other_module"):
        session.require(test)
    for test in ("test_first", "test_second", "test_other_module"):
        for phase in ("call", "teardown"):
            error = session.error(test, phase)
            assert not error, f"A test using your fixtures failed at {phase}: {error}."
    return session


def _shared_within_module(answer) -> None:
    first = _shared(answer).seen["first"]["tests"]
    for name, a, b in zip(_NAMES, *first, strict=False):
        assert a is b, (
            f"The two tests of one module got two different `{name}` objects: a fixture is made again for "
            f'every test unless its scope says otherwise (`scope="module"`).'
        )


def _shared_polls(answer) -> None:
    seen = _shared(answer).seen["first"]
    assert not seen["done_at_start"], (
        "The watcher the test got was not running: start it in the fixture and keep it open until the "
        "fixture's teardown (`async with StockWatcher(...) as watcher: yield watcher`)."
    )
    assert seen["same_loop"], (
        "The watcher's task runs on another event loop than the module's tests, so it cannot poll while they "
        "run: a task lives on the loop its fixture ran on. Give the fixture the tests' loop: "
        '`loop_scope="module"`.'
    )
    assert seen["changes"] == [seen["expected"]], (
        f"The test restocked bread and waited one polling interval (1 s), but the watcher reported "
        f"{seen['changes'] or 'nothing'}: it should watch SKUS over `shared_client`, polling every 1.0 s."
    )


def _shared_closed(answer) -> None:
    seen = _shared(answer).seen["first"]
    assert not seen["watcher_running"], (
        "After the module's last test, the shared watcher was still running. Stop it in the fixture's "
        "teardown (the code after `yield`, or the end of an `async with` block around the `yield`), and "
        'keep it for one module (`scope="module"`), so that the teardown comes when the module ends.'
    )
    assert seen["client_closed"], (
        "After the module's last test, the shared client was still open. Close it in its fixture's teardown "
        "(`async with CatalogClient.for_app(shared_server) as client: yield client`)."
    )


def _shared_per_module(answer) -> None:
    session = _shared(answer)
    first, other = session.seen["first"]["tests"][0], session.seen["second"]["tests"][0]
    for name, a, b in zip(_NAMES, first, other, strict=False):
        assert a is not b, (
            f"Two test modules got the same `{name}`: it is kept for the whole session. The exercise asks "
            f'for one per module: `scope="module"` (and `loop_scope="module"`).'
        )


SHARED_WATCHER = Exercise(
    id="03-shared-watcher",
    title="One watcher for a whole module",
    kind="code",
    points=4,
    requires=_NAMES,
    hints=(
        "Two questions for each fixture: how long is its value kept (`scope`), and which event loop runs its "
        "set-up and teardown (`loop_scope`)? Here the tests run on the module's loop.",
        "A fixture can use only fixtures that live at least as long as it does, and an async fixture kept for "
        "a module needs a loop that lives as long: the default loop scope is `function`.",
        '`@pytest_asyncio.fixture(scope="module", loop_scope="module")` on both async fixtures, '
        '`@pytest.fixture(scope="module")` on the server, and `async with ... : yield ...` in each.',
    ),
    checks=(
        Check("the tests of a module share one server, client and watcher", _shared_within_module),
        Check("the watcher polls while the module's tests run", _shared_polls),
        Check("after the module's last test the watcher is stopped and the client closed", _shared_closed),
        Check("each module gets its own", _shared_per_module),
    ),
)


# --- 03-restock-tests -----------------------------------------------------------------------------

_NOTIFIER_OTHER_ORDER = '''
class RestockNotifier:
    """Closes in the other order (the task first, then the waiters), with its own messages."""

    def __init__(self, changes):
        self._changes = changes
        self._waiters = {}
        self._loop = None
        self._task = None
        self._closed = False

    @property
    def task(self):
        return self._task

    @property
    def closed(self):
        return self._closed

    def waiting(self, sku):
        return sum(1 for future in self._waiters.get(sku, []) if not future.done())

    def start(self):
        if self._task is not None or self._closed:
            raise RuntimeError("this notifier was started already")
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run())

    async def wait_for(self, sku):
        if self._closed:
            raise CatalogError("closed")
        if self._loop is None:
            raise RuntimeError("not started")
        future = self._loop.create_future()
        self._waiters.setdefault(sku, []).append(future)
        try:
            return await future
        except BaseException:
            if future in self._waiters.get(sku, []):
                self._waiters[sku].remove(future)
            raise

    async def aclose(self):
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():
                    raise
        for futures in self._waiters.values():
            for future in futures:
                if not future.done():
                    future.set_exception(CatalogError("notifier closed"))
        self._waiters.clear()

    async def __aenter__(self):
        self.start()
        return self

    async def __aexit__(self, *exc_info):
        await self.aclose()

    async def _run(self):
        while True:
            change = await self._changes.get()
            if change.old == 0 < change.new:
                for future in self._waiters.pop(change.sku, []):
                    if not future.done():
                        future.set_result(change)
'''

RESTOCK_TESTS = Exercise(
    id="03-restock-tests",
    title="Tests for RestockNotifier's lifecycle",
    kind="tests",
    points=7,
    target="catalog.restock:RestockNotifier",
    hints=(
        "Write fixtures: a fresh queue of changes, and a notifier started on it and closed after the test. Feed "
        "the queue yourself, and let the loop turn (`await asyncio.sleep(0)`) so that the notifier's task and "
        "your waiting tasks can react.",
        "The lifecycle is where resources leak: after closing, is the background task finished, and what happens "
        "to callers still waiting, or to a wait that starts after the close? Is the notifier closed when the "
        "block that uses it fails? Can it be started twice? Is a cancelled wait forgotten?",
        "A wait that may never end is a task: start it with `asyncio.create_task`, and check `done()` or await it "
        "under `asyncio.timeout(...)`, so that a bug fails the test instead of hanging it. And not every change "
        "is a restock.",
    ),
    wheats=(
        Variant("reference", "the course's implementation"),
        Variant(
            "other closing order",
            "closes its task first, then fails the waiters, with other messages",
            source=_NOTIFIER_OTHER_ORDER,
        ),
    ),
    chaffs=(
        Variant(
            "task left running",
            "When `aclose()` returns, has the background task finished? Look right "
            "after the call: once a test's loop closes, every task left on it ends anyway.",
            edits=(("            await task\n", "            pass\n"),),
        ),
        Variant(
            "waiters left hanging",
            "What happens to a caller still waiting when the notifier is closed?",
            edits=(("waiters, self._waiters = self._waiters, {}", "waiters = {}"),),
        ),
        Variant(
            "not closed when the block fails",
            "Is the notifier closed when the `async with` block raises?",
            edits=(("        await self.aclose()\n", "        if exc is None:\n            await self.aclose()\n"),),
        ),
        Variant(
            "waits after close accepted",
            "What should a wait that starts after the close do?",
            edits=(("        if self._closed:\n            raise CatalogError(_CLOSED)\n", ""),),
        ),
        Variant(
            "started twice",
            "What happens when a started notifier is started again?",
            edits=(("if self._task is not None or self._closed:", "if self._closed:"),),
        ),
        Variant(
            "cancelled waits remembered",
            "After a wait is cancelled, is anyone still counted as waiting?",
            edits=(
                (
                    "            with contextlib.suppress(ValueError):\n                waiters.remove(future)\n",
                    "            pass\n",
                ),
            ),
        ),
        Variant(
            "any change wakes",
            "Is every change a restock, for instance a stock that goes from 3 to 2?",
            edits=(("if change.old == 0 and change.new > 0:", "if change.new > 0:"),),
        ),
    ),
    weak_suites=(
        # The happy path only, through `async with`: the shape of many real test suites.
        """
import asyncio

from catalog import RestockNotifier, StockChange


async def test_a_restock_wakes_the_waiter():
    changes = asyncio.Queue()
    async with RestockNotifier(changes) as notifier:
        waiter = asyncio.create_task(notifier.wait_for("pear"))
        await asyncio.sleep(0)
        changes.put_nowait(StockChange("pear", old=0, new=5))
        assert await waiter == StockChange("pear", old=0, new=5)
""",
    ),
)

EXERCISES = (WATCHER_FACTORY, SHARED_WATCHER, RESTOCK_TESTS)
