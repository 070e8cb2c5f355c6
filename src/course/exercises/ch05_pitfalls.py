"""Chapter 5, pitfalls: the exercises of ``exercises/05_pitfalls.ipynb``.

Solutions live in ``solutions/05_pitfalls.ipynb``; this module holds everything else.

One check here needs a detection the shared checker does not have: whether the learner's code read
a file *on the event loop's thread* (blocking I/O). ``_file_opens`` does it with an audit hook (every
``open()``, however it is reached, raises the ``open`` audit event in the thread that opens), so the
verdict is exact and costs no waiting; no duration is measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from catalog import FakeCatalog, NotFound, StockChange, StockWatcher
from course.exercises.model import Check, Exercise, Variant
from course.exercises.support import SHELF
from course.exercises.support import client as _client
from course.exercises.support import not_a_coroutine as _not_a_coroutine

# --- blocking-I/O detection: which thread opened a file ---------------------------------------------

_watched: dict[str, list[bool]] = {}
"""File name -> for each time it was opened, whether an event loop was running in that thread."""
_hook: list[bool] = []
"""Holds True once the audit hook is installed. A list, not a rebound global: the grader's tamper
check (``course.grade.tamper``) fingerprints what this module's names are bound to."""


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Called for every audited operation of the process, in the thread doing it: keep it cheap and
    # never let it raise.
    if event != "open" or not _watched:
        return
    try:
        name = os.path.basename(os.fsdecode(args[0]))
    except (TypeError, ValueError):  # a file descriptor, or something else that is not a path
        return
    opens = _watched.get(name)
    if opens is not None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            opens.append(False)
        else:
            opens.append(True)


@contextlib.contextmanager
def _file_opens(path: Path) -> Iterator[list[bool]]:
    """Record every opening of ``path`` (by its unique name) while the block runs."""
    if not _hook:
        sys.addaudithook(_audit)  # audit hooks cannot be removed; this one is idle unless watching
        _hook.append(True)
    opens: list[bool] = []
    _watched[path.name] = opens
    try:
        yield opens
    finally:
        _watched.pop(path.name, None)


@contextlib.contextmanager
def _stock_file(text: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="course-") as folder:
        path = Path(folder) / f"stock-{uuid.uuid4().hex[:12]}.csv"
        path.write_text(text)
        yield path


# --- 05-stock-file --------------------------------------------------------------------------------


async def _stock_file_sets_levels(answer) -> None:
    catalog = FakeCatalog(SHELF)
    with _stock_file("apple,7\nbread,4\n") as path:
        async with _client(catalog) as client:
            got = await answer.apply_stock_file(client, path)
    _not_a_coroutine(got, "apply_stock_file")
    levels = {sku: catalog.products[sku].stock for sku in ("apple", "bread")}
    assert levels == {"apple": 7, "bread": 4}, (
        f"After apply_stock_file on a file with `apple,7` and `bread,4`, the catalog holds {levels}; "
        "every listed product must have its new stock when the call returns (await every update)."
    )
    assert got == 2, f"apply_stock_file returned {got!r}; it updated 2 products, so it must return 2."


async def _stock_file_concurrent(answer) -> None:
    catalog = FakeCatalog(SHELF, latency=1.0)
    with _stock_file("apple,1\nbread,2\ncheese,3\n") as path:
        async with _client(catalog) as client:
            await answer.apply_stock_file(client, path)
    assert catalog.max_in_flight > 0, (
        "apply_stock_file returned before any update reached the catalog: await the updates "
        "(all together) before returning."
    )
    assert catalog.max_in_flight == 3, (
        f"The three updates were sent with at most {catalog.max_in_flight} in flight at once; start them "
        "all before awaiting any (asyncio.gather or a TaskGroup), instead of awaiting each in turn."
    )


async def _stock_file_off_the_loop(answer) -> None:
    with _stock_file("apple,7\n") as path, _file_opens(path) as opens:
        async with _client(FakeCatalog(SHELF)) as client:
            await answer.apply_stock_file(client, path)
    assert opens, "apply_stock_file never opened the file it was given; read the levels from `path`."
    assert not any(opens), (
        "apply_stock_file read the file on the event loop's thread: file I/O blocks the whole loop while "
        "the disk works, and every other task waits. Read it in a worker thread with "
        "`await asyncio.to_thread(...)`."
    )


def _holds_not_found(error: BaseException) -> bool:
    if isinstance(error, NotFound):
        return True
    return isinstance(error, BaseExceptionGroup) and error.subgroup(NotFound) is not None


async def _stock_file_unknown_sku(answer) -> None:
    catalog = FakeCatalog(SHELF)
    catalog.set_latency("durian", 1.0)  # the failure arrives last, once the other updates are done
    with _stock_file("apple,7\ndurian,1\n") as path:
        async with _client(catalog) as client:
            try:
                await answer.apply_stock_file(client, path)
            except BaseException as error:  # anything but NotFound is the learner's bug
                if _holds_not_found(error):
                    return
                raise
    raise AssertionError(
        "apply_stock_file returned normally for a file that lists `durian`, which the catalog does not "
        "have: the NotFound was lost (swallowed by an `except`, returned by "
        "`gather(..., return_exceptions=True)`, or raised in a task nobody awaited). Let it reach the caller."
    )


STOCK_FILE = Exercise(
    id="05-stock-file",
    title="A stock file, applied without blocking",
    kind="code",
    points=5,
    requires=("apply_stock_file",),
    hints=(
        "The draft has two pitfalls: a call whose result is thrown away, and a file read that holds the event loop.",
        "`client.set_stock(...)` only creates a coroutine: the updates must be awaited, all together. "
        "Reading a file blocks the thread: hand the read to a worker thread.",
        "`text = await asyncio.to_thread(Path(path).read_text)`, then "
        "`await asyncio.gather(*(client.set_stock(sku, int(stock)) for sku, stock in levels))`.",
    ),
    checks=(
        Check("sets the stock of every listed product and returns how many", _stock_file_sets_levels),
        Check("sends the updates concurrently", _stock_file_concurrent),
        Check("reads the file without blocking the event loop", _stock_file_off_the_loop, points=2),
        Check("lets the NotFound of an unknown sku reach the caller", _stock_file_unknown_sku),
    ),
)


# --- 05-wait-for-change ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _watched_catalog():
    """A fake catalog and a watcher of its bread, polling every second from t=0 (the baseline)."""
    catalog = FakeCatalog(SHELF)
    async with _client(catalog) as client, StockWatcher(client, ["bread"], interval=1.0) as watcher:
        await asyncio.sleep(0.5)  # t=0.5: after the baseline poll, before the next one at t=1
        yield catalog, watcher


def _restock_bread(catalog: FakeCatalog) -> None:
    catalog.products["bread"] = replace(catalog.products["bread"], stock=5)


async def _call(answer, watcher: StockWatcher, seconds: float) -> Any:
    try:
        got = await answer.wait_for_change(watcher, seconds)
    except TimeoutError:
        raise AssertionError(
            f"wait_for_change(watcher, {seconds:g}) raised TimeoutError when no change came in time; "
            "catch it and return None."
        ) from None
    _not_a_coroutine(got, "wait_for_change")
    return got


BREAD_RESTOCKED = StockChange("bread", old=0, new=5)


async def _change_as_soon_as_reported(answer) -> None:
    async with _watched_catalog() as (catalog, watcher):
        _restock_bread(catalog)
        got = await _call(answer, watcher, 10)
        at = asyncio.get_running_loop().time()
    assert got == BREAD_RESTOCKED, f"wait_for_change returned {got!r}; expected {BREAD_RESTOCKED!r}."
    assert at == 1.0, (
        f"wait_for_change returned at t={at:g} s, but the watcher reported the change at t=1 s (its next "
        "poll). Return as soon as the change is on the queue: await the queue itself, with the timeout "
        "as its bound, instead of sleeping or polling."
    )


async def _none_after_the_timeout(answer) -> None:
    async with _watched_catalog() as (_, watcher):
        got = await _call(answer, watcher, 3)
        at = asyncio.get_running_loop().time()
    assert got is None, f"wait_for_change returned {got!r} although nothing changed; expected None."
    assert at == 3.5, (
        f"Called at t=0.5 s with a timeout of 3 s, wait_for_change gave up at t={at:g} s; it must wait the "
        "whole timeout (until t=3.5 s), no less and no more."
    )


async def _nothing_lost_after_a_timeout(answer) -> None:
    async with _watched_catalog() as (catalog, watcher):
        first = await _call(answer, watcher, 0.2)
        assert first is None, f"wait_for_change(watcher, 0.2) returned {first!r} although nothing changed."
        _restock_bread(catalog)
        got = await _call(answer, watcher, 10)
    assert got == BREAD_RESTOCKED, (
        f"After one call had timed out, the next call returned {got!r} instead of the restock: the change "
        "was lost. Was something from the first call still waiting on the queue (a task never cancelled) "
        "and took it? Leave nothing waiting behind when the timeout expires."
    )


async def _a_waiting_change_at_once(answer) -> None:
    async with _watched_catalog() as (_, watcher):
        waiting = StockChange("bread", old=2, new=1)
        watcher.changes.put_nowait(waiting)
        loop = asyncio.get_running_loop()
        start = loop.time()
        got = await _call(answer, watcher, 5)
        elapsed = loop.time() - start
    assert got == waiting, f"A change was already on the queue; wait_for_change returned {got!r} instead of it."
    assert elapsed == 0, (
        f"A change was already waiting, yet wait_for_change took {elapsed:g} s to return it; return it at once."
    )


WAIT_FOR_CHANGE = Exercise(
    id="05-wait-for-change",
    title="Wait for a change, but not forever",
    kind="code",
    points=4,
    requires=("wait_for_change",),
    hints=(
        "Awaiting the queue alone can wait forever; sleeping first and then looking is time used as a "
        "signal. Await the queue, and bound that await.",
        "`asyncio.timeout(seconds)` (or `asyncio.wait_for`) bounds an await on the loop's clock and raises "
        "`TimeoutError` when the time is up; turn that into `None`.",
        "`try:` / `async with asyncio.timeout(timeout): return await watcher.changes.get()` / "
        "`except TimeoutError: return None`.",
    ),
    checks=(
        Check("returns a change as soon as the watcher reports it", _change_as_soon_as_reported),
        # An answer that never times out is stopped by the virtual-time limit: 600 polls of the watcher,
        # honest work that a loaded machine can stretch past the check limit (the verdict must not
        # depend on which limit comes first).
        Check("returns None after exactly `timeout` seconds without a change", _none_after_the_timeout, time_scale=3),
        Check("loses no change after a timeout", _nothing_lost_after_a_timeout, time_scale=3),
        Check("returns a change that is already waiting at once", _a_waiting_change_at_once),
    ),
)


# --- 05-reservation-tests -------------------------------------------------------------------------

_SEMAPHORE_PER_SKU = '''
async def reserve(self, sku, quantity):
    """One asyncio.Semaphore(1) per sku instead of a Lock: the same mutual exclusion, kept elsewhere."""
    if quantity < 1:
        raise ValueError(f"quantity must be >= 1, got {quantity}")
    turns = self.__dict__.setdefault("_turns", {})
    turn = turns.setdefault(sku, asyncio.Semaphore(1))
    async with turn:
        current = (await self._client.get_product(sku)).stock
        if quantity > current:
            raise OutOfStock(sku, quantity, current)
        return await self._client.set_stock(sku, current - quantity)
'''

_LOCKED_BLOCK = (
    "    async with self._lock_for(sku):\n"
    "        product = await self._client.get_product(sku)\n"
    "        if product.stock < quantity:\n"
    "            raise OutOfStock(sku, quantity, product.stock)\n"
    "        return await self._client.set_stock(sku, product.stock - quantity)\n"
)
_LOCK_AROUND_THE_READ_ONLY = (
    "    async with self._lock_for(sku):\n"
    "        product = await self._client.get_product(sku)\n"
    "    if product.stock < quantity:\n"
    "        raise OutOfStock(sku, quantity, product.stock)\n"
    "    return await self._client.set_stock(sku, product.stock - quantity)\n"
)

RESERVATION_TESTS = Exercise(
    id="05-reservation-tests",
    title="Tests for Reservations that the lock must pass",
    kind="tests",
    points=6,
    target="catalog.reservations:Reservations.reserve",
    hints=(
        "A test that reserves one order after the other passes with or without the lock: reservations "
        "awaited in turn never overlap, so there is nothing to exclude.",
        "Make two reservations of the same sku run at the same time, with latency on the fake service so "
        "that their steps would interleave, and check what only exclusion guarantees: no update lost, and "
        "only one of two orders competing for the last items succeeds.",
        "Exclusion must not spread to other skus: two reservations of different skus take as long as one "
        "(virtual time) and are in flight together. And the boundary: is reserving the whole stock allowed?",
    ),
    wheats=(
        Variant("reference", "the course's implementation: one asyncio.Lock per sku"),
        Variant("semaphore per sku", "a Semaphore(1) per sku, kept in another attribute: the same exclusion; "
                "how it is stored is not part of the contract", source=_SEMAPHORE_PER_SKU),
    ),
    chaffs=(
        Variant("no lock", "Do your tests make two reservations of the same sku overlap, and check that no "
                "update is lost?",
                edits=(("async with self._lock_for(sku):", "if True:  # no lock"),)),
        Variant("a new lock per call", "A lock that each call creates for itself excludes nobody: do your tests "
                "notice two overlapping reservations of one sku?",
                edits=(("self._lock_for(sku)", "asyncio.Lock()"),)),
        Variant("lock released before the write", "Is the stock still protected between the read and the write? "
                "With equal latencies this bug shows only in some schedules; hold the first reservation's write "
                "open (an asyncio.Event in a client wrapper) and check whether the second one reads meanwhile.",
                edits=((_LOCKED_BLOCK, _LOCK_AROUND_THE_READ_ONLY),)),
        Variant("one lock for every sku", "Do reservations of different skus still run at the same time, or "
                "does one wait for the other?",
                edits=(("self._lock_for(sku)", "self._lock_for('every sku')"),)),
        Variant("the whole stock refused", "May an order take exactly the whole stock?",
                edits=(("product.stock < quantity", "product.stock <= quantity"),)),
    ),
    weak_suites=(
        # Reservations one after the other, and an order larger than the stock: the first tests
        # people write. They never overlap and never touch the boundary.
        '''
import pytest
from catalog import CatalogClient, FakeCatalog, Product
from catalog.reservations import OutOfStock, Reservations

SHELF = [Product("apple", "Apple", 50, 5)]

async def test_two_reservations_in_a_row():
    server = FakeCatalog(SHELF)
    async with CatalogClient.for_app(server) as client:
        reservations = Reservations(client)
        await reservations.reserve("apple", 1)
        await reservations.reserve("apple", 2)
    assert server.products["apple"].stock == 2

async def test_too_large_an_order_is_refused():
    async with CatalogClient.for_app(FakeCatalog(SHELF)) as client:
        with pytest.raises(OutOfStock):
            await Reservations(client).reserve("apple", 6)
''',
    ),
)

EXERCISES = (STOCK_FILE, WAIT_FOR_CHANGE, RESERVATION_TESTS)
