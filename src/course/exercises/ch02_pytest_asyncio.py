"""Chapter 2, pytest-asyncio: the exercises of ``exercises/02_pytest_asyncio.ipynb``.

Solutions live in ``solutions/02_pytest_asyncio.ipynb``; this module holds everything else.
"""

from __future__ import annotations

import re
import sys
import tempfile
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType

import pytest

from catalog import CatalogClient, CatalogError, FakeCatalog, NotFound
from course.checker.frozen_heap import frozen_heap
from course.exercises.model import Check, Exercise, Variant
from course.exercises.support import SHELF
from course.exercises.support import not_a_coroutine as _not_a_coroutine

# --- 02-first-in-stock ----------------------------------------------------------------------------


async def _first_in_stock_order(answer) -> None:
    async with CatalogClient.for_app(FakeCatalog(SHELF)) as client:
        got = await answer.first_in_stock(client, ["bread", "cheese", "apple"])
        _not_a_coroutine(got, "first_in_stock")
        assert got is not None and got.sku == "cheese", (
            f"first_in_stock(client, ['bread', 'cheese', 'apple']) returned {got!r}; expected the cheese "
            "Product (bread has no stock, and cheese comes before apple)."
        )


async def _first_in_stock_unknown(answer) -> None:
    async with CatalogClient.for_app(FakeCatalog(SHELF)) as client:
        got = await answer.first_in_stock(client, ["durian", "apple"])
        assert got is not None and got.sku == "apple", (
            f"first_in_stock(client, ['durian', 'apple']) returned {got!r}; an unknown sku is skipped, "
            "so the answer is the apple Product."
        )


async def _first_in_stock_none(answer) -> None:
    async with CatalogClient.for_app(FakeCatalog(SHELF)) as client:
        for skus in (["bread"], [], ["durian"]):
            got = await answer.first_in_stock(client, skus)
            assert got is None, f"first_in_stock(client, {skus!r}) returned {got!r}; expected None."


async def _first_in_stock_stops(answer) -> None:
    catalog = FakeCatalog(SHELF)
    async with CatalogClient.for_app(catalog) as client:
        await answer.first_in_stock(client, ["bread", "cheese", "apple"])
    asked = [path for _, path in catalog.requests]
    assert asked == ["/products/bread", "/products/cheese"], (
        f"The server was asked for {asked}; once cheese is found in stock, apple need not be fetched."
    )


async def _first_in_stock_other_errors(answer) -> None:
    catalog = FakeCatalog(SHELF)
    async with CatalogClient.for_app(catalog) as client:
        got = await answer.first_in_stock(client, ["bread", "cheese"])  # it must work before the outage
        assert got is not None and got.sku == "cheese", (
            f"first_in_stock(client, ['bread', 'cheese']) returned {got!r}; expected the cheese Product.")
        catalog.fail_next(100, status=503)  # every attempt of the client's retries fails: an outage
        try:
            got = await answer.first_in_stock(client, ["bread", "cheese", "apple"])
        except NotFound:
            raise AssertionError("first_in_stock raised NotFound while the server was failing.") from None
        except CatalogError:
            return
    raise AssertionError(
        f"first_in_stock returned {got!r} while every request failed with a server error (503). Only "
        "`NotFound` means \"skip this sku\"; any other error must reach the caller: catch `NotFound`, not "
        "`Exception`."
    )


FIRST_IN_STOCK = Exercise(
    id="02-first-in-stock",
    title="The first product in stock",
    kind="code",
    points=4,
    requires=("first_in_stock",),
    hints=(
        "Go through the skus in order, one request at a time, and return as soon as one has stock.",
        "An unknown sku raises `NotFound`: catch exactly that, and move on to the next sku.",
        "`for sku in skus:` / `try: product = await client.get_product(sku)` / `except NotFound: continue` / "
        "`if product.stock > 0: return product`, and `return None` after the loop.",
    ),
    checks=(
        Check("returns the first product in stock, in the given order", _first_in_stock_order),
        Check("skips unknown skus", _first_in_stock_unknown),
        Check("returns None when nothing is in stock", _first_in_stock_none),
        Check("stops fetching once it has an answer", _first_in_stock_stops),
        Check("lets other errors propagate", _first_in_stock_other_errors,
              hint="`except Exception:` also swallows a server failure: catch only `NotFound`."),
    ),
)


# --- 02-retry-tests -------------------------------------------------------------------------------

_RETRY_WHILE_LOOP = '''
async def retry(operation, *, attempts=3, base=0.1, factor=2.0, cap=5.0,
                retry_on=(TransientError,), sleep=asyncio.sleep):
    """A counting while-loop instead of a loop over the delays."""
    if any(issubclass(asyncio.CancelledError, kind) for kind in retry_on):
        raise ValueError("retry_on must not catch asyncio.CancelledError")
    delays = iter(backoff_delays(attempts, base=base, factor=factor, cap=cap))
    attempt = 0
    while True:
        attempt += 1
        try:
            return await operation()
        except retry_on as error:
            if attempt == attempts:
                raise RetriesExhausted(attempts) from error
            await sleep(next(delays))
'''

RETRY_TESTS = Exercise(
    id="02-retry-tests",
    title="Tests for retry",
    kind="tests",
    points=6,
    target="catalog.backoff:retry",
    hints=(
        "Give `retry` an operation that fails a set number of times, and a `sleep` that records its delays "
        "instead of waiting.",
        "Check the exact number of calls, the exact delays, which errors are retried, what is raised when "
        "all attempts fail (and its `__cause__`), and what happens when the waiting task is cancelled.",
        "For cancellation: start `retry` in a task with an operation that sleeps, `await asyncio.sleep(0)`, "
        "cancel the task, and assert both `CancelledError` and that the operation ran once.",
    ),
    wheats=(
        Variant("reference", "the course's implementation: a loop over the backoff delays"),
        Variant("while-loop", "a counting while-loop; the same calls, delays and errors, differently written",
                source=_RETRY_WHILE_LOOP),
    ),
    chaffs=(
        Variant("one attempt too many", "When every attempt fails, how many times exactly was the operation called?",
                edits=(("backoff_delays(attempts, base", "backoff_delays(attempts + 1, base"),)),
        Variant("one attempt too few", "Does a call that succeeds on the last allowed attempt still succeed?",
                edits=(("for delay in delays:", "for delay in delays[:-1]:"),)),
        Variant("backoff does not grow", "Which delays does retry sleep between attempts: the same one each time?",
                edits=(("await sleep(delay)", "await sleep(base)"),)),
        Variant("retries every error", "Is an error that is not transient (say ValueError) retried, or raised at once?",
                edits=(("except retry_on:\n", "except Exception:\n"),)),
        Variant("swallows cancellation", "What happens when the task running retry is cancelled mid-attempt?",
                edits=(("except retry_on:\n", "except (*retry_on, asyncio.CancelledError):\n"),)),
        Variant("loses the cause", "When retries run out, does the error still say what went wrong the last time?",
                edits=(("raise RetriesExhausted(attempts) from error", "raise RetriesExhausted(attempts) from None"),)),
    ),
    weak_suites=(
        # Only the happy path and exhaustion by type: the shape of many real test suites.
        '''
import pytest
from catalog.errors import RetriesExhausted, TransientError
from catalog.backoff import retry

async def no_sleep(delay):
    pass

async def test_succeeds_after_a_failure():
    calls = []
    async def flaky():
        calls.append(1)
        if len(calls) < 2:
            raise TransientError("try again")
        return "ok"
    assert await retry(flaky, sleep=no_sleep) == "ok"

async def test_gives_up():
    async def broken():
        raise TransientError("down")
    with pytest.raises(RetriesExhausted):
        await retry(broken, sleep=no_sleep)
''',
    ),
)


# --- 02-low-stock-tests ---------------------------------------------------------------------------

_LOW_STOCK_SORTED_REQUESTS = '''
async def low_stock(client, skus, *, threshold):
    """Asks for the products in sorted order (any order is fine), answers in input order."""
    wanted = list(dict.fromkeys(skus))
    by_sku = {product.sku: product for product in await client.get_products(sorted(wanted))}
    return [sku for sku in wanted if by_sku[sku].stock < threshold]
'''

LOW_STOCK_TESTS = Exercise(
    id="02-low-stock-tests",
    title="Tests for low_stock",
    kind="tests",
    points=5,
    target="catalog.report:low_stock",
    hints=(
        "Build a `FakeCatalog` with products whose stock sits below, at and above the threshold, and a client "
        "for it with `CatalogClient.for_app(...)`.",
        "Pin down the boundary (stock equal to the threshold), the order of the answer, a sku listed twice, an "
        "unknown sku, and whether the requests overlap (latency on virtual time, or `max_in_flight`).",
        "With `@pytest.mark.looptime` and `FakeCatalog(..., latency=1.0)`, concurrent fetching of several skus "
        "takes exactly 1 s of `asyncio.get_running_loop().time()`.",
    ),
    wheats=(
        Variant("reference", "the course's implementation"),
        Variant("sorted requests", "requests may go out in any order; only the answer's order is specified",
                source=_LOW_STOCK_SORTED_REQUESTS),
    ),
    chaffs=(
        Variant("at or below", "Is a product whose stock equals the threshold low?",
                edits=(("product.stock < threshold", "product.stock <= threshold"),)),
        Variant("sorted answer", "Does the answer keep the order the skus were given in?",
                edits=(("return [product.sku for product in products if product.stock < threshold]",
                        "return sorted(product.sku for product in products if product.stock < threshold)"),)),
        Variant("duplicates repeated", "What comes back for a sku listed twice?",
                edits=(("get_products(_unique(skus))", "get_products(list(skus))"),)),
        Variant("one request at a time", "Do your tests notice if the products are fetched one after another?",
                edits=(("products = await client.get_products(_unique(skus))",
                        "products = [await client.get_product(sku) for sku in _unique(skus)]"),)),
        Variant("unknown sku ignored", "What should happen when a sku is not in the catalog?",
                edits=(("    products = await client.get_products(_unique(skus))\n",
                        "    try:\n        products = await client.get_products(_unique(skus))\n"
                        "    except NotFound:\n        return []\n"),)),
    ),
    weak_suites=(
        '''
from catalog import CatalogClient, FakeCatalog, Product
from catalog.report import low_stock

async def test_finds_low_stock():
    catalog = FakeCatalog([Product("a", "A", 1, 1), Product("b", "B", 1, 10)])
    async with CatalogClient.for_app(catalog) as client:
        assert await low_stock(client, ["a", "b"], threshold=5) == ["a"]
''',
    ),
)

# --- 02-shared-watcher ----------------------------------------------------------------------------
# The learner's cell is a test module; the check runs it as one, with pytest, in a throwaway project
# whose pyproject.toml keeps pytest-asyncio in strict mode. What pytest reports is the verdict.

WATCHER_PROJECT_CONFIG = """\
[tool.pytest.ini_options]
asyncio_default_fixture_loop_scope = "function"
asyncio_default_test_loop_scope = "function"
filterwarnings = ["error"]
"""
"""The project the learner's module must pass in: no ``asyncio_mode``, so strict (the default)."""

_WATCHER_TESTS = ("test_a_restock_is_reported", "test_a_sale_is_reported_by_the_same_watcher")

_WATCHER_TEST_BODIES = """
async def test_a_restock_is_reported(server, watcher):
    await asyncio.sleep(0.5)  # let the watcher take its first poll, the baseline
    server.products["pear"] = replace(server.products["pear"], stock=5)
    await asyncio.sleep(1.0)  # one polling interval, on virtual time
    assert drain(watcher.changes) == [StockChange("pear", old=0, new=5)]


async def test_a_sale_is_reported_by_the_same_watcher(server, watcher):
    server.products["apple"] = replace(server.products["apple"], stock=2)
    await asyncio.sleep(1.0)
    assert drain(watcher.changes) == [StockChange("apple", old=3, new=2)]
"""
"""The tests as given (decorators aside): the learner changes declarations, never what is tested."""

_NOT_REACHED = "Not checked yet: the problem above stops pytest before this point. Fix that first."


@dataclass
class _ProjectRun:
    """What one pytest run of the learner's module reported, and what the watcher did meanwhile."""

    exit_code: int = -1
    taken: dict[str, bool] = field(default_factory=dict)  # test -> run by pytest-asyncio
    outcome: dict[str, str] = field(default_factory=dict)  # test -> passed / failed / error
    message: dict[str, str] = field(default_factory=dict)  # test -> its first failure's message
    line: dict[str, int] = field(default_factory=dict)  # test -> line of the cell that failed
    polls: dict[str, int] = field(default_factory=dict)  # test -> watcher polls during its call
    starts: int = 0
    problem: str = ""  # nothing could be run: the tests were changed, or the module did not collect

    def any_message(self, text: str) -> str:
        return next((m for m in self.message.values() if text in m), "")


class _RunObserver:
    """A pytest plugin that records, per test, what the learner needs to hear about."""

    def __init__(self, run: _ProjectRun, watcher_polls: list[int]) -> None:
        self.run = run
        self.watcher_polls = watcher_polls

    def pytest_configure(self, config) -> None:
        # One-line tracebacks: the long form parses every source file on the stack (pytest's own
        # included) and costs ~0.4 s for a failing fixture; only the crash line is read here.
        config.option.tbstyle = "line"

    def pytest_collection_modifyitems(self, items) -> None:
        from pytest_asyncio import is_async_test

        for item in items:
            self.run.taken[item.name] = is_async_test(item)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        before = self.watcher_polls[0]
        try:
            return (yield)
        finally:
            self.run.polls[item.name] = self.watcher_polls[0] - before

    def pytest_runtest_logreport(self, report) -> None:
        name = report.nodeid.rsplit("::", 1)[-1]
        if report.failed and name not in self.run.message:
            crash = getattr(report.longrepr, "reprcrash", None)
            self.run.message[name] = (crash.message if crash is not None else str(report.longrepr)).strip()
            if crash is not None and crash.path == "<exercise cell>":
                self.run.line[name] = crash.lineno
        if report.failed:
            self.run.outcome[name] = "error" if report.when != "call" else "failed"
        elif report.when == "call" and name not in self.run.outcome:
            self.run.outcome[name] = report.outcome

    def pytest_collectreport(self, report) -> None:
        if report.failed and not self.run.problem:
            lines = [line for line in str(report.longrepr).strip().splitlines() if line.strip()]
            errors = [line[1:].strip() for line in lines if line.startswith("E ")]
            error = errors[-1] if errors else lines[-1]
            advice = ""
            if "keyword argument to the asyncio marker" in error:
                advice = " (`scope=` is the marker's name from before pytest-asyncio 1.0; it is `loop_scope=` now)"
            self.run.problem = f"pytest could not collect your module: {error}{advice}"


_runs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def run_as_project(answer) -> _ProjectRun:
    """Run the learner's cell as the test file of a project whose pyproject.toml is
    ``WATCHER_PROJECT_CONFIG``; one run per answer, read by every check.

    The cell has already been executed into a module of its own (``answer``); the test file imports
    everything from it, so pytest collects the learner's fixtures, tests and ``pytestmark`` exactly as
    if they had been written in the file. ``StockWatcher`` counts its starts and polls meanwhile.
    """
    if answer in _runs:
        return _runs[answer]
    run = _ProjectRun(problem=_tests_as_given(answer))
    if not run.problem:
        _run_pytest(answer, run)
    _runs[answer] = run
    return run


def _run_pytest(answer, run: _ProjectRun) -> None:
    import course.cell_plugin
    from catalog.watcher import StockWatcher

    polls = [0]
    original_start, original_poll = StockWatcher.start, StockWatcher._poll

    def start(watcher) -> None:
        run.starts += 1
        original_start(watcher)

    async def poll(watcher) -> None:
        polls[0] += 1
        await original_poll(watcher)

    name = f"test_watcher_{uuid.uuid4().hex[:12]}"
    StockWatcher.start, StockWatcher._poll = start, poll  # type: ignore[method-assign]
    try:
        # pytest collects garbage twice per session: frozen, the heap before it is not scanned
        with frozen_heap(), tempfile.TemporaryDirectory(prefix="course-project-") as folder:
            Path(folder, "pyproject.toml").write_text(WATCHER_PROJECT_CONFIG)
            Path(folder, f"{name}.py").write_text(f"from {answer.namespace['__name__']} import *  # the cell\n")
            args = [folder, "--rootdir", folder, "-p", "no:terminal", "--disable-plugin-autoload",
                    "-p", "no:cacheprovider", "--import-mode=importlib", "--capture=sys"]
            try:
                run.exit_code = int(pytest.main(args, plugins=[_RunObserver(run, polls), course.cell_plugin]))
            except Exception as exc:  # noqa: BLE001 - pytest re-raises an error after the last test
                run.problem = run.problem or f"pytest stopped: {type(exc).__name__}: {exc}"
    finally:
        StockWatcher.start, StockWatcher._poll = original_start, original_poll  # type: ignore[method-assign]
        sys.modules.pop(name, None)
    if run.exit_code == int(pytest.ExitCode.USAGE_ERROR) and not run.problem:
        run.problem = "pytest refused to start on your module"


def _code_signature(code: CodeType) -> tuple:
    """What a test's body uses: its constants and names. (Not its bytecode, which depends on how and
    where it was compiled.) Any change to what a test sleeps, changes or asserts changes these."""
    consts = tuple(c for c in code.co_consts if not isinstance(c, CodeType))
    return code.co_argcount, code.co_varnames, code.co_names, consts


def _tests_as_given(answer) -> str:
    """"" when the cell still has the given tests, with their bodies and virtual time; else what changed."""
    namespace: dict = {}  # compiling is all that is needed: the bodies never run here
    exec(compile(_WATCHER_TEST_BODIES, "<given tests>", "exec"), namespace)  # our own text
    for test in _WATCHER_TESTS:
        function = answer.namespace.get(test)
        if function is None:
            return (
                f"The cell no longer defines `{test}`: keep both tests, under their names, at the top level "
                "of the cell."
            )
        code = getattr(function, "__code__", None)
        if code is None or _code_signature(code) != _code_signature(namespace[test].__code__):
            return (f"`{test}` is not the test you were given: change only decorators and module-level "
                    "declarations. The tests' bodies are what proves that the shared watcher works.")
        if "looptime" not in [mark.name for mark in getattr(function, "pytestmark", [])]:
            return (f"`{test}` lost its `@pytest.mark.looptime` marker: without virtual time it would wait "
                    "real seconds for the watcher's polls. Put it back.")
    return ""


def _where(run: _ProjectRun, test: str) -> str:
    return f" (cell line {run.line[test]})" if test in run.line else ""


def _watcher_fixture_runs(answer) -> None:
    run = run_as_project(answer)
    assert not run.problem, run.problem
    assert not run.any_message("requested an async fixture"), (
        "pytest could not set up the fixture `watcher`: in strict mode pytest-asyncio runs only async "
        "fixtures declared with `@pytest_asyncio.fixture`. With `@pytest.fixture`, pytest itself gets the "
        "async fixture, and refuses it (\"requested an async fixture 'watcher', with no plugin or hook "
        "that handled it\")."
    )


def _watcher_tests_are_taken(answer) -> None:
    run = run_as_project(answer)
    assert not run.problem, _NOT_REACHED
    left = [t for t in _WATCHER_TESTS if not run.taken.get(t, False)]
    assert not left, (
        f"pytest-asyncio does not run {' and '.join(f'`{t}`' for t in left)}: in strict mode it takes only "
        "async tests marked `@pytest.mark.asyncio` (on the test, or once for the module with "
        "`pytestmark = ...`). pytest fails an unmarked one with \"async def functions are not natively "
        "supported\"."
    )


def _watcher_loop_outlives_it(answer) -> None:
    run = run_as_project(answer)
    assert not run.problem and not run.any_message("requested an async fixture"), _NOT_REACHED
    mismatch = run.any_message("ScopeMismatch")
    scope = match[1] if (match := re.search(r"with a (\w+) scoped request", mismatch)) else "module"
    assert not mismatch, (
        f"ScopeMismatch at set-up: the {scope}-scoped fixture `watcher` runs on the default loop scope, "
        "`function`, a loop that is closed after every test, and pytest will not let a longer-lived value "
        "depend on it. Give the fixture a loop that lives as long as it does: "
        f"`loop_scope=\"{scope}\"` in `@pytest_asyncio.fixture(...)`."
    )
    if run.starts == 0:
        error = run.any_message("") or "no test used it"
        if "event_loop" in error:
            error = ("a fixture asks for `event_loop`, which pytest-asyncio 1.0 removed (\"fixture 'event_loop' "
                     "not found\"). An async fixture already runs on its loop (`asyncio.get_running_loop()` "
                     "inside it gives that loop); `loop_scope=` chooses which loop it is")
        raise AssertionError(f"The fixture `watcher` was never set up: {error}.")


def _watcher_serves_both_tests(answer) -> None:
    run = run_as_project(answer)
    stopped = (
        run.problem or run.any_message("requested an async fixture") or run.any_message("ScopeMismatch")
        or not all(run.taken.get(t, False) for t in _WATCHER_TESTS) or run.starts == 0
    )
    assert not stopped, _NOT_REACHED
    failed = [t for t in _WATCHER_TESTS if run.outcome.get(t) != "passed"]
    if failed and run.starts == len(_WATCHER_TESTS):
        raise AssertionError(
            f"The watcher was started {run.starts} times, once per test, so the second test's watcher took its "
            "baseline after the sale and reported nothing. Keep `scope=\"module\"` on the fixture: one watcher "
            "for the whole module, on a loop that lives as long as the module."
        )
    idle = [t for t in failed if run.outcome.get(t) == "failed" and run.polls.get(t) == 0]
    assert not idle, (
        f"`{idle[0]}` failed{_where(run, idle[0])}, and the watcher did not poll once while it ran: the "
        "watcher's task lives on the fixture's loop, the test ran on a loop of its own, and a loop runs "
        "only while something waits on it. Put the tests on the fixture's loop: "
        "`@pytest.mark.asyncio(loop_scope=...)` with the fixture's loop scope, on each test or once for "
        "the module in `pytestmark`."
    )
    assert not failed, (
        f"`{failed[0]}` did not pass{_where(run, failed[0])}: {run.message.get(failed[0]) or 'it did not run'}"
    )
    assert run.starts == 1, (
        f"The watcher was started {run.starts} times: one watcher must serve the whole module "
        "(keep `scope=\"module\"` on the fixture)."
    )


SHARED_WATCHER = Exercise(
    id="02-shared-watcher",
    title="One watcher for the module, in strict mode",
    kind="code",
    points=4,
    requires=_WATCHER_TESTS,
    hints=(
        "Strict mode takes nothing for granted: pytest-asyncio runs only what is declared as its own, the "
        "async tests and the async fixtures alike.",
        "Each async fixture has two scopes: how long its value lives (`scope`) and which loop it runs on "
        "(`loop_scope`). A watcher kept for the module needs a loop kept for the module, and the tests "
        "that read it must run on that same loop.",
        "The answer: `@pytest_asyncio.fixture(scope=\"module\", loop_scope=\"module\")` on `watcher`, and "
        "`@pytest.mark.asyncio(loop_scope=\"module\")` on each test (or once: "
        "`pytestmark = pytest.mark.asyncio(loop_scope=\"module\")`).",
    ),
    checks=(
        Check("pytest-asyncio runs the async fixture", _watcher_fixture_runs, hint=(
            "In strict mode pytest-asyncio takes an async fixture only when it is declared as its own: look at "
            "the fixture's decorator, and at the package it comes from.")),
        Check("pytest-asyncio runs both async tests", _watcher_tests_are_taken, hint=(
            "In strict mode an async test runs only when it is marked for pytest-asyncio: one test at a time, "
            "or every test of the module at once.")),
        Check("the watcher's loop lives as long as the watcher", _watcher_loop_outlives_it, hint=(
            "A fixture kept for the whole module needs an event loop kept as long: the fixture's decorator "
            "takes a second scope, for its loop.")),
        Check("both tests pass, on the watcher's loop, with one watcher for the module", _watcher_serves_both_tests,
              hint=("The watcher's task polls only while its own loop runs, so the tests must run on the "
                    "fixture's loop rather than on a fresh one each; and one watcher, kept for the module, "
                    "serves both.")),
    ),
)

EXERCISES = (FIRST_IN_STOCK, RETRY_TESTS, LOW_STOCK_TESTS, SHARED_WATCHER)
