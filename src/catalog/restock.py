"""``RestockNotifier``: wait until a product is back in stock.

"Tell me when pears are back" is a feature most shops have. The notifier reads the
``StockChange`` items that a ``StockWatcher`` puts on its ``changes`` queue (any queue of them
will do), in a background task, and wakes everyone waiting for a sku whose stock goes from 0 to
more than 0.

It is the package's example of an object *bound to the event loop it was started on*, as a
database connection or a connection pool is: the futures its callers await are made by that
loop. A caller running on another loop cannot await them; asyncio refuses with "... attached to
a different loop". A test suite meets this when a fixture that starts the notifier and the tests
that use it run on different loops (chapter 3 of the course).

Its lifecycle, like ``StockWatcher``'s: ``start()`` creates the task, ``aclose()`` ends it *and
waits for it*, and fails every caller still waiting, so that nobody waits forever for a notifier
that is gone. ``async with`` guarantees ``aclose()``.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

from catalog.errors import CatalogError
from catalog.watcher import StockChange

_CLOSED = "the RestockNotifier is closed; create a new one (or use it inside `async with`)"


class RestockNotifier:
    """Wakes the callers of ``wait_for(sku)`` when ``sku`` comes back in stock.

    A change counts as a restock when the stock goes from 0 to more than 0; every other change
    is ignored. Each restock wakes every caller waiting for that sku at that moment.
    """

    def __init__(self, changes: asyncio.Queue[StockChange]) -> None:
        self._changes = changes
        self._waiters: dict[str, list[asyncio.Future[StockChange]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The background task, once started: tests check that ``aclose()`` leaves it done."""
        return self._task

    @property
    def closed(self) -> bool:
        """True once ``aclose()`` has been called."""
        return self._closed

    def waiting(self, sku: str) -> int:
        """How many callers are waiting for ``sku`` right now."""
        return len(self._waiters.get(sku, ()))

    def start(self) -> None:
        """Start reading the changes in a background task. Needs a running event loop."""
        if self._task is not None or self._closed:
            raise RuntimeError(
                "a RestockNotifier can be started only once; create a new RestockNotifier instead"
            )
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "RestockNotifier.start() needs a running event loop: call it from async code, "
                "or use `async with RestockNotifier(...)`"
            ) from None
        self._loop = loop
        self._task = loop.create_task(self._run(), name="RestockNotifier")

    async def wait_for(self, sku: str) -> StockChange:
        """Wait until ``sku`` is restocked; return that change.

        Raises ``CatalogError`` if the notifier is closed, or gets closed while waiting.
        """
        if self._closed:
            raise CatalogError(_CLOSED)
        if self._loop is None:
            raise RuntimeError("start the RestockNotifier (or use `async with`) before waiting on it")
        # Made by the notifier's loop, which is the one that will resolve it: this is what binds
        # every caller to that loop.
        future: asyncio.Future[StockChange] = self._loop.create_future()
        waiters = self._waiters.setdefault(sku, [])
        waiters.append(future)
        try:
            return await future
        finally:
            # A caller that was cancelled (or timed out) is no longer waiting: forget its future,
            # or the list would grow with every abandoned wait.
            with contextlib.suppress(ValueError):
                waiters.remove(future)

    async def aclose(self) -> None:
        """Stop: fail every caller still waiting, end the task and wait for it. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        waiters, self._waiters = self._waiters, {}
        for sku, futures in waiters.items():
            for future in futures:
                if not future.done():
                    future.set_exception(
                        CatalogError(f"the RestockNotifier was closed while waiting for {sku!r}")
                    )
        task = self._task
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            # The task's own cancellation is expected; the caller's (cancelled while it waits
            # here) must propagate. As in StockWatcher.aclose, `cancelling()` tells them apart.
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
            change = await self._changes.get()
            if change.old == 0 and change.new > 0:
                for future in self._waiters.pop(change.sku, []):
                    # A caller cancelled a moment ago has a cancelled future that its own
                    # clean-up has not removed yet: it is not waiting any more.
                    if not future.done():
                        future.set_result(change)
