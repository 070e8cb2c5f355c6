"""``catalog``: the example package of the course "Testing Async Python".

A small client for a product-catalog HTTP service, written the way production async code
is written, so that the notebooks have something realistic to test:

- ``CatalogClient`` (client.py): timeouts, retries with backoff, bounded concurrency, and an
  explicit lifecycle (``async with`` / ``aclose()``).
- ``retry`` / ``backoff_delays`` (backoff.py) and ``gather_limited`` (limits.py): the async
  building blocks, each testable on its own.
- ``inventory_value`` / ``low_stock`` / ``price_table`` (report.py): business logic that
  awaits the client.
- ``StockWatcher`` (watcher.py): a background task with a queue and a lifecycle.
- ``set_stock_levels`` (pipeline.py): a producer/consumer pipeline, a queue and a pool of
  workers ended by sentinels.
- ``StockKeeper`` (keeper.py): read-modify-write adjustments under a lock per sku, and waiters
  woken by a Condition.
- ``RestockNotifier`` (restock.py): waits for a product to come back in stock; bound to the
  event loop it was started on.
- ``FakeCatalog`` (fake_server.py): an in-process fake of the service (a plain ASGI app)
  with injectable latency, failures and hangs, so tests run the real client end to end,
  with no network, on virtual time.

Every error it raises on purpose is a ``CatalogError`` (errors.py), arranged by whether
retrying makes sense.
"""

from catalog.backoff import backoff_delays, retry
from catalog.client import CatalogClient
from catalog.errors import CatalogError, NotFound, RetriesExhausted, TransientError
from catalog.fake_server import FakeCatalog
from catalog.keeper import InsufficientStock, StockKeeper
from catalog.limits import gather_limited
from catalog.models import Product
from catalog.pipeline import set_stock_levels
from catalog.report import inventory_value, low_stock, price_table
from catalog.restock import RestockNotifier
from catalog.watcher import StockChange, StockWatcher

__all__ = [
    "CatalogClient",
    "CatalogError",
    "FakeCatalog",
    "InsufficientStock",
    "NotFound",
    "Product",
    "RestockNotifier",
    "RetriesExhausted",
    "StockChange",
    "StockKeeper",
    "StockWatcher",
    "TransientError",
    "backoff_delays",
    "gather_limited",
    "inventory_value",
    "low_stock",
    "price_table",
    "retry",
    "set_stock_levels",
]
