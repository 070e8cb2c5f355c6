"""Reservations: a per-sku lock around a read-modify-write, tested with overlapping reservations.

The fixture catalog: apple x 10, pear x 3, plum x 0. The tests of the lock make reservations
overlap, so that without the lock their steps would interleave. With the lock removed, or a new
lock made for each call, the tests of one sku fail; with the lock released before the write, the
test that holds the write open fails (and the one that counts requests in flight); with one lock
shared by every sku, the test of different skus fails.
"""

import asyncio

import pytest

from catalog import CatalogClient, CatalogError, FakeCatalog, NotFound
from catalog.reservations import OutOfStock, Reservations

pytestmark = pytest.mark.looptime


async def test_a_reservation_takes_the_quantity_out_of_stock(client: CatalogClient, server: FakeCatalog) -> None:
    updated = await Reservations(client).reserve("pear", 2)
    assert updated.stock == 1
    assert server.products["pear"].stock == 1
    assert server.requests == [("GET", "/products/pear"), ("PUT", "/products/pear/stock")]


async def test_the_whole_stock_can_be_reserved(client: CatalogClient, server: FakeCatalog) -> None:
    assert (await Reservations(client).reserve("pear", 3)).stock == 0


async def test_too_large_a_reservation_leaves_the_stock_alone(client: CatalogClient, server: FakeCatalog) -> None:
    with pytest.raises(OutOfStock, match=r"cannot reserve 4 of 'pear': only 3 in stock") as caught:
        await Reservations(client).reserve("pear", 4)
    assert (caught.value.sku, caught.value.wanted, caught.value.available) == ("pear", 4, 3)
    assert isinstance(caught.value, CatalogError)
    assert server.products["pear"].stock == 3
    assert [method for method, _ in server.requests] == ["GET"]


@pytest.mark.parametrize("quantity", [0, -1])
async def test_a_quantity_below_one_is_refused_before_any_request(
    client: CatalogClient, server: FakeCatalog, quantity: int
) -> None:
    with pytest.raises(ValueError, match="quantity must be >= 1"):
        await Reservations(client).reserve("pear", quantity)
    assert server.requests == []


async def test_an_unknown_sku_is_not_found(client: CatalogClient) -> None:
    with pytest.raises(NotFound):
        await Reservations(client).reserve("kiwi", 1)


async def test_overlapping_reservations_of_one_sku_take_turns(client: CatalogClient, server: FakeCatalog) -> None:
    server.latency = 1.0
    reservations = Reservations(client)
    first, second = await asyncio.gather(reservations.reserve("pear", 1), reservations.reserve("pear", 1))
    assert (first.stock, second.stock) == (2, 1)  # the second read what the first wrote
    assert server.products["pear"].stock == 1
    assert server.max_in_flight == 1
    assert asyncio.get_running_loop().time() == 4.0  # two reads and two writes, one after another


async def test_only_one_of_two_competing_reservations_gets_the_last_items(
    client: CatalogClient, server: FakeCatalog
) -> None:
    server.latency = 1.0
    reservations = Reservations(client)
    results = await asyncio.gather(
        reservations.reserve("pear", 2), reservations.reserve("pear", 2), return_exceptions=True
    )
    assert sorted(type(result).__name__ for result in results) == ["OutOfStock", "Product"]
    assert server.products["pear"].stock == 1


async def test_reservations_of_different_skus_run_concurrently(client: CatalogClient, server: FakeCatalog) -> None:
    server.latency = 1.0
    reservations = Reservations(client)
    await asyncio.gather(reservations.reserve("apple", 1), reservations.reserve("pear", 1))
    assert (server.products["apple"].stock, server.products["pear"].stock) == (9, 2)
    assert server.max_in_flight == 2
    assert asyncio.get_running_loop().time() == 2.0  # as long as one reservation alone


async def test_a_failed_reservation_releases_its_lock(client: CatalogClient, server: FakeCatalog) -> None:
    reservations = Reservations(client)
    with pytest.raises(OutOfStock):
        await reservations.reserve("pear", 5)
    assert (await reservations.reserve("pear", 3)).stock == 0


class HeldWrites:
    """Wraps a client: counts the reads, and holds every write until the test sets ``release``."""

    def __init__(self, client: CatalogClient) -> None:
        self._client = client
        self.reads = 0
        self.writing = asyncio.Event()
        self.release = asyncio.Event()

    async def get_product(self, sku: str):  # the client's signature
        self.reads += 1
        return await self._client.get_product(sku)

    async def set_stock(self, sku: str, stock: int):
        self.writing.set()
        await self.release.wait()
        return await self._client.set_stock(sku, stock)


async def test_the_lock_is_held_from_the_read_to_the_write(client: CatalogClient) -> None:
    # Equal latencies would let a lock released before the write pass in asyncio's default order;
    # holding the write open decides the interleaving instead of the timers.
    held = HeldWrites(client)
    reservations = Reservations(held)  # type: ignore[arg-type]
    first = asyncio.create_task(reservations.reserve("pear", 1))
    second = asyncio.create_task(reservations.reserve("pear", 1))
    async with asyncio.timeout(10):
        await held.writing.wait()
    await asyncio.sleep(0)
    assert held.reads == 1  # the second reservation waits for the lock, not for the stock
    held.release.set()
    assert [product.stock for product in await asyncio.gather(first, second)] == [2, 1]
