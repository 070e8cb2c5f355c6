"""Chapter 6, testing concurrent code: the exercises of ``exercises/06_concurrency.ipynb``.

Solutions live in ``solutions/06_concurrency.ipynb``; this module holds everything else.
"""

from __future__ import annotations

import asyncio

from catalog import NotFound
from course.exercises.model import Check, Exercise, Variant
from course.exercises.support import not_a_coroutine as _not_a_coroutine

# --- 06-in-flight ---------------------------------------------------------------------------------


async def _pause(value, seconds: float = 1.0):
    await asyncio.sleep(seconds)
    return value


def _counts(tracked) -> str:
    return f"running={tracked.running!r}, peak={tracked.peak!r}"


async def _in_flight_passes_through(answer) -> None:
    async def echo(*args, **kwargs):
        await asyncio.sleep(0.5)
        return args, kwargs

    tracked = answer.InFlight(echo)
    got = await tracked(1, 2, key="k")
    _not_a_coroutine(got, "await tracked(...)")
    assert got == ((1, 2), {"key": "k"}), (
        f"`await InFlight(echo)(1, 2, key='k')` returned {got!r}; it must return what the wrapped function "
        "returns, called with the same positional and keyword arguments."
    )


async def _in_flight_overlap(answer) -> None:
    tracked = answer.InFlight(_pause)
    calls = [asyncio.create_task(tracked(n)) for n in range(3)]
    await asyncio.sleep(0.5)  # all three are inside their one-second pause
    during = (tracked.running, tracked.peak)
    results = await asyncio.gather(*calls)
    for result in results:
        _not_a_coroutine(result, "await tracked(...)")
    assert results == [0, 1, 2], f"Three overlapping calls returned {results!r}; expected [0, 1, 2]."
    assert during == (3, 3), (
        f"Halfway through three calls that all run at once, running and peak were {during}; expected "
        "(3, 3). Count a call as running from the moment it starts, before it awaits the function."
    )
    assert (tracked.running, tracked.peak) == (0, 3), (
        f"After three overlapping calls ended: {_counts(tracked)}; expected running=0, peak=3."
    )


async def _in_flight_sequential(answer) -> None:
    tracked = answer.InFlight(_pause)
    for n in range(3):
        await tracked(n)
    assert (tracked.running, tracked.peak) == (0, 1), (
        f"After three calls made one after another: {_counts(tracked)}; expected running=0, peak=1. "
        "The peak counts calls running *at the same time*, not calls made."
    )


async def _in_flight_highest(answer) -> None:
    from course import timeline

    tracked = answer.InFlight(_pause)
    # Busy from 0 to 2 s and from 0.5 to 2.5 s (two at once), then alone from 3 to 4 s. The calls are
    # started at those moments (not sleeping first inside the task), so the timeline's lanes show
    # exactly when each call was in flight.
    with timeline.record() as picture:
        first = asyncio.create_task(tracked("call 1", 2), name="call 1")
        await asyncio.sleep(0.5)
        second = asyncio.create_task(tracked("call 2", 2), name="call 2")
        await asyncio.gather(first, second)
        await asyncio.sleep(0.5)
        await asyncio.create_task(tracked("call 3", 1), name="call 3")
    assert tracked.peak == 2, (
        f"Two calls overlapped, then a third ran alone; peak is {tracked.peak!r}, expected 2. The peak is "
        "the highest number of calls ever running together: keep the maximum, do not overwrite it with the "
        "current count, and do not count calls that have already finished. The calls, in time (calls 1 and 2 "
        "both in flight from 0.5 to 2 s):\n"
        + picture.text(legend=False)
    )


async def _in_flight_error(answer) -> None:
    async def broken():
        await asyncio.sleep(1)
        raise NotFound("durian")

    tracked = answer.InFlight(broken)
    try:
        await tracked()
    except NotFound:
        pass
    else:
        raise AssertionError(
            "The wrapped function raised NotFound, and the wrapper did not raise it: let errors propagate."
        )
    assert tracked.running == 0, (
        f"After a call that raised: {_counts(tracked)}; a call that fails is over too, so running must go back "
        "to 0. Decrease it in a `finally:` block."
    )


async def _in_flight_cancelled(answer) -> None:
    tracked = answer.InFlight(_pause)
    call = asyncio.create_task(tracked(1, 10))
    await asyncio.sleep(1)
    call.cancel()
    try:
        await call
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("A call cancelled in the middle returned normally: let cancellation propagate.")
    assert tracked.running == 0, (
        f"After a call that was cancelled: {_counts(tracked)}; expected running=0. Cancellation raises "
        "`asyncio.CancelledError`, which is not an `Exception`: an `except Exception:` does not see it, "
        "a `finally:` block does."
    )


IN_FLIGHT = Exercise(
    id="06-in-flight",
    title="Count the calls in flight",
    kind="code",
    points=6,
    requires=("InFlight",),
    hints=(
        "A call is running from the moment it starts until it is over, however it ends (a result, an error, "
        "a cancellation). The peak is the highest number ever running together, not the number of calls.",
        "Increase `running` and update `peak` before awaiting the function; decrease `running` in a "
        "`finally:` block, so that errors and cancellations end the call too.",
        "`self.running += 1`, `self.peak = max(self.peak, self.running)`, then "
        "`try: return await self.func(*args, **kwargs)` / `finally: self.running -= 1`.",
    ),
    checks=(
        Check("returns what the wrapped function returns", _in_flight_passes_through),
        Check("counts calls that run at the same time", _in_flight_overlap),
        Check("calls made one after another never overlap", _in_flight_sequential),
        Check("the peak is the highest overlap ever reached", _in_flight_highest),
        Check("a call that raises is over, and its error propagates", _in_flight_error),
        Check("a cancelled call is over too", _in_flight_cancelled),
    ),
)


# --- 06-stock-levels-tests ------------------------------------------------------------------------

_STOCK_LEVELS_JOIN = '''
async def set_stock_levels(client, levels, *, workers=3):
    """Workers that run until cancelled: the end is `queue.join()`, not a sentinel."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    queue = asyncio.Queue(maxsize=workers)
    updated = {}

    async def work():
        while True:
            index, sku, stock = await queue.get()
            try:
                updated[index] = await client.set_stock(sku, stock)
            finally:
                queue.task_done()

    error = None
    try:
        async with asyncio.TaskGroup() as group:
            pool = [group.create_task(work()) for _ in range(workers)]
            for index, (sku, stock) in enumerate(levels):
                await queue.put((index, sku, stock))
            await queue.join()
            for task in pool:
                task.cancel()
    except BaseExceptionGroup as failures:
        error = failures.exceptions[0]
    if error is not None:
        raise error
    return [updated[index] for index in sorted(updated)]
'''

_STOCK_LEVELS_LIMITED = '''
import functools

from catalog.limits import gather_limited


async def set_stock_levels(client, levels, *, workers=3):
    """No queue at all: gather_limited runs the updates, `workers` at a time, results in input order."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    updates = [functools.partial(client.set_stock, sku, stock) for sku, stock in levels]
    return await gather_limited(updates, limit=workers)
'''

STOCK_LEVELS_TESTS = Exercise(
    id="06-stock-levels-tests",
    title="Tests for set_stock_levels",
    kind="tests",
    points=5,
    target="catalog.pipeline:set_stock_levels",
    hints=(
        "Each bug breaks one promise: the number of requests at once, the order of the answer, what is "
        "raised when an update fails, and whether the pipeline ends at all when it has several workers.",
        "A test with one worker, or with `max_in_flight <= workers`, or that sorts the products before "
        "comparing, cannot tell a broken pipeline from a correct one: which of those does your suite do?",
        "A pipeline that never ends makes your test wait for ever: bound the wait with `asyncio.timeout(...)` "
        "(free on virtual time), and a timeout is a bug caught. A test that only ever uses one worker never "
        "meets that bug.",
    ),
    wheats=(
        Variant("reference", "the course's implementation: a bounded queue, a worker pool, one sentinel per worker"),
        Variant("join", "workers that run until cancelled, ended by `queue.join()`: as valid as sentinels",
                source=_STOCK_LEVELS_JOIN),
        Variant("no queue", "gather_limited with `limit=workers`: the same promises without a queue",
                source=_STOCK_LEVELS_LIMITED),
    ),
    chaffs=(
        Variant("one sentinel for all the workers",
                "With several workers, does `set_stock_levels` return at all? Each worker stops only when it "
                "takes a sentinel of its own.",
                edits=(("        for _ in range(workers):\n            await queue.put(_DONE)",
                        "        await queue.put(_DONE)"),)),
        Variant("one worker too few",
                "Is the number of requests in flight exactly `workers` when there is enough work, or could it "
                "be one less? `<=` cannot tell.",
                edits=(("for _ in range(workers):\n                group.create_task(work())",
                        "for _ in range(1, workers):\n                group.create_task(work())"),)),
        Variant("products in completion order",
                "Do the products come back in the order of `levels` even when a later update finishes first?",
                edits=(("return [updated[index] for index in sorted(updated)]", "return list(updated.values())"),)),
        Variant("failed updates skipped",
                "What happens when one update fails (an unknown sku): is the error raised, or do the other "
                "products come back as if nothing happened?",
                edits=(("            updated[index] = await client.set_stock(sku, stock)\n",
                        "            try:\n                updated[index] = await client.set_stock(sku, stock)\n"
                        "            except Exception:\n                continue  # go on with the rest\n"),)),
        Variant("error wrapped in a group",
                "When an update fails, is the error itself raised (`pytest.raises(NotFound)`), or an "
                "ExceptionGroup around it?",
                edits=(("first_error = failures.exceptions[0]", "first_error = failures"),)),
    ),
    weak_suites=(
        # One worker, and the answer sorted before comparing: the pipeline's concurrency never shows.
        '''
from catalog import CatalogClient, FakeCatalog, Product
from catalog.pipeline import set_stock_levels

async def test_sets_the_levels():
    server = FakeCatalog([Product("a", "A", 100, 0), Product("b", "B", 100, 0)])
    async with CatalogClient.for_app(server) as client:
        products = await set_stock_levels(client, [("a", 5), ("b", 7)], workers=1)
    assert sorted(product.stock for product in products) == [5, 7]
    assert server.products["a"].stock == 5
''',
        # Several workers, but `<=` on the peak and only the number of products.
        '''
import asyncio
import pytest
from catalog import CatalogClient, FakeCatalog, Product
from catalog.pipeline import set_stock_levels

@pytest.mark.looptime
async def test_never_more_than_the_workers():
    server = FakeCatalog([Product(s, s, 100, 0) for s in "abcdef"], latency=1.0)
    async with CatalogClient.for_app(server) as client, asyncio.timeout(60):
        products = await set_stock_levels(client, [(s, 1) for s in "abcdef"], workers=3)
    assert len(products) == 6
    assert server.max_in_flight <= 3
''',
    ),
)


# --- 06-keeper-tests ------------------------------------------------------------------------------

_KEEPER_EVENTS = '''
import collections


class StockKeeper:
    """Locks from a defaultdict; waiters woken by replacing a shared Event at every change."""

    def __init__(self, client):
        self._client = client
        self._locks = collections.defaultdict(asyncio.Lock)
        self._levels = {}
        self._changed = asyncio.Event()

    def level(self, sku):
        return self._levels.get(sku)

    async def adjust(self, sku, delta):
        async with self._locks[sku]:
            product = await self._client.get_product(sku)
            if product.stock + delta < 0:
                raise InsufficientStock(sku, product.stock, delta)
            updated = await self._client.set_stock(sku, product.stock + delta)
            await self.record(sku, updated.stock)
            return updated

    async def record(self, sku, stock):
        self._levels[sku] = stock
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()  # wakes every task waiting on the old event; later waits use the new one

    async def wait_for_stock(self, sku, at_least):
        while True:
            level = self._levels.get(sku)
            if level is not None and level >= at_least:
                return level
            await self._changed.wait()
'''

_LOCKED_BLOCK = """        async with lock:
            product = await self._client.get_product(sku)
            stock = product.stock + delta
            if stock < 0:
                raise InsufficientStock(sku, product.stock, delta)
            updated = await self._client.set_stock(sku, stock)
            await self.record(sku, updated.stock)
        return updated"""

KEEPER_TESTS = Exercise(
    id="06-keeper-tests",
    title="Tests for StockKeeper",
    kind="tests",
    points=6,
    target="catalog.keeper:StockKeeper",
    hints=(
        "Each bug breaks one promise: one adjustment at a time per sku, the sku free again after a refusal, "
        "and every waiter woken exactly when its level is reached, not before and not never.",
        "A waiter that starts after the level is reached never waits, so it cannot catch a keeper that "
        "forgets to wake anyone: make the waiter wait first, and reach the level in more than one step.",
        "One waiter cannot tell waking one task from waking all of them, and a level above the one waited "
        "for cannot tell 'at least' from 'more than'. Sequential adjustments cannot tell a lock that is "
        "held to the end from one released half-way: the fake server's `max_in_flight` can.",
    ),
    wheats=(
        Variant("reference", "the course's implementation: a lock per sku and an asyncio.Condition"),
        Variant("events", "a defaultdict of locks, and waiters woken by an Event replaced at each change: as valid",
                source=_KEEPER_EVENTS),
    ),
    chaffs=(
        Variant("lock released too early",
                "Is the lock still held while the new level is written, or could another adjustment of the "
                "same sku read the old level in between?",
                edits=(("""            updated = await self._client.set_stock(sku, stock)
            await self.record(sku, updated.stock)
        return updated""", """        updated = await self._client.set_stock(sku, stock)
        await self.record(sku, updated.stock)
        return updated"""),)),
        Variant("lock kept after a refusal",
                "After an adjustment is refused with InsufficientStock, can the next adjustment of that sku "
                "still run?",
                edits=((_LOCKED_BLOCK, """        await lock.acquire()
        product = await self._client.get_product(sku)
        stock = product.stock + delta
        if stock < 0:
            raise InsufficientStock(sku, product.stock, delta)
        updated = await self._client.set_stock(sku, stock)
        await self.record(sku, updated.stock)
        lock.release()
        return updated"""),)),
        Variant("waiters never woken",
                "Is a task that is already waiting in wait_for_stock woken when the level is reached later?",
                edits=(("            self._changed.notify_all()\n", ""),)),
        Variant("only one waiter woken",
                "When two tasks wait for the same sku and the level is reached, are both woken?",
                edits=(("self._changed.notify_all()", "self._changed.notify()"),)),
        Variant("woken by any change",
                "Does a change that does not reach the level (or a change of another sku) end the wait too "
                "early?",
                edits=(("await self._changed.wait_for(enough)",
                        "if not enough():\n                await self._changed.wait()"),)),
        Variant("at least taken as more than",
                "Does a waiter for 5 wake when the level becomes exactly 5?",
                edits=(("level >= at_least", "level > at_least"),)),
    ),
    weak_suites=(
        # Adjustments one after another, and a waiter that starts once its level is already there.
        '''
from catalog import CatalogClient, FakeCatalog, Product, StockKeeper

async def test_adjust_and_wait():
    server = FakeCatalog([Product("a", "A", 100, 3)])
    async with CatalogClient.for_app(server) as client:
        keeper = StockKeeper(client)
        assert (await keeper.adjust("a", 5)).stock == 8
        assert (await keeper.adjust("a", -2)).stock == 6
        assert await keeper.wait_for_stock("a", 5) == 6
    assert server.products["a"].stock == 6
''',
    ),
)

EXERCISES = (IN_FLIGHT, STOCK_LEVELS_TESTS, KEEPER_TESTS)
