"""set_stock_levels(): a queue, a pool of workers and sentinels, proven on virtual time.

The fake server's ``max_in_flight`` is the pool size as the service sees it, and with 1 s of
latency per request the loop's clock counts the rounds: 6 updates through 3 workers take 2 s.
"""

import asyncio

import pytest

from catalog import CatalogClient, FakeCatalog, NotFound, Product, set_stock_levels

pytestmark = pytest.mark.looptime(end=60)

SHELF = [Product(sku, sku.title(), price_cents=100, stock=0) for sku in "abcdef"]


@pytest.fixture
def server() -> FakeCatalog:
    return FakeCatalog(SHELF, latency=1.0)


@pytest.mark.parametrize(
    ("count", "workers", "seconds"), [(6, 3, 2), (7, 3, 3), (3, 3, 1), (2, 5, 1), (4, 1, 4)]
)
async def test_exactly_workers_requests_in_flight(
    server: FakeCatalog, looptime: float, count: int, workers: int, seconds: int
) -> None:
    levels = [(sku, 5) for sku in "abcdef"[:count]]
    if count == 7:
        levels.append(("a", 7))
    async with CatalogClient.for_app(server) as client:
        await set_stock_levels(client, levels, workers=workers)
    assert server.max_in_flight == min(workers, count)  # the limit exactly, no less
    assert looptime == seconds
    assert len(server.requests) == count


async def test_results_in_input_order_when_they_finish_in_another(server: FakeCatalog) -> None:
    server.set_latency("a", 1.5)
    server.set_latency("b", 1.25)
    async with CatalogClient.for_app(server) as client:
        products = await set_stock_levels(client, [("a", 1), ("b", 2), ("c", 3)])
    assert [(p.sku, p.stock) for p in products] == [("a", 1), ("b", 2), ("c", 3)]
    assert server.products["b"].stock == 2


async def test_no_levels_and_a_generator_of_levels(server: FakeCatalog) -> None:
    async with CatalogClient.for_app(server) as client:
        assert await set_stock_levels(client, []) == []
        products = await set_stock_levels(client, ((sku, 9) for sku in "ab"), workers=1)
    assert [p.stock for p in products] == [9, 9]


async def test_the_producer_reads_a_level_only_when_there_is_room(server: FakeCatalog) -> None:
    read: list[str] = []

    def levels():
        for sku in "abcdef":
            read.append(sku)
            yield sku, 1

    async with CatalogClient.for_app(server) as client:
        task = asyncio.create_task(set_stock_levels(client, levels(), workers=2))
        await asyncio.sleep(0.5)  # 2 updates in flight, 2 in the queue (maxsize=workers)
        assert read == list("abcd") or read == list("abcde")
        await task
    assert read == list("abcdef")


async def test_the_first_failure_stops_the_pipeline_and_is_raised_as_itself(
    server: FakeCatalog, looptime: float
) -> None:
    server.set_latency("durian", 0.5)
    async with CatalogClient.for_app(server) as client:
        with pytest.raises(NotFound) as caught:
            await set_stock_levels(client, [("a", 1), ("durian", 1), ("b", 1), ("c", 1)], workers=2)
    assert caught.value.sku == "durian"
    assert not isinstance(caught.value.__context__, BaseExceptionGroup)
    assert looptime == 0.5  # a's request was cancelled, not awaited
    assert server.products["a"].stock == 0
    assert ("PUT", "/products/c/stock") not in server.requests


@pytest.mark.parametrize("workers", [0, -1])
async def test_workers_must_be_positive(server: FakeCatalog, workers: int) -> None:
    async with CatalogClient.for_app(server) as client:
        with pytest.raises(ValueError, match=rf"workers must be >= 1 .*, got {workers}"):
            await set_stock_levels(client, [("a", 1)], workers=workers)
    assert server.requests == []


async def test_three_workers_by_default(server: FakeCatalog, looptime: float) -> None:
    async with CatalogClient.for_app(server) as client:
        await set_stock_levels(client, [(sku, 5) for sku in "abcdef"])
    assert server.max_in_flight == 3
