"""An in-process fake of the catalog service: a plain ASGI app, for tests.

Why a fake server rather than mocking ``CatalogClient``'s methods? Because the fake lets
tests go through the *real* stack: URL building, httpx, status handling, JSON parsing,
timeouts and retries all run for real, and only the network is replaced
(``httpx.ASGITransport(app=FakeCatalog(...))`` calls the app in-process).

Why plain ASGI rather than a web framework? It keeps the fake dependency-free and small
enough to read in one sitting, and any ASGI server (uvicorn, hypercorn) can still serve it.

Everything a test needs to arrange or observe is a plain attribute or method: latency
(global and per sku), injected failures and hangs, the request log, and the peak number of
concurrent requests. The latency is an ``asyncio.sleep``, so on virtual time (``looptime``)
a "slow" server costs no wall-clock time at all.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Final

from catalog._asgi import Receive, Scope, Send
from catalog.models import Product

_PRODUCT: Final = re.compile(r"/products/(?P<sku>[^/]+)")
_STOCK: Final = re.compile(r"/products/(?P<sku>[^/]+)/stock")
# Not an HTTP status: a queued fault with this value means "never answer".
_HANG: Final = 0


@dataclass(frozen=True)
class _Response:
    status: int
    body: Any
    headers: tuple[tuple[bytes, bytes], ...] = ()


def _error(status: int, message: str) -> _Response:
    return _Response(status, {"error": message})


_NOT_FOUND: Final = _error(404, "not found")


class FakeCatalog:
    """A fake catalog service. Routes:

    - ``GET /products/{sku}``: 200 with the product, or 404 ``{"error": "not found"}``
    - ``GET /products``: 200 with every product, sorted by sku
    - ``PUT /products/{sku}/stock`` with ``{"stock": n}``: 200 with the updated product,
      400 if the body is not that shape, 404 if the sku is unknown

    Any other path is a 404, and a known path with the wrong method is a 405.

    For tests -- arrange: ``latency``, ``set_latency()``, ``fail_next()``, ``hang_next()``;
    observe: ``requests``, ``in_flight``, ``max_in_flight``; both: ``products``.
    """

    def __init__(self, products: Iterable[Product] = (), *, latency: float = 0.0) -> None:
        _check_seconds(latency)
        self.products: dict[str, Product] = {product.sku: product for product in products}
        self.latency = latency
        self.requests: list[tuple[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._latency_by_sku: dict[str, float] = {}
        # One queue for failures and hangs, so that `fail_next(1); hang_next(1)` means
        # "fail the next request, then hang the one after", in the order they were asked for.
        self._faults: deque[int] = deque()

    def set_latency(self, sku: str, seconds: float) -> None:
        """Make requests about ``sku`` take ``seconds`` instead of the global ``latency``.

        Useful to make one request finish last and check that results keep input order.
        """
        _check_seconds(seconds)
        self._latency_by_sku[sku] = seconds

    def fail_next(self, n: int, status: int = 503) -> None:
        """Answer the next ``n`` requests with ``status`` (after the usual latency)."""
        _check_count(n)
        if not 400 <= status <= 599:
            raise ValueError(
                f"status must be an HTTP error (400-599) to inject a failure, got {status}"
            )
        self._faults.extend([status] * n)

    def hang_next(self, n: int) -> None:
        """Never answer the next ``n`` requests: only a client-side timeout ends them."""
        _check_count(n)
        self._faults.extend([_HANG] * n)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point."""
        if scope["type"] == "http":
            await self._serve(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        else:
            raise RuntimeError(
                f"FakeCatalog speaks HTTP only, not {scope['type']!r}; "
                "connect with an HTTP client such as httpx"
            )

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        path: str = scope["path"]
        self.requests.append((method, path))
        # Faults are assigned on arrival, so "the next n requests" means arrival order.
        fault = self._faults.popleft() if self._faults else None
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if fault == _HANG:
                # Nothing ever sets this event; the wait ends only when the client cancels
                # it (e.g. its asyncio.timeout expires). A fresh Event per request, because
                # an Event binds to the first event loop that waits on it.
                await asyncio.Event().wait()
            await asyncio.sleep(self._latency_for(path))
            if fault is None:
                response = await self._route(method, path, receive)
            else:
                response = _error(fault, "injected failure (FakeCatalog.fail_next)")
            await _send_json(send, response)
        finally:
            self.in_flight -= 1

    def _latency_for(self, path: str) -> float:
        match = _PRODUCT.match(path)
        if match is None:
            return self.latency
        return self._latency_by_sku.get(match["sku"], self.latency)

    async def _route(self, method: str, path: str, receive: Receive) -> _Response:
        if path == "/products":
            return self._list_products() if method == "GET" else _not_allowed("GET")
        if match := _PRODUCT.fullmatch(path):
            return self._get_product(match["sku"]) if method == "GET" else _not_allowed("GET")
        if match := _STOCK.fullmatch(path):
            if method != "PUT":
                return _not_allowed("PUT")
            return self._put_stock(match["sku"], await _read_body(receive))
        return _error(
            404, f"no route {path}; the catalog serves /products, /products/{{sku}}, "
            "/products/{sku}/stock"
        )

    def _list_products(self) -> _Response:
        return _Response(200, [self.products[sku].to_json() for sku in sorted(self.products)])

    def _get_product(self, sku: str) -> _Response:
        product = self.products.get(sku)
        return _NOT_FOUND if product is None else _Response(200, product.to_json())

    def _put_stock(self, sku: str, body: bytes) -> _Response:
        product = self.products.get(sku)
        if product is None:
            return _NOT_FOUND
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None  # pragma: no mutate - anything but a dict is refused alike
        stock = payload.get("stock") if isinstance(payload, dict) else None
        if not isinstance(stock, int) or isinstance(stock, bool) or stock < 0:
            return _error(400, 'the body must be JSON like {"stock": 3}, a non-negative integer')
        updated = replace(product, stock=stock)
        self.products[sku] = updated
        return _Response(200, updated.to_json())

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        # Nothing to set up or tear down, but a real ASGI server (uvicorn) sends these
        # messages and waits for the replies before serving.
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _not_allowed(allowed: str) -> _Response:
    return _Response(
        405,
        {"error": f"method not allowed; this route accepts {allowed}"},
        headers=((b"allow", allowed.encode()),),
    )


async def _read_body(receive: Receive) -> bytes:
    # ASGI may deliver the body in several chunks; `more_body` says whether more follow.
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):  # pragma: no mutate - False, None, missing: all mean "last"
            return b"".join(chunks)


async def _send_json(send: Send, response: _Response) -> None:
    body = json.dumps(response.body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *response.headers,
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _check_seconds(seconds: float) -> None:
    if seconds < 0:
        raise ValueError(f"latency must be >= 0 seconds, got {seconds}")


def _check_count(n: int) -> None:
    if n < 0:
        raise ValueError(f"n must be >= 0 requests, got {n}")
