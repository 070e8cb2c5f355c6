"""``export_prices``: write a price list to a file without blocking the event loop.

Writing a file is blocking I/O: ``open``, ``write`` and ``Path.write_text`` stop the calling thread
until the operating system has taken the data, which on a slow or network disk can take long.
Called inside a coroutine, they stop the event loop with it, and every other task (requests in
flight, timeouts, a background watcher) waits. There is no async file API in the standard
library, so the write goes to a worker thread with ``asyncio.to_thread``: the coroutine awaits
it, and the loop runs other tasks meanwhile.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from pathlib import Path

from catalog.client import CatalogClient
from catalog.report import price_table

HEADER = "sku,price_cents\n"


def render_prices(prices: dict[str, int | None]) -> str:
    """The CSV text of a price table: a header, then ``sku,price`` lines; an unknown sku's price is empty."""
    return HEADER + "".join(f"{sku},{'' if price is None else price}\n" for sku, price in prices.items())


async def export_prices(client: CatalogClient, skus: Iterable[str], path: str | os.PathLike[str]) -> int:
    """Write the prices of ``skus`` to the CSV file ``path``; returns the number of products listed.

    Prices are fetched concurrently (``price_table``: a sku the catalog does not know gets an empty
    price); the file is written in a worker thread, so the event loop keeps running meanwhile.
    """
    prices = await price_table(client, skus)
    await asyncio.to_thread(Path(path).write_text, render_prices(prices))
    return len(prices)
