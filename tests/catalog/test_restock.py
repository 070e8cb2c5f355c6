"""RestockNotifier: waiters woken by restocks, and a lifecycle that leaves nobody waiting.

The tests feed the notifier's queue directly (as a StockWatcher would), so every step is one
turn of the event loop: `await asyncio.sleep(0)` lets the notifier's task take the next change.
"""

import asyncio
from collections.abc import AsyncIterator

import pytest

from catalog import CatalogError, RestockNotifier, StockChange

# A deadlocked test would otherwise wait forever: no timer would ever move virtual time.
pytestmark = pytest.mark.looptime(end=60, idle_timeout=10)

PEAR_BACK = StockChange("pear", old=0, new=5)


@pytest.fixture
def changes() -> asyncio.Queue[StockChange]:
    return asyncio.Queue()


@pytest.fixture
async def notifier(changes: asyncio.Queue[StockChange]) -> AsyncIterator[RestockNotifier]:
    async with RestockNotifier(changes) as notifier:
        yield notifier


async def settle() -> None:
    """A few turns of the loop: enough for the notifier and the waiters to react."""
    for _ in range(5):
        await asyncio.sleep(0)


def waiter(notifier: RestockNotifier, sku: str) -> asyncio.Task[StockChange]:
    return asyncio.create_task(notifier.wait_for(sku))


# --- waking waiters ----------------------------------------------------------------------------


async def test_a_restock_wakes_every_waiter_for_that_sku(
    changes: asyncio.Queue[StockChange], notifier: RestockNotifier
) -> None:
    first, second, other = waiter(notifier, "pear"), waiter(notifier, "pear"), waiter(notifier, "plum")
    await settle()
    assert (notifier.waiting("pear"), notifier.waiting("plum")) == (2, 1)
    changes.put_nowait(PEAR_BACK)
    assert await first == await second == PEAR_BACK
    assert not other.done()
    assert (notifier.waiting("pear"), notifier.waiting("plum")) == (0, 1)
    other.cancel()


async def test_only_a_change_from_zero_to_more_is_a_restock(
    changes: asyncio.Queue[StockChange], notifier: RestockNotifier
) -> None:
    pear = waiter(notifier, "pear")
    await settle()
    for change in (StockChange("pear", 3, 2), StockChange("pear", 2, 4), StockChange("pear", 4, 0),
                   StockChange("pear", 0, 0)):  # from nothing to nothing is no restock either
        changes.put_nowait(change)
    await settle()
    assert not pear.done()
    changes.put_nowait(StockChange("pear", 0, 1))
    assert await pear == StockChange("pear", 0, 1)


async def test_a_restock_nobody_waited_for_is_not_kept(
    changes: asyncio.Queue[StockChange], notifier: RestockNotifier
) -> None:
    changes.put_nowait(PEAR_BACK)
    await settle()
    late = waiter(notifier, "pear")
    await settle()
    assert not late.done()  # waits for the *next* restock
    changes.put_nowait(StockChange("pear", 0, 2))
    assert await late == StockChange("pear", 0, 2)


# --- cancelled waiters -------------------------------------------------------------------------


async def test_a_cancelled_waiter_is_forgotten(
    changes: asyncio.Queue[StockChange], notifier: RestockNotifier
) -> None:
    gone, staying = waiter(notifier, "pear"), waiter(notifier, "pear")
    await settle()
    gone.cancel()
    await settle()
    assert gone.cancelled()
    assert notifier.waiting("pear") == 1
    changes.put_nowait(PEAR_BACK)
    assert await staying == PEAR_BACK


async def test_a_wait_that_times_out_is_forgotten(notifier: RestockNotifier) -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(1):
            await notifier.wait_for("pear")
    assert notifier.waiting("pear") == 0


async def test_a_waiter_cancelled_as_its_sku_is_restocked_does_not_break_the_notifier(
    changes: asyncio.Queue[StockChange], notifier: RestockNotifier
) -> None:
    gone = waiter(notifier, "pear")
    await settle()
    changes.put_nowait(PEAR_BACK)  # the notifier's task runs before the cancelled waiter does
    gone.cancel()
    await settle()
    assert gone.cancelled()
    assert notifier.task is not None and not notifier.task.done()
    later = waiter(notifier, "pear")
    await settle()
    changes.put_nowait(StockChange("pear", 0, 1))
    assert await later == StockChange("pear", 0, 1)


# --- lifecycle ---------------------------------------------------------------------------------


async def test_closing_fails_every_waiter_and_ends_the_task(
    changes: asyncio.Queue[StockChange],
) -> None:
    notifier = RestockNotifier(changes)
    assert (notifier.task, notifier.closed) == (None, False)
    notifier.start()
    pear, plum = waiter(notifier, "pear"), waiter(notifier, "plum")
    await settle()
    await notifier.aclose()
    assert notifier.closed
    assert notifier.task is not None and notifier.task.cancelled()
    with pytest.raises(CatalogError, match="closed while waiting for 'pear'"):
        await pear
    with pytest.raises(CatalogError, match="closed while waiting for 'plum'"):
        await plum
    assert notifier.waiting("pear") == 0


async def test_a_waiter_cancelled_just_before_the_close_is_not_failed(notifier: RestockNotifier) -> None:
    gone = waiter(notifier, "pear")
    await settle()
    gone.cancel()  # its future is cancelled now; its clean-up runs at its next step
    await notifier.aclose()
    await settle()
    assert gone.cancelled()


async def test_async_with_closes_when_the_block_fails(changes: asyncio.Queue[StockChange]) -> None:
    with pytest.raises(ValueError, match="the block failed"):
        async with RestockNotifier(changes) as notifier:
            raise ValueError("the block failed")
    assert notifier.closed
    assert notifier.task is not None and notifier.task.done()


async def test_a_closed_notifier_refuses_waits(notifier: RestockNotifier) -> None:
    await notifier.aclose()
    with pytest.raises(CatalogError, match="the RestockNotifier is closed"):
        await notifier.wait_for("pear")
    assert notifier.waiting("pear") == 0


async def test_closing_twice_or_before_start_is_harmless(changes: asyncio.Queue[StockChange]) -> None:
    never_started = RestockNotifier(changes)
    await never_started.aclose()
    await never_started.aclose()
    assert never_started.closed and never_started.task is None

    async with RestockNotifier(changes) as notifier:
        pass
    await notifier.aclose()
    assert notifier.task is not None and notifier.task.cancelled()


async def test_waiting_needs_a_started_notifier(changes: asyncio.Queue[StockChange]) -> None:
    with pytest.raises(RuntimeError, match=r"start the RestockNotifier \(or use `async with`\)"):
        await RestockNotifier(changes).wait_for("pear")


async def test_a_notifier_starts_only_once(changes: asyncio.Queue[StockChange]) -> None:
    message = "a RestockNotifier can be started only once"
    async with RestockNotifier(changes) as notifier:
        with pytest.raises(RuntimeError, match=message):
            notifier.start()
    with pytest.raises(RuntimeError, match=message):
        notifier.start()
    closed_first = RestockNotifier(changes)
    await closed_first.aclose()
    with pytest.raises(RuntimeError, match=message):
        closed_first.start()


def test_start_needs_a_running_loop() -> None:
    notifier = RestockNotifier(asyncio.Queue())
    with pytest.raises(RuntimeError, match=r"start\(\) needs a running event loop"):
        notifier.start()
    assert notifier.task is None


async def test_cancelling_the_caller_of_aclose_is_not_swallowed(notifier: RestockNotifier) -> None:
    closer = asyncio.create_task(notifier.aclose())
    await asyncio.sleep(0)  # the closer cancels the task and starts waiting for it
    closer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closer
    assert notifier.task is not None and notifier.task.done()


async def test_waiting_from_another_loop_is_refused_by_asyncio(
    changes: asyncio.Queue[StockChange], notifier: RestockNotifier
) -> None:
    """The notifier is bound to its loop: what chapter 3 shows happening between loop scopes."""

    def wait_on_a_new_loop() -> None:
        asyncio.run(notifier.wait_for("pear"))

    with pytest.raises(RuntimeError, match="attached to a different loop"):
        await asyncio.to_thread(wait_on_a_new_loop)
    assert notifier.waiting("pear") == 0


async def test_the_background_task_is_named_after_the_notifier(notifier: RestockNotifier) -> None:
    # asyncio names the task in its reports ("Task was destroyed but it is pending!"), and so do debuggers.
    assert notifier.task is not None and notifier.task.get_name() == "RestockNotifier"
