"""feed_products and collect: products in arrival order, and END after the last one, always."""

import asyncio

import pytest

from catalog import CatalogClient, FakeCatalog, NotFound
from catalog.feed import END, Feed, collect, feed_products

pytestmark = pytest.mark.looptime


def test_end_has_a_readable_repr() -> None:
    assert repr(END) == "END"


async def test_products_arrive_in_answer_order_then_end(client: CatalogClient, server: FakeCatalog) -> None:
    server.latency = 0.5
    server.set_latency("apple", 1.5)  # below the client's 2 s timeout
    queue: Feed = asyncio.Queue()
    await feed_products(client, ["apple", "pear", "plum"], queue)
    items = [queue.get_nowait() for _ in range(queue.qsize())]
    assert [getattr(item, "sku", item) for item in items] == ["pear", "plum", "apple", END]
    assert asyncio.get_running_loop().time() == 1.5


async def test_a_consumer_gets_the_first_product_before_the_slowest_is_fetched(
    client: CatalogClient, server: FakeCatalog
) -> None:
    server.latency = 0.5
    server.set_latency("apple", 1.5)
    queue: Feed = asyncio.Queue()
    async with asyncio.TaskGroup() as group:
        group.create_task(feed_products(client, ["apple", "pear"], queue))
        first = await queue.get()
        assert getattr(first, "sku", None) == "pear"
        assert asyncio.get_running_loop().time() == 0.5
        assert [product.sku for product in await collect(queue)] == ["apple"]


async def test_collect_returns_everything_up_to_end(client: CatalogClient) -> None:
    queue: Feed = asyncio.Queue()
    async with asyncio.TaskGroup() as group:
        group.create_task(feed_products(client, ["plum", "pear"], queue))
        products = await collect(queue)
    assert sorted(product.sku for product in products) == ["pear", "plum"]


async def test_no_skus_is_just_end(client: CatalogClient) -> None:
    queue: Feed = asyncio.Queue()
    await feed_products(client, [], queue)
    assert await collect(queue) == []


async def test_a_failed_fetch_still_ends_the_feed_and_raises(client: CatalogClient, server: FakeCatalog) -> None:
    server.latency = 0.5
    server.set_latency("kiwi", 1.0)
    server.set_latency("apple", 1.5)
    queue: Feed = asyncio.Queue()
    with pytest.RaisesGroup(NotFound):  # the TaskGroup reports the producer's error
        async with asyncio.TaskGroup() as group:
            group.create_task(feed_products(client, ["pear", "kiwi", "apple"], queue))
            products = await collect(queue)
            assert [product.sku for product in products] == ["pear"]  # apple was cancelled
    assert asyncio.get_running_loop().time() == 1.0


async def test_at_most_max_concurrency_requests_at_once(server: FakeCatalog) -> None:
    server.latency = 1.0
    async with CatalogClient.for_app(server, max_concurrency=2) as client:
        queue: Feed = asyncio.Queue()
        await feed_products(client, ["apple", "pear", "plum"], queue)
    assert server.max_in_flight == 2
    assert asyncio.get_running_loop().time() == 2.0
