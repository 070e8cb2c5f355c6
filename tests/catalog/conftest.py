"""Fixtures for the catalog tests: a fake server, and a real client wired to it in-process.

The client goes through the whole real stack (httpx, status handling, JSON, timeouts,
retries); only the network is replaced, by ``httpx.ASGITransport`` calling ``FakeCatalog``.
"""

from collections.abc import AsyncIterator

import pytest

from catalog import CatalogClient, FakeCatalog, Product


@pytest.fixture
def server() -> FakeCatalog:
    """A fake catalog with three products and no latency. Tests add latency or faults."""
    return FakeCatalog(
        [
            Product("apple", "Apple", price_cents=50, stock=10),
            Product("pear", "Pear", price_cents=80, stock=3),
            Product("plum", "Plum", price_cents=30, stock=0),
        ]
    )


@pytest.fixture
async def client(server: FakeCatalog) -> AsyncIterator[CatalogClient]:
    """A client with the default settings (timeout 2 s, 3 attempts, 0.1 s base delay)."""
    async with CatalogClient.for_app(server) as client:
        yield client


