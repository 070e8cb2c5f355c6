"""Reports over the catalog: the processing layer that awaits the client.

These functions hold the business rules (what counts as low stock, how to value the
inventory) and leave fetching to ``CatalogClient``, so they can be tested against the fake
server without repeating the client's own tests.

Each sku is fetched once even if listed twice: a repeated sku is the same product on the
same shelf, and must not double its value.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from catalog.client import CatalogClient
from catalog.errors import NotFound
from catalog.limits import gather_limited


def _unique(skus: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(skus))  # dict keys keep the first-seen order


async def inventory_value(client: CatalogClient, skus: Iterable[str]) -> int:
    """Total value in cents of the stock of ``skus``: the sum of ``price_cents * stock``."""
    products = await client.get_products(_unique(skus))
    return sum(product.price_cents * product.stock for product in products)


async def low_stock(client: CatalogClient, skus: Iterable[str], *, threshold: int) -> list[str]:
    """The skus whose stock is strictly below ``threshold``, in input order."""
    products = await client.get_products(_unique(skus))
    return [product.sku for product in products if product.stock < threshold]


async def price_table(client: CatalogClient, skus: Iterable[str]) -> dict[str, int | None]:
    """Price in cents per sku, ``None`` for skus the catalog does not have.

    A missing product is an expected answer here (a price list may mention discontinued
    skus), so ``NotFound`` becomes ``None``; any other error still propagates, because a
    table silently full of ``None`` during an outage would look like mass discontinuation.
    """
    unique = _unique(skus)

    async def price_or_none(sku: str) -> int | None:
        try:
            return (await client.get_product(sku)).price_cents
        except NotFound:
            return None

    operations = [functools.partial(price_or_none, sku) for sku in unique]
    prices = await gather_limited(operations, limit=client.max_concurrency)
    return dict(zip(unique, prices, strict=True))  # pragma: no mutate - gather_limited returns one per sku
