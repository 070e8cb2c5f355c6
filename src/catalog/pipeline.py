"""``set_stock_levels``: push many stock levels through a small pool of workers fed by a queue.

A producer/consumer pipeline, the shape of many real jobs (a CSV of stock levels to upload, a
stream of events to forward): one producer puts the work on an ``asyncio.Queue`` and
``workers`` consumers take it off and call the service, so at most ``workers`` requests are in
flight at once.

How the workers learn that the work is over is the delicate part. A consumer that takes "nothing
arrived for 0.1 s" as the end quits early whenever the producer is slow (a loaded machine, a
slow source), and its tests are flaky for the same reason. Here the producer puts one
*sentinel* per worker after the last item: each worker stops when it takes one, so the pipeline
ends exactly when the work does, however slow any part of it is. (The other sound ending is
``queue.join()``, then cancelling the workers.)

The queue is bounded (``maxsize=workers``): a producer reading a huge source cannot run ahead of
the workers and hold all of it in memory; it waits for room (backpressure).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Final

from catalog.client import CatalogClient
from catalog.models import Product

_DONE: Final = object()
"""The sentinel: "no more work". The producer puts one per worker, since each worker takes one."""


async def set_stock_levels(
    client: CatalogClient, levels: Iterable[tuple[str, int]], *, workers: int = 3
) -> list[Product]:
    """Set the stock of every ``(sku, stock)`` in ``levels``; the updated products, in input order.

    ``workers`` requests run at once while there is that much work left, never more. Each pair
    is read from ``levels`` only when there is room for it in the queue.

    Failure: the first failing update (e.g. ``NotFound`` for an unknown sku) stops the pipeline.
    The producer and the other workers are cancelled and awaited (``asyncio.TaskGroup`` does
    that), and the error is raised *as itself*, as ``gather_limited`` does, so that callers can
    write ``except NotFound``. Updates already sent stay applied.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1 (1 sends the updates one by one), got {workers}")
    queue: asyncio.Queue[tuple[int, str, int] | object] = asyncio.Queue(maxsize=workers)
    updated: dict[int, Product] = {}  # input position -> product, filled in as updates finish

    async def produce() -> None:
        for index, (sku, stock) in enumerate(levels):
            await queue.put((index, sku, stock))
        for _ in range(workers):
            await queue.put(_DONE)

    async def work() -> None:
        while True:
            item = await queue.get()
            if item is _DONE:
                return
            index, sku, stock = item  # type: ignore[misc]
            updated[index] = await client.set_stock(sku, stock)

    first_error: BaseException | None = None
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(produce())
            for _ in range(workers):
                group.create_task(work())
    except BaseExceptionGroup as failures:
        first_error = failures.exceptions[0]
    if first_error is not None:
        # Outside the `except` block, as in gather_limited: no ExceptionGroup as __context__.
        raise first_error
    return [updated[index] for index in sorted(updated)]
