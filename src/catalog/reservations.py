"""``Reservations``: take stock out of the catalog for orders, safely when orders arrive at once.

The catalog's API offers only "read a product" and "set its stock", so a reservation is a
read-modify-write over the network: read the stock, check that there is enough, write the new
level. Each step awaits, and while one reservation waits for its answer another can run. Two
reservations of the same sku at once would then both read the same stock, both pass the check,
and the second write would overwrite the first: one order is lost and the stock is oversold.

An ``asyncio.Lock`` per sku makes the reservations of one sku take turns, from the read to the
write; reservations of different skus still run concurrently. (A service that offered an atomic
"take n if available" request would make the lock unnecessary; this one does not.)

Testing it is the lesson of chapter 5's hollow concurrency tests: a test that reserves one order
at a time passes with or without the lock. Only overlapping reservations, with latency for the
steps to interleave, tell the difference.
"""

from __future__ import annotations

import asyncio

from catalog.client import CatalogClient
from catalog.errors import CatalogError
from catalog.models import Product


class OutOfStock(CatalogError):
    """Fewer items are in stock than a reservation asks for; the stock was left unchanged."""

    def __init__(self, sku: str, wanted: int, available: int) -> None:
        super().__init__(f"cannot reserve {wanted} of {sku!r}: only {available} in stock")
        self.sku = sku
        self.wanted = wanted
        self.available = available


class Reservations:
    """Reserves stock through ``client``: ``await reservations.reserve("apple", 2)``.

    Reservations of the same sku are serialised; of different skus, concurrent. Create one
    ``Reservations`` per client and share it: the locks live in it, so two instances would not
    exclude each other.
    """

    def __init__(self, client: CatalogClient) -> None:
        self._client = client
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock_for(self, sku: str) -> asyncio.Lock:
        lock = self._locks.get(sku)
        if lock is None:
            lock = self._locks[sku] = asyncio.Lock()
        return lock

    async def reserve(self, sku: str, quantity: int) -> Product:
        """Take ``quantity`` items of ``sku`` out of stock; returns the updated product.

        Raises ``OutOfStock`` (stock unchanged) when fewer than ``quantity`` are in stock: taking
        the whole stock is fine. ``NotFound`` for an unknown sku, ``ValueError`` for a quantity
        below 1. When two reservations compete for the last items, one of them gets them and the
        other raises ``OutOfStock``; which one is not specified.
        """
        if quantity < 1:
            raise ValueError(f"quantity must be >= 1, got {quantity}")
        async with self._lock_for(sku):
            product = await self._client.get_product(sku)
            if product.stock < quantity:
                raise OutOfStock(sku, quantity, product.stock)
            return await self._client.set_stock(sku, product.stock - quantity)
