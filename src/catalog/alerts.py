"""Low-stock alerts and restocking: business logic between two collaborators.

The collaborators are the catalog client (``CatalogClient``) and a notifier (``Notifier``, see
notify.py). How each function gets them decides how it is tested:

- ``alert_low_stock`` and ``restock`` receive both as arguments. A test passes whatever it
  likes: a real client on the fake server, an ``AsyncMock``, a notifier that records what it
  was sent. Nothing needs patching.
- ``restock_job`` is the scheduled job: it builds its notifier itself, by calling
  ``notifier_from_env()``, a name this module imports. A test of the job must replace that
  name, and ``unittest.mock.patch`` must replace it *where the job looks it up*: here, in
  ``catalog.alerts``, not in ``catalog.notify`` where it is defined.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from catalog.client import CatalogClient
from catalog.models import Product
from catalog.notify import Notifier, notifier_from_env

DEFAULT_CHANNEL = "purchasing"
"""The chat channel alerts go to unless the caller names another."""


def alert_text(product: Product, threshold: int) -> str:
    """The alert for one product that is running low."""
    return f"{product.name} ({product.sku}) is running low: {product.stock} left, threshold {threshold}"


async def alert_low_stock(
    client: CatalogClient,
    notifier: Notifier,
    skus: Iterable[str],
    *,
    threshold: int,
    channel: str = DEFAULT_CHANNEL,
) -> list[str]:
    """Alert ``channel`` about each product of ``skus`` whose stock is below ``threshold``.

    Each sku is fetched once, even if listed twice (it is one product on one shelf), with one
    ``get_products`` call; one alert per low product (``alert_text``), all sent together. Returns
    the skus alerted about, in input order.

    Errors propagate: if the catalog fails, no alert is sent; if an alert fails, so does the call.
    """
    unique = list(dict.fromkeys(skus))  # dict keys keep the first-seen order
    products = await client.get_products(unique)
    low = [product for product in products if product.stock < threshold]
    await asyncio.gather(*(notifier.send(channel, alert_text(product, threshold)) for product in low))
    return [product.sku for product in low]


async def restock(
    client: CatalogClient,
    notifier: Notifier,
    sku: str,
    stock: int,
    *,
    channel: str = DEFAULT_CHANNEL,
) -> Product:
    """Set ``sku``'s stock to ``stock``, announce it on ``channel``, return the updated product.

    The announcement quotes the stock the *service* reports back, so a message never claims a
    level the catalog does not have.
    """
    product = await client.set_stock(sku, stock)
    await notifier.send(channel, f"{product.name} ({product.sku}) restocked: {product.stock} in stock")
    return product


async def restock_job(client: CatalogClient, skus: Iterable[str], *, threshold: int) -> list[str]:
    """The nightly job: alert the default channel through the webhook set in the environment.

    ``notifier_from_env()`` raises ``NotifyError`` when no webhook is configured, before any
    product is fetched. The notifier is closed when the job ends, even if it fails.
    """
    async with notifier_from_env() as notifier:
        return await alert_low_stock(client, notifier, skus, threshold=threshold)
