"""``feed_products`` and ``collect``: hand products to a consumer as they arrive, then say "no more".

A producer and a consumer joined by an ``asyncio.Queue``: the producer fetches the products
concurrently and puts each one on the queue as soon as its answer arrives, so the consumer can
work on the first products while slower ones are still on their way.

The delicate part is how the consumer learns that the stream is over. "Nothing arrived for 0.1 s"
is not an answer: it is a guess about speed, wrong whenever one request takes longer than the
guess (a loaded service, a busy test machine), and a test built on it fails at random. Here the
producer puts a *sentinel*, ``END``, after the last product, and always puts it, even when a
fetch fails, so that a consumer never waits for a product that will not come. The error itself
reaches whoever awaits the producer.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable
from typing import Final

from catalog.client import CatalogClient
from catalog.limits import gather_limited
from catalog.models import Product


class _End:
    """The type of ``END``; its only instance."""

    def __repr__(self) -> str:
        return "END"


END: Final = _End()
"""The sentinel that follows the last product on a feed's queue."""

Feed = asyncio.Queue[Product | _End]
"""A queue of products, closed by ``END``."""


async def feed_products(client: CatalogClient, skus: Iterable[str], queue: Feed) -> None:
    """Fetch ``skus`` concurrently and put each product on ``queue`` as it arrives, then ``END``.

    Products come in the order their answers arrive, not the order of ``skus``; at most
    ``client.max_concurrency`` requests run at once. If a fetch fails (e.g. ``NotFound``), the
    other fetches are cancelled, ``END`` is still put, and the error is raised here.
    """

    async def fetch(sku: str) -> None:
        await queue.put(await client.get_product(sku))

    try:
        await gather_limited([functools.partial(fetch, sku) for sku in skus], limit=client.max_concurrency)
    finally:
        await queue.put(END)


async def collect(queue: Feed) -> list[Product]:
    """Take products off ``queue`` until ``END``; they come back in the order they were put."""
    products: list[Product] = []
    while not isinstance(item := await queue.get(), _End):
        products.append(item)
    return products
