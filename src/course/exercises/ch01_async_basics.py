"""Chapter 1, async basics: the exercises of ``exercises/01_async_basics.ipynb``.

Solutions live in ``solutions/01_async_basics.ipynb``; this module holds everything else.
"""

from __future__ import annotations

import asyncio

from catalog import FakeCatalog, NotFound
from course.exercises.model import Check, Exercise, Variant
from course.exercises.support import SHELF
from course.exercises.support import client as _client
from course.exercises.support import not_a_coroutine as _not_a_coroutine

# --- 01-forgotten-await ---------------------------------------------------------------------------


async def _needs_restock_values(answer) -> None:
    async with _client(FakeCatalog(SHELF)) as client:
        for sku, minimum, expected in (
            ("apple", 5, True),
            ("cheese", 5, False),
            ("bread", 1, True),
            ("apple", 3, False),
        ):
            got = await answer.needs_restock(client, sku, minimum)
            _not_a_coroutine(got, "needs_restock")
            assert got is expected, (
                f"needs_restock(client, {sku!r}, {minimum}) returned {got!r}; expected {expected!r} "
                f"(stock of {sku!r} is {next(p.stock for p in SHELF if p.sku == sku)})."
            )


async def _needs_restock_missing(answer) -> None:
    async with _client(FakeCatalog(SHELF)) as client:
        try:
            await answer.needs_restock(client, "durian", 1)
        except NotFound:
            return
        raise AssertionError("needs_restock(client, 'durian', 1) must let NotFound propagate for an unknown sku.")


FORGOTTEN_AWAIT = Exercise(
    id="01-forgotten-await",
    title="The forgotten await",
    kind="code",
    points=2,
    requires=("needs_restock",),
    hints=(
        "Read the error: which object has no attribute `stock`? What does calling an `async def` function give you?",
        "`client.get_product(sku)` creates a coroutine object; only `await` runs it and gives you the Product.",
        "Write `product = await client.get_product(sku)`.",
    ),
    checks=(
        Check("answers True exactly when stock is below the minimum", _needs_restock_values),
        Check("lets NotFound propagate for an unknown sku", _needs_restock_missing,
              hint="Do not catch `NotFound` here: the caller decides what an unknown sku means."),
    ),
)


# --- 01-concurrent-total --------------------------------------------------------------------------


async def _total_value(answer) -> None:
    async with _client(FakeCatalog(SHELF)) as client:
        got = await answer.total_stock(client, ["apple", "cheese"])
        _not_a_coroutine(got, "total_stock")
        assert got == 15, f"total_stock(client, ['apple', 'cheese']) returned {got!r}; expected 3 + 12 = 15."


async def _total_empty(answer) -> None:
    async with _client(FakeCatalog(SHELF)) as client:
        got = await answer.total_stock(client, [])
        assert got == 0, f"total_stock(client, []) returned {got!r}; the total of no products is 0."


async def _total_concurrent(answer) -> None:
    catalog = FakeCatalog(SHELF, latency=1.0)
    async with _client(catalog) as client:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await answer.total_stock(client, ["apple", "bread", "cheese"])
        elapsed = loop.time() - start
    assert elapsed == 1.0, (
        f"With 1 s of latency per request, fetching 3 products took {elapsed:g} s (virtual time); "
        "concurrent requests take 1 s in total. Start all the requests before awaiting any of them."
    )


async def _total_not_found(answer) -> None:
    async with _client(FakeCatalog(SHELF)) as client:
        try:
            await answer.total_stock(client, ["apple", "durian"])
        except NotFound:
            return
        except BaseExceptionGroup:
            raise AssertionError(
                "total_stock raised an ExceptionGroup; let the NotFound itself propagate "
                "(asyncio.gather does; a TaskGroup wraps errors in a group)."
            ) from None
        raise AssertionError("total_stock(client, ['apple', 'durian']) must raise NotFound for the unknown sku.")


CONCURRENT_TOTAL = Exercise(
    id="01-concurrent-total",
    title="Total stock, fetched concurrently",
    kind="code",
    points=4,
    requires=("total_stock",),
    hints=(
        "Awaiting the requests one after another in a loop makes them sequential: each waits for the previous one.",
        "Create all the coroutines first, then await them together with `asyncio.gather(...)`.",
        "`products = await asyncio.gather(*(client.get_product(s) for s in skus))`, then sum the stock.",
    ),
    checks=(
        Check("adds up the stock of the products", _total_value),
        Check("returns 0 for no skus", _total_empty),
        Check("fetches the products concurrently", _total_concurrent,
              hint="Awaiting one request after another makes them sequential: start them all, then wait for all."),
        Check("lets NotFound propagate for an unknown sku", _total_not_found,
              hint="The caller must see the `NotFound` itself: `asyncio.gather` raises it; a TaskGroup wraps it in "
                   "an ExceptionGroup, and `return_exceptions=True` hides it."),
    ),
)


# --- 01-gather-limited-tests ----------------------------------------------------------------------

_WORKER_POOL = '''
async def gather_limited(operations, *, limit):
    """A pool of `limit` workers taking operations from a shared iterator."""
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    pending = list(enumerate(operations))
    results = [None] * len(pending)
    queue = iter(pending)

    async def worker():
        for index, operation in queue:
            results[index] = await operation()

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(limit, len(pending))):
                group.create_task(worker())
    except BaseExceptionGroup as failures:
        error = failures.exceptions[0]
    else:
        return results
    raise error
'''

GATHER_LIMITED_TESTS = Exercise(
    id="01-gather-limited-tests",
    title="Tests for gather_limited",
    kind="tests",
    points=6,
    target="catalog.limits:gather_limited",
    hints=(
        "Each bug breaks one promise of the docstring: input order, the limit, errors, bad arguments.",
        "Make operations that record how many run at once (a counter around `await asyncio.sleep(...)`), "
        "and give them different delays so they finish in a different order than they started.",
        "Assert `max_running == limit` exactly (not `<=`), the exact result list, "
        "`pytest.raises(TheError)` for a failing operation, and `pytest.raises(ValueError)` for limit=0.",
    ),
    wheats=(
        Variant("reference", "the course's implementation: a semaphore and a TaskGroup"),
        Variant(
            "worker-pool",
            "`limit` workers pull operations from a shared iterator; as valid as a semaphore",
            source=_WORKER_POOL,
        ),
    ),
    chaffs=(
        Variant(
            "no limit",
            "Does anything check that no more than `limit` operations run at the same time?",
            edits=(("async with semaphore:\n            return await operation()", "return await operation()"),),
        ),
        Variant(
            "limit off by one",
            "Is the number of operations running together exactly `limit`, or could it be one more?",
            edits=(("asyncio.Semaphore(limit)", "asyncio.Semaphore(limit + 1)"),),
        ),
        Variant(
            "one at a time",
            "Do your tests notice if the operations run one after another instead of concurrently?",
            edits=(("asyncio.Semaphore(limit)", "asyncio.Semaphore(1)"),),
        ),
        Variant(
            "completion order",
            "Do results come back in input order even when a later operation finishes first?",
            edits=(
                ("semaphore = asyncio.Semaphore(limit)\n", "semaphore = asyncio.Semaphore(limit)\n    finished = []\n"),
                (
                    "            return await operation()",
                    "            result = await operation()\n"
                    "            finished.append(result)\n"
                    "            return result",
                ),
                ("return [task.result() for task in tasks]", "return finished"),
            ),
        ),
        Variant(
            "error wrapped in a group",
            "What exactly is raised when one operation fails: the error itself?",
            edits=(("first_error = failures.exceptions[0]", "first_error = failures"),),
        ),
        Variant(
            "limit 0 accepted", "What should happen for a limit below 1?", edits=(("if limit < 1:", "if limit < 0:"),)
        ),
    ),
    weak_suites=(
        # Equal delays and `<=` on the limit: the classic weak concurrency test.
        """
import asyncio
from catalog.limits import gather_limited

async def test_results_and_limit():
    running = peak = 0
    async def op(value):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(1)
        running -= 1
        return value
    ops = [lambda v=v: op(v) for v in range(6)]
    assert await gather_limited(ops, limit=2) == list(range(6))
    assert peak <= 2
""",
        # Checks concurrency by time only, with a limit large enough for everything.
        """
import asyncio, pytest
from catalog.limits import gather_limited

@pytest.mark.looptime
async def test_runs_concurrently():
    loop = asyncio.get_running_loop()
    start = loop.time()
    async def op():
        await asyncio.sleep(1)
        return 1
    assert await gather_limited([op, op, op], limit=3) == [1, 1, 1]
    assert loop.time() - start == 1
""",
    ),
)

EXERCISES = (FORGOTTEN_AWAIT, CONCURRENT_TOTAL, GATHER_LIMITED_TESTS)
