"""StockWatcher: a background task, tested on virtual time.

With ``interval=1`` the watcher polls at t=0 (baseline), 1, 2, ... of loop time. A test
that sleeps 2.5 s of virtual time has seen exactly three polls, and waits for none of them.
"""

import asyncio
import dataclasses
from typing import Any

import pytest

from catalog import (
    CatalogClient,
    FakeCatalog,
    NotFound,
    Product,
    RetriesExhausted,
    StockChange,
    StockWatcher,
    TransientError,
)

# `end=60`: if a bug kept the watcher polling forever, virtual time would race on without
# limit and the test would never return; past 60 s of loop time, looptime fails it instead.
pytestmark = pytest.mark.looptime(end=60)


def set_stock(server: FakeCatalog, sku: str, stock: int) -> None:
    """Change the fake's data directly: the watcher must notice without a request of ours."""
    server.products[sku] = dataclasses.replace(server.products[sku], stock=stock)


async def next_change(watcher: StockWatcher, within: float = 10) -> StockChange:
    """The next queued change; a test that expects one must not wait forever for it."""
    async with asyncio.timeout(within):
        return await watcher.changes.get()


def drain(watcher: StockWatcher) -> list[StockChange]:
    changes = []
    while not watcher.changes.empty():
        changes.append(watcher.changes.get_nowait())
    return changes


# --- polling -------------------------------------------------------------------------------


async def test_polls_every_interval_and_the_first_poll_is_a_baseline(
    client: CatalogClient, server: FakeCatalog
) -> None:
    async with StockWatcher(client, ["apple", "pear"]) as watcher:
        await asyncio.sleep(2.5)
        assert server.requests == [("GET", "/products/apple"), ("GET", "/products/pear")] * 3
        assert drain(watcher) == []
        assert watcher.errors == 0


async def test_a_change_is_reported_at_the_next_poll(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    async with StockWatcher(client, ["apple", "pear"]) as watcher:
        await asyncio.sleep(0.5)
        set_stock(server, "pear", 1)
        assert await next_change(watcher) == StockChange("pear", old=3, new=1)
        assert looptime == 1
        await asyncio.sleep(2)
        assert drain(watcher) == []  # reported once, not at every poll


async def test_changes_in_one_poll_are_queued_in_input_order(
    client: CatalogClient, server: FakeCatalog
) -> None:
    async with StockWatcher(client, ["pear", "apple", "plum"], interval=0.25) as watcher:
        await asyncio.sleep(0.1)
        set_stock(server, "apple", 9)
        set_stock(server, "pear", 2)
        await asyncio.sleep(0.25)
        assert drain(watcher) == [StockChange("pear", 3, 2), StockChange("apple", 10, 9)]


async def test_each_change_is_relative_to_the_previous_poll(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    async with StockWatcher(client, ["plum"], interval=2) as watcher:
        await asyncio.sleep(1)
        set_stock(server, "plum", 5)
        assert await next_change(watcher) == StockChange("plum", 0, 5)
        set_stock(server, "plum", 0)
        assert await next_change(watcher) == StockChange("plum", 5, 0)
        assert looptime == 4


async def test_skus_may_be_any_iterable(client: CatalogClient, server: FakeCatalog) -> None:
    async with StockWatcher(client, (sku for sku in ["apple"])):
        await asyncio.sleep(1.5)
    assert server.requests == [("GET", "/products/apple")] * 2


async def test_the_poll_time_adds_to_the_interval(
    client: CatalogClient, server: FakeCatalog
) -> None:
    server.latency = 0.5  # polls start at t=0, 1.5, 3.0
    async with StockWatcher(client, ["apple"]):
        await asyncio.sleep(3.1)
    assert len(server.requests) == 3


@pytest.mark.parametrize("interval", [0, -1])
async def test_interval_must_be_positive(client: CatalogClient, interval: float) -> None:
    expected = rf"interval must be > 0 seconds \(the pause between polls\), got {interval}"
    with pytest.raises(ValueError, match=expected):
        StockWatcher(client, ["apple"], interval=interval)


def test_a_stock_change_is_an_immutable_value() -> None:
    change = StockChange("pear", old=3, new=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.new = 2  # type: ignore[misc]
    assert {change, StockChange("pear", 3, 1)} == {change}  # frozen, so hashable by value


# --- errors --------------------------------------------------------------------------------


async def test_transient_errors_are_counted_and_polling_goes_on(
    server: FakeCatalog, looptime: float
) -> None:
    async with CatalogClient.for_app(server, attempts=1) as client, StockWatcher(client, ["apple"]) as watcher:
        await asyncio.sleep(0.5)
        server.fail_next(2)  # the polls at t=1 and t=2 fail
        set_stock(server, "apple", 4)
        await asyncio.sleep(2)
        assert watcher.errors == 2
        assert drain(watcher) == []
        # The baseline survived the errors: the change is reported against it.
        assert await next_change(watcher) == StockChange("apple", 10, 4)
        assert looptime == 3


async def test_a_failed_first_poll_leaves_no_baseline(
    server: FakeCatalog, looptime: float
) -> None:
    server.fail_next(1, status=500)
    async with CatalogClient.for_app(server, attempts=1) as client, StockWatcher(client, ["apple"]) as watcher:
        await asyncio.sleep(1.5)  # t=0 failed; t=1 is the baseline
        set_stock(server, "apple", 4)
        assert await next_change(watcher) == StockChange("apple", 10, 4)
        assert (watcher.errors, looptime) == (1, 2)


class ScriptedClient:
    """A stand-in client whose get_products raises or returns the next scripted result."""

    def __init__(self, *results: Any) -> None:
        self.results = list(results)

    async def get_products(self, skus: Any) -> Any:
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


async def test_both_kinds_of_transient_error_are_counted() -> None:
    apple = Product("apple", "Apple", price_cents=50, stock=10)
    client: Any = ScriptedClient(
        [apple], TransientError("503"), RetriesExhausted(3), [apple], [apple]
    )
    async with StockWatcher(client, ["apple"]) as watcher:
        await asyncio.sleep(3.5)
        assert watcher.errors == 2
        assert watcher.task is not None and not watcher.task.done()


async def test_a_permanent_error_ends_the_watcher_and_aclose_reraises_it(
    client: CatalogClient, server: FakeCatalog
) -> None:
    watcher = StockWatcher(client, ["apple", "kiwi"])
    watcher.start()
    await asyncio.sleep(5)
    assert watcher.task is not None and watcher.task.done()
    assert len(server.requests) == 2  # it stopped polling at the first NotFound
    with pytest.raises(NotFound) as caught:
        await watcher.aclose()
    assert caught.value.sku == "kiwi"
    await watcher.aclose()  # reported once; closing again is a no-op


async def test_async_with_reraises_the_permanent_error(client: CatalogClient) -> None:
    with pytest.raises(NotFound):
        async with StockWatcher(client, ["kiwi"]):
            await asyncio.sleep(1)


# --- lifecycle -----------------------------------------------------------------------------


async def test_aclose_cancels_and_awaits_the_task(
    client: CatalogClient, server: FakeCatalog
) -> None:
    watcher = StockWatcher(client, ["apple"])
    assert watcher.task is None
    watcher.start()
    await asyncio.sleep(1.5)
    await watcher.aclose()
    assert watcher.task is not None
    assert watcher.task.done() and watcher.task.cancelled()
    requests = len(server.requests)
    await asyncio.sleep(5)
    assert len(server.requests) == requests == 2  # no poll after aclose


async def test_aclose_is_idempotent_and_fine_before_start(client: CatalogClient) -> None:
    watcher = StockWatcher(client, ["apple"])
    await watcher.aclose()
    await watcher.aclose()
    assert watcher.task is None

    async with StockWatcher(client, ["apple"]) as started:
        await asyncio.sleep(0.5)
    await started.aclose()
    assert started.task is not None and started.task.cancelled()


async def test_a_watcher_starts_only_once(client: CatalogClient) -> None:
    message = "a StockWatcher can be started only once; create a new StockWatcher instead"
    async with StockWatcher(client, ["apple"]) as watcher:
        with pytest.raises(RuntimeError, match=message):
            watcher.start()
    with pytest.raises(RuntimeError, match=message):
        watcher.start()  # not even after closing

    closed_before_start = StockWatcher(client, ["apple"])
    await closed_before_start.aclose()
    with pytest.raises(RuntimeError, match=message):
        closed_before_start.start()
    assert closed_before_start.task is None


def test_start_needs_a_running_loop() -> None:
    client: Any = ScriptedClient()
    watcher = StockWatcher(client, ["apple"])
    with pytest.raises(RuntimeError, match=r"start\(\) needs a running event loop: call it from"):
        watcher.start()
    assert watcher.task is None


async def test_cancelling_the_caller_of_aclose_is_not_swallowed(client: CatalogClient) -> None:
    watcher = StockWatcher(client, ["apple"])
    watcher.start()
    await asyncio.sleep(0.5)
    closer = asyncio.create_task(watcher.aclose())
    await asyncio.sleep(0)  # let the closer cancel the watcher and start awaiting it
    closer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closer
    assert closer.cancelled()
    assert watcher.task is not None and watcher.task.done()


async def test_the_background_task_is_named_after_the_watcher_and_its_skus(client: CatalogClient) -> None:
    # asyncio names the task in its reports ("Task was destroyed but it is pending!"), and so do debuggers.
    async with StockWatcher(client, ["apple", "pear"]) as watcher:
        assert watcher.task is not None and watcher.task.get_name() == "StockWatcher['apple', 'pear']"
