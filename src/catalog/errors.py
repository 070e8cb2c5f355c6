"""The exceptions the catalog client raises, arranged by what the caller should do about them.

The hierarchy answers one question for the caller: *is it worth trying again?*

- ``NotFound``: no, the product does not exist; fix the sku.
- ``TransientError``: yes, the failure is the service's or the network's, and may pass.
  ``retry()`` retries these by default.
- ``RetriesExhausted``: we already tried; the last ``TransientError`` is its ``__cause__``.
- any other ``CatalogError``: no, the request or the response is wrong; retrying repeats it.

Everything derives from ``CatalogError``, so ``except CatalogError`` catches every failure
this package raises on purpose, and nothing else (a bug of ours still surfaces as itself).
"""

from __future__ import annotations


class CatalogError(Exception):
    """Base class: a failure of the catalog service, or of our conversation with it."""


class NotFound(CatalogError):
    """The catalog has no product with this sku. Permanent: retrying gives the same answer."""

    def __init__(self, sku: str) -> None:
        super().__init__(
            f"no product with sku {sku!r}; check the sku for typos, "
            "or list the existing products with GET /products"
        )
        self.sku = sku


class TransientError(CatalogError):
    """A failure that may go away on its own: 5xx, 429, a timeout, a dropped connection.

    Raising this (rather than the underlying httpx or asyncio exception) is what tells
    ``retry()`` that another attempt is worthwhile.
    """


class RetriesExhausted(CatalogError):
    """Every attempt failed with a transient error. ``__cause__`` is the last of them."""

    def __init__(self, attempts: int) -> None:
        super().__init__(
            f"gave up after {attempts} attempt(s); the last error is chained below as the "
            "cause. If the service is only slow, raise `attempts` or `timeout`; otherwise "
            "check the service's health"
        )
        self.attempts = attempts
