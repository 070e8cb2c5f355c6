"""Chapter 2, pytest-asyncio: the exercises of ``exercises/02_pytest_asyncio.ipynb``.

Solutions live in ``solutions/02_pytest_asyncio.ipynb``; this module holds everything else.
"""

from __future__ import annotations

from catalog import CatalogClient, FakeCatalog

from course.exercises.model import Check, Exercise, Variant
from course.exercises.support import SHELF, not_a_coroutine as _not_a_coroutine

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

EXERCISES = (FIRST_IN_STOCK, RETRY_TESTS, LOW_STOCK_TESTS)
