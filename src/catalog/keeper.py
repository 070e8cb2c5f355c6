"""``StockKeeper``: change stock levels by a delta, safely when many tasks do it at once.

The service can only *set* a level (``PUT /products/{sku}/stock``), so "sell 2 pears" is a
read-modify-write over the network: read the level, subtract, write the result back. Two tasks
doing that to the same product at once both read the old level, and the second write undoes the
first: a *lost update*. Each read and write is an ``await``, and at every ``await`` another task
may run; that is where the race lives. A lock per sku makes each adjustment of a product wait
for the previous one to finish, while adjustments of different products still run concurrently.
(``Reservations`` guards orders the same way. The lock protects only the tasks that share this
keeper; other clients of the service would need the service's help, such as a conditional write.)

The keeper also lets tasks wait for a level, a back-order for 10 pears, say: ``wait_for_stock``
waits on an ``asyncio.Condition`` that every recorded level notifies, and each waiter re-checks
its own predicate. Unlike ``RestockNotifier``, which reacts to what a ``StockWatcher`` observes
(any client's changes, seen at the next poll), the keeper knows the levels it wrote itself, or was
told about with ``record``, and knows them at once.
"""

from __future__ import annotations

import asyncio

from catalog.client import CatalogClient
from catalog.errors import CatalogError
from catalog.models import Product


class InsufficientStock(CatalogError):
    """An adjustment would take a product's stock below 0. Nothing was written."""

    def __init__(self, sku: str, stock: int, delta: int) -> None:
        super().__init__(
            f"cannot take {-delta} of {sku!r}: only {stock} in stock; nothing was changed"
        )
        self.sku = sku
        self.stock = stock
        self.delta = delta


class StockKeeper:
    """Adjusts stock levels through ``client``, one adjustment at a time per sku.

    ``adjust(sku, delta)`` adds ``delta`` (negative to take stock) and returns the updated
    product; concurrent adjustments of one sku are applied one after another, none lost.
    ``wait_for_stock(sku, at_least)`` waits until the keeper knows a level of at least
    ``at_least`` for ``sku`` and returns that level.
    """

    def __init__(self, client: CatalogClient) -> None:
        self._client = client
        # One lock per sku, made on first use and kept: a lock is a few hundred bytes, and a
        # lock dropped while a task waits on it would let the next task make a second one.
        self._locks: dict[str, asyncio.Lock] = {}
        self._levels: dict[str, int] = {}
        self._changed = asyncio.Condition()

    def level(self, sku: str) -> int | None:
        """The last level of ``sku`` this keeper wrote or was told about; None if none."""
        return self._levels.get(sku)

    async def adjust(self, sku: str, delta: int) -> Product:
        """Add ``delta`` to the stock of ``sku``; the updated product.

        Raises ``InsufficientStock`` (and writes nothing) if the result would be below 0, and
        ``NotFound`` for an unknown sku. Waits for any adjustment of ``sku`` already running.
        """
        lock = self._locks.setdefault(sku, asyncio.Lock())
        async with lock:
            product = await self._client.get_product(sku)
            stock = product.stock + delta
            if stock < 0:
                raise InsufficientStock(sku, product.stock, delta)
            updated = await self._client.set_stock(sku, stock)
            await self.record(sku, updated.stock)
        return updated

    async def record(self, sku: str, stock: int) -> None:
        """Note that ``sku`` now has ``stock`` (learned elsewhere, e.g. from a ``StockChange``),
        and wake every task waiting in ``wait_for_stock``."""
        async with self._changed:
            self._levels[sku] = stock
            self._changed.notify_all()

    async def wait_for_stock(self, sku: str, at_least: int) -> int:
        """Wait until the known level of ``sku`` is at least ``at_least``; that level.

        Returns at once if it already is. A level the keeper does not know yet counts as not
        enough.
        """

        def enough() -> bool:
            level = self._levels.get(sku)
            return level is not None and level >= at_least

        async with self._changed:
            # wait_for re-checks after every wake-up: a change to another sku, or to a level
            # still too low, wakes this task too, and it goes back to waiting.
            await self._changed.wait_for(enough)
            return self._levels[sku]
