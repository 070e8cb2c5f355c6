"""``CatalogClient``: the catalog service's HTTP API as typed async methods.

The client decides *what each failure means* (``NotFound``, ``TransientError``, or a plain
``CatalogError``) and delegates *what to do about it* to ``retry()``; it owns its
``httpx.AsyncClient``, so closing the catalog client closes the connections.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, Self, TypedDict, Unpack

import httpx

from catalog._asgi import ASGIApp
from catalog.backoff import backoff_delays, retry
from catalog.errors import CatalogError, NotFound, TransientError
from catalog.limits import gather_limited
from catalog.models import Product


class ClientOptions(TypedDict, total=False):
    """``CatalogClient``'s keyword arguments, so that ``for_app(app, **options)`` is typed."""

    timeout: float
    attempts: int
    base_delay: float
    max_concurrency: int
    sleep: Callable[[float], Awaitable[object]]


_CLOSED = "client is closed; create a new CatalogClient or use it inside `async with`"


class CatalogClient:
    """An async client for the catalog service, with timeouts, retries and bounded concurrency.

    Use it as an async context manager, so its connections are closed even on errors::

        async with CatalogClient.for_app(FakeCatalog(products)) as client:
            product = await client.get_product("apple")

    ``sleep`` is what the retries wait with; tests can pass a recorder instead of waiting.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        timeout: float = 2.0,
        attempts: int = 3,
        base_delay: float = 0.1,
        max_concurrency: int = 5,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        # Validate now, so a bad setting fails where it was written, not at the first request.
        if timeout <= 0:
            raise ValueError(
                f"timeout must be > 0 seconds (the limit for each attempt), got {timeout}"
            )
        if max_concurrency < 1:
            raise ValueError(
                "max_concurrency must be >= 1 (1 sends one request at a time), "
                f"got {max_concurrency}"
            )
        backoff_delays(attempts, base=base_delay)  # raises ValueError on a bad attempts/base_delay
        self._http = http
        self.timeout = timeout
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_concurrency = max_concurrency
        self._sleep = sleep

    @classmethod
    def for_app(
        cls,
        app: ASGIApp,
        *,
        base_url: str = "http://catalog.test",  # pragma: no mutate - a URL's scheme and host ignore case
        **options: Unpack[ClientOptions],
    ) -> CatalogClient:
        """A client that talks to an ASGI ``app`` in-process (e.g. ``FakeCatalog``): no network.

        ``options`` are ``CatalogClient``'s keyword arguments (``timeout``, ``attempts``...).
        """
        transport = httpx.ASGITransport(app=app)
        return cls(httpx.AsyncClient(transport=transport, base_url=base_url), **options)

    @property
    def closed(self) -> bool:
        """True once ``aclose()`` has run (or the underlying httpx client was closed)."""
        return self._http.is_closed

    async def aclose(self) -> None:
        """Close the connections. Safe to call more than once."""
        if not self.closed:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        self._check_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def get_product(self, sku: str) -> Product:
        """Fetch one product. Raises ``NotFound`` at once; retries transient failures."""
        self._check_open()

        async def attempt() -> Product:
            return _product(await self._request("GET", f"/products/{sku}", sku))

        return await self._retry(attempt)

    async def get_products(self, skus: Iterable[str]) -> list[Product]:
        """Fetch several products concurrently, ``max_concurrency`` at most; in input order.

        The first failure (e.g. ``NotFound``) cancels the other requests and is raised.
        """
        self._check_open()
        # functools.partial binds each sku now; `lambda: self.get_product(sku)` in a
        # comprehension would see only the last sku by the time it runs.
        operations = [functools.partial(self.get_product, sku) for sku in skus]
        return await gather_limited(operations, limit=self.max_concurrency)

    async def set_stock(self, sku: str, stock: int) -> Product:
        """Set a product's stock level; returns the updated product.

        Retried like a GET, because PUT is idempotent: it sets an absolute value, so
        repeating it after a timeout leaves the same state even if the first attempt did
        reach the server. (A relative "add 3 to stock" POST could not be retried blindly.)
        """
        self._check_open()

        async def attempt() -> Product:
            path = f"/products/{sku}/stock"
            return _product(await self._request("PUT", path, sku, json={"stock": stock}))

        return await self._retry(attempt)

    def _check_open(self) -> None:
        if self.closed:
            raise CatalogError(_CLOSED)

    async def _retry(self, attempt: Callable[[], Awaitable[Product]]) -> Product:
        return await retry(
            attempt, attempts=self.attempts, base=self.base_delay, sleep=self._sleep
        )

    async def _request(self, method: str, path: str, sku: str, **kwargs: Any) -> httpx.Response:
        """One HTTP exchange, with every failure translated into this package's errors."""
        try:
            # asyncio's timeout rather than httpx's: it bounds the whole exchange (connect,
            # send, wait, read) as one deadline, and it runs on the event loop's clock, which
            # is what lets tests run it on virtual time.
            async with asyncio.timeout(self.timeout):
                response = await self._http.request(method, path, **kwargs)
        except TimeoutError as error:
            raise TransientError(
                f"{method} {path} got no answer within {self.timeout}s: worth retrying; "
                "if the service is just slow, raise `timeout`"
            ) from error
        except httpx.TransportError as error:
            raise TransientError(
                f"{method} {path} failed in transport ({error!r}): worth retrying; "
                "if it persists, check base_url and that the service is up"
            ) from error
        status = response.status_code
        if status == 429 or status >= 500:
            raise TransientError(f"{method} {path} answered {status}: worth retrying")
        if status == 404:
            raise NotFound(sku)
        if response.is_error:
            raise CatalogError(
                f"{method} {path} was rejected with {status}: {response.text}; "
                "the request is wrong, so retrying will not help"
            )
        return response


def _product(response: httpx.Response) -> Product:
    try:
        data = response.json()
    except ValueError as error:
        raise CatalogError(
            f"{response.request.method} {response.request.url.path} answered with something "
            "other than JSON; check that base_url points at the catalog service"
        ) from error
    return Product.from_json(data)
