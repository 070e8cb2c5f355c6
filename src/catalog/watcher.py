"""``StockWatcher``: a background task that polls stock levels and queues the changes.

It is the package's example of an async resource with a lifecycle: ``start()`` creates a
task, ``aclose()`` cancels it *and waits for it to finish*, and ``async with`` guarantees
the second happens. A task that is never awaited outlives its test, and shows up later as
"Task was destroyed but it is pending!" or as a request made after the client closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from catalog.client import CatalogClient
from catalog.errors import RetriesExhausted, TransientError


@dataclass(frozen=True)
class StockChange:
    """The stock of ``sku`` went from ``old`` to ``new`` between two polls."""

    sku: str
    old: int
    new: int


class StockWatcher:
    """Polls ``skus`` every ``interval`` seconds and puts a ``StockChange`` on ``changes``.

    The first poll happens at ``start()`` and only records a baseline; later polls emit one
    change per sku whose stock differs from the previous successful poll, in input order.
    ``interval`` is the pause between the end of one poll and the start of the next.

    Transient failures (``TransientError``, ``RetriesExhausted``) are counted in ``errors``
    and the watcher keeps polling: an outage should not kill a monitor. Anything else
    (``NotFound``, a malformed product) is a bug in the setup: it ends the task, and
    ``aclose()`` re-raises it so that it cannot go unnoticed.
    """

    def __init__(
        self, client: CatalogClient, skus: Iterable[str], *, interval: float = 1.0
    ) -> None:
        if interval <= 0:
            raise ValueError(
                f"interval must be > 0 seconds (the pause between polls), got {interval}"
            )
        self._client = client
        # Materialised: the skus are polled again and again, and an iterator would be
        # empty from the second poll on.
        self._skus = list(skus)
        self.interval = interval
        self.changes: asyncio.Queue[StockChange] = asyncio.Queue()
        self.errors = 0
        self._stock: dict[str, int] | None = None  # None until the first successful poll
        self._task: asyncio.Task[None] | None = None
        self._closed = False  # pragma: no mutate - only its truth is read

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The polling task, once started: tests check that ``aclose()`` leaves it done."""
        return self._task

    def start(self) -> None:
        """Start polling in a background task. Must be called with an event loop running."""
        if self._task is not None or self._closed:
            raise RuntimeError(
                "a StockWatcher can be started only once; create a new StockWatcher instead"
            )
        try:
            # Asked before the coroutine exists: from sync code, this fails cleanly instead
            # of also leaving a never-awaited coroutine behind.
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "StockWatcher.start() needs a running event loop: call it from async code, "
                "or use `async with StockWatcher(...)`"
            ) from None
        self._task = loop.create_task(self._run(), name=f"StockWatcher{self._skus}")

    async def aclose(self) -> None:
        """Stop polling: cancel the task and wait until it has finished. Safe to call twice.

        If the task had already died of an error, that error is raised here.
        """
        if self._closed:
            return
        self._closed = True
        task = self._task
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            # Either the task's own cancellation (the one we just asked for: expected), or
            # the caller of aclose() being cancelled while it waits. `cancelling()` counts
            # cancel requests against the *current* task, which tells the two apart; the
            # caller's must propagate, or cancelling whoever is closing us would not work.
            current = asyncio.current_task()
            assert current is not None  # we are awaiting, so we run inside a task
            if current.cancelling():
                raise

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _run(self) -> None:
        while True:
            await self._poll()
            await asyncio.sleep(self.interval)

    async def _poll(self) -> None:
        try:
            products = await self._client.get_products(self._skus)
        except (TransientError, RetriesExhausted):
            self.errors += 1
            return
        stock = {product.sku: product.stock for product in products}
        if self._stock is not None:
            for sku, new in stock.items():
                old = self._stock[sku]
                if new != old:
                    self.changes.put_nowait(StockChange(sku, old, new))
        self._stock = stock
