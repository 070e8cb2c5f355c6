"""StockKeeper: mutual exclusion per sku, and waiters woken by a Condition, on virtual time.

With 1 s of latency, one adjustment (a GET, then a PUT) takes 2 s. The fake's ``max_in_flight``
shows mutual exclusion from the service's side: adjustments of one sku never overlap (1), while
adjustments of two skus do (2).
"""

import asyncio
import itertools

import pytest

from catalog import (
    CatalogClient,
    CatalogError,
    FakeCatalog,
    InsufficientStock,
    NotFound,
    Product,
    StockKeeper,
)

pytestmark = pytest.mark.looptime(end=60)

SHELF = [
    Product("apple", "Apple", price_cents=50, stock=3),
    Product("pear", "Pear", price_cents=80, stock=0),
]


@pytest.fixture
def server() -> FakeCatalog:
    return FakeCatalog(SHELF, latency=1.0)


@pytest.fixture
async def keeper(server: FakeCatalog):
    async with CatalogClient.for_app(server) as client:
        yield StockKeeper(client)


async def test_adjust_adds_the_delta_and_returns_the_product(
    server: FakeCatalog, keeper: StockKeeper
) -> None:
    assert keeper.level("apple") is None
    product = await keeper.adjust("apple", 4)
    assert product == Product("apple", "Apple", price_cents=50, stock=7)
    assert server.products["apple"].stock == 7
    assert keeper.level("apple") == 7
    assert server.requests == [("GET", "/products/apple"), ("PUT", "/products/apple/stock")]


async def test_concurrent_adjustments_of_one_sku_never_overlap(
    server: FakeCatalog, keeper: StockKeeper, looptime: float
) -> None:
    await asyncio.gather(keeper.adjust("apple", 5), keeper.adjust("apple", 2), keeper.adjust("apple", -1))
    assert server.products["apple"].stock == 9  # 3 + 5 + 2 - 1: no update lost
    assert server.max_in_flight == 1  # one request at a time for this sku
    assert server.requests == [("GET", "/products/apple"), ("PUT", "/products/apple/stock")] * 3
    assert looptime == 6


async def test_adjustments_of_different_skus_run_concurrently(
    server: FakeCatalog, keeper: StockKeeper, looptime: float
) -> None:
    await asyncio.gather(keeper.adjust("apple", 1), keeper.adjust("pear", 1))
    assert server.max_in_flight == 2
    assert looptime == 2


@pytest.mark.parametrize("order", list(itertools.permutations([5, 2, -1])))
@pytest.mark.parametrize("offset", [0.0, 0.5, 1.5, 2.5])
async def test_no_start_order_or_offset_loses_an_update(
    server: FakeCatalog, keeper: StockKeeper, order: tuple[int, ...], offset: float
) -> None:
    async def adjust_later(delay: float, delta: int) -> None:
        await asyncio.sleep(delay)
        await keeper.adjust("apple", delta)

    await asyncio.gather(*(adjust_later(i * offset, delta) for i, delta in enumerate(order)))
    assert server.products["apple"].stock == 9
    assert server.max_in_flight == 1


async def test_too_little_stock_is_refused_without_writing(
    server: FakeCatalog, keeper: StockKeeper
) -> None:
    with pytest.raises(InsufficientStock, match="cannot take 4 of 'apple': only 3 in stock") as caught:
        await keeper.adjust("apple", -4)
    assert isinstance(caught.value, CatalogError)
    assert (caught.value.sku, caught.value.stock, caught.value.delta) == ("apple", 3, -4)
    assert server.requests == [("GET", "/products/apple")]
    assert keeper.level("apple") is None


async def test_a_failed_adjustment_releases_the_lock(server: FakeCatalog, keeper: StockKeeper) -> None:
    with pytest.raises(InsufficientStock):
        await keeper.adjust("apple", -10)
    async with asyncio.timeout(10):  # a lock left held would make this wait forever
        assert (await keeper.adjust("apple", -3)).stock == 0
    with pytest.raises(NotFound):
        await keeper.adjust("durian", 1)


async def test_a_waiter_wakes_when_the_level_is_reached_and_not_before(
    keeper: StockKeeper, looptime: float
) -> None:
    waiter = asyncio.create_task(keeper.wait_for_stock("apple", 10))
    other = asyncio.create_task(keeper.wait_for_stock("pear", 1))
    await asyncio.sleep(0)
    assert not waiter.done()  # waiting: the keeper knows no level of apple yet
    await keeper.adjust("apple", 4)  # 7: woken, still not enough, waits again
    await keeper.adjust("pear", 2)  # another sku: wakes it too, and it waits again
    await asyncio.sleep(0)
    assert not waiter.done()
    assert other.done() and other.result() == 2
    await keeper.adjust("apple", 5)  # 12
    assert await waiter == 12
    assert looptime == 6


async def test_a_known_level_answers_at_once_and_record_wakes_waiters(keeper: StockKeeper) -> None:
    await keeper.record("pear", 4)
    assert await keeper.wait_for_stock("pear", 4) == 4
    waiters = [asyncio.create_task(keeper.wait_for_stock("pear", n)) for n in (5, 6)]
    await asyncio.sleep(0)
    await keeper.record("pear", 6)
    assert await asyncio.gather(*waiters) == [6, 6]  # notify_all: every waiter woken
