"""Helpers shared by every chapter's checks, so no exercise module imports another chapter's.

A check is easiest to read when it builds its world in one line (``client(FakeCatalog(SHELF))``)
and states the one thing it asserts; what every chapter needs for that lives here.
"""

from __future__ import annotations

import asyncio

from catalog import CatalogClient, FakeCatalog, Product

SHELF = (
    Product("apple", "Apple", 50, 3),
    Product("bread", "Bread", 250, 0),
    Product("cheese", "Cheese", 900, 12),
)
"""A small catalog: one product low on stock, one out of stock, one plentiful."""


def client(catalog: FakeCatalog) -> CatalogClient:
    """A real ``CatalogClient`` talking to ``catalog`` in-process (use it with ``async with``)."""
    return CatalogClient.for_app(catalog)


def not_a_coroutine(value: object, what: str) -> None:
    """Fail with the learner's most likely mistake when ``value`` is an un-awaited coroutine."""
    assert not asyncio.iscoroutine(value), (
        f"{what} returned a coroutine object, not a value: a call to an `async def` function "
        "is missing its `await`."
    )
