"""The catalog service itself: a Starlette app with a SQLite database behind it (aiosqlite).

``FakeCatalog`` (fake_server.py) stays the unit-test double: it keeps everything in a dict, so
tests can inject latency, failures and hangs and run on virtual time. This module is the *real*
thing the fake stands in for, with exactly the fake's HTTP contract, so ``CatalogClient`` works
unchanged against either. Integration tests (chapter 9) run the client against this app, in-process
(``httpx.ASGITransport``) and behind a real server (``catalog.serving.serve``).

Routes:

- ``GET /health``: 200 ``{"status": "ok"}`` (once the lifespan has started)
- ``GET /products/{sku}``: 200 with the product, or 404 ``{"error": "not found"}``
- ``GET /products``: 200 with every product, sorted by sku
- ``PUT /products/{sku}/stock`` with ``{"stock": n}``: 200 with the updated product, 400 if the
  body is not that shape, 404 if the sku is unknown
- any other path is a 404, a known path with the wrong method a 405 (with an ``Allow`` header)
- WebSocket ``/ws/stock``: after connecting, the client receives ``{"sku": ..., "stock": ...}``
  for every stock change; it never needs to send anything, and may disconnect at any time.

Why a lifespan: the app owns ONE database connection, opened at start-up and closed at shutdown
(``app.state.db``, a ``ProductStore``). A request served before start-up fails loudly, saying that
the lifespan did not run, instead of an obscure ``AttributeError``: ``httpx.ASGITransport`` does
not run the lifespan, and that is the first thing an in-process test trips over.

Why the connection is opened with ``isolation_level=None``: sqlite3 then never opens transactions
behind your back; every statement commits on its own unless someone runs an explicit ``BEGIN``.
That is what lets a test wrap each test in ``BEGIN`` ... ``ROLLBACK`` and see exactly what happens.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from catalog.models import Product

_SCHEMA = """
CREATE TABLE IF NOT EXISTS products (
    sku TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    stock INTEGER NOT NULL CHECK (stock >= 0)
)
"""
_COLUMNS = "sku, name, price_cents, stock"
_NOT_STARTED = (
    "the app's lifespan did not run, so it has no database connection: start the app first "
    "(a real server runs the lifespan; httpx.ASGITransport does not, so enter the lifespan yourself)"
)


class ProductStore:
    """The products table, over one aiosqlite connection. It never commits or rolls back:
    each statement commits on its own, unless the caller opened a transaction with ``BEGIN``.
    """

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    async def create_schema(self) -> None:
        """Create the products table if it does not exist yet."""
        await self.connection.execute(_SCHEMA)

    async def add(self, products: Iterable[Product]) -> None:
        """Insert products (a sku that exists already is an error: ``sqlite3.IntegrityError``)."""
        rows = [(p.sku, p.name, p.price_cents, p.stock) for p in products]
        await self.connection.executemany(f"INSERT INTO products ({_COLUMNS}) VALUES (?, ?, ?, ?)", rows)

    async def get(self, sku: str) -> Product | None:
        """The product with this sku, or None."""
        async with self.connection.execute(f"SELECT {_COLUMNS} FROM products WHERE sku = ?", (sku,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else Product(*row)

    async def all(self) -> list[Product]:
        """Every product, sorted by sku."""
        async with self.connection.execute(f"SELECT {_COLUMNS} FROM products ORDER BY sku") as cursor:
            return [Product(*row) for row in await cursor.fetchall()]

    async def set_stock(self, sku: str, stock: int) -> Product | None:
        """Set a product's stock in one statement; the updated product, or None if the sku is unknown."""
        query = f"UPDATE products SET stock = ? WHERE sku = ? RETURNING {_COLUMNS}"
        async with self.connection.execute(query, (stock, sku)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else Product(*row)


def create_app(database: str | os.PathLike[str] = ":memory:", *, products: Iterable[Product] = ()) -> Starlette:
    """The catalog service. ``database`` is a SQLite path (``":memory:"``: a fresh, private one).

    At start-up the lifespan opens one connection, creates the table and inserts ``products``;
    at shutdown it closes the connection.
    """
    initial = tuple(products)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        _check_folder(database)
        async with aiosqlite.connect(os.fspath(database), isolation_level=None) as connection:
            store = ProductStore(connection)
            await store.create_schema()
            await store.add(initial)
            app.state.db = store
            app.state.subscribers = set()
            try:
                yield
            finally:
                del app.state.db

    routes = [
        Route("/health", _health, methods=["GET"]),
        Route("/products", _list_products, methods=["GET"]),
        Route("/products/{sku}", _get_product, methods=["GET"]),
        Route("/products/{sku}/stock", _put_stock, methods=["PUT"]),
        WebSocketRoute("/ws/stock", _stock_feed),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found_route, 405: _not_allowed},
    )


def _check_folder(database: str | os.PathLike[str]) -> None:
    # aiosqlite 0.22 leaves its worker thread to die later ("Event loop is closed") when the connection
    # itself fails; the usual cause is a missing folder, so refuse that first, with a clear message.
    folder = os.path.dirname(os.path.abspath(database))
    if os.fspath(database) != ":memory:" and not os.path.isdir(folder):
        raise FileNotFoundError(
            f"cannot create the database {os.fspath(database)!r}: the folder {folder!r} does not exist"
        )


def _store(connection: HTTPConnection) -> ProductStore:
    store: ProductStore | None = getattr(connection.app.state, "db", None)
    if store is None:
        raise RuntimeError(_NOT_STARTED)
    return store


def _subscribers(connection: HTTPConnection) -> set[asyncio.Queue[dict[str, Any]]]:
    _store(connection)  # the same loud error if the lifespan did not run
    subscribers: set[asyncio.Queue[dict[str, Any]]] = connection.app.state.subscribers
    return subscribers


async def _health(request: Request) -> JSONResponse:
    _store(request)
    return JSONResponse({"status": "ok"})


async def _list_products(request: Request) -> JSONResponse:
    return JSONResponse([product.to_json() for product in await _store(request).all()])


async def _get_product(request: Request) -> JSONResponse:
    product = await _store(request).get(request.path_params["sku"])
    if product is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return JSONResponse(product.to_json())


async def _put_stock(request: Request) -> JSONResponse:
    store = _store(request)
    sku = request.path_params["sku"]
    stock = _stock_in(await request.body())
    updated = None if stock is None else await store.set_stock(sku, stock)
    if updated is None:
        # The same order of checks as FakeCatalog: an unknown sku is a 404 whatever the body.
        if await store.get(sku) is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(
            {"error": 'the body must be JSON like {"stock": 3}, a non-negative integer'}, status_code=400
        )
    for queue in _subscribers(request):
        queue.put_nowait({"sku": updated.sku, "stock": updated.stock})
    return JSONResponse(updated.to_json())


def _stock_in(body: bytes) -> int | None:
    """The stock level in a ``{"stock": n}`` body, or None if the body is not that shape."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    stock = payload.get("stock") if isinstance(payload, dict) else None
    if not isinstance(stock, int) or isinstance(stock, bool) or stock < 0:
        return None
    return stock


async def _not_found_route(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {
            "error": f"no route {request.url.path}; the catalog serves /products, /products/{{sku}}, "
            "/products/{sku}/stock"
        },
        status_code=404,
    )


async def _not_allowed(request: Request, exc: Exception) -> JSONResponse:
    allow: str = exc.headers["Allow"]  # type: ignore[attr-defined]  # Starlette's HTTPException
    # Starlette adds HEAD to every GET route; the message names what a client would use, as the fake's does.
    named = ", ".join(method for method in allow.split(", ") if method != "HEAD")
    return JSONResponse(
        {"error": f"method not allowed; this route accepts {named}"}, status_code=405, headers={"Allow": allow}
    )


async def _stock_feed(websocket: WebSocket) -> None:
    subscribers = _subscribers(websocket)
    await websocket.accept()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    subscribers.add(queue)
    try:
        async with asyncio.TaskGroup() as tasks:
            forward = tasks.create_task(_forward(queue, websocket))
            await _until_disconnect(websocket)
            forward.cancel()
    finally:
        subscribers.discard(queue)


async def _forward(queue: asyncio.Queue[dict[str, Any]], websocket: WebSocket) -> None:
    try:
        while True:
            await websocket.send_json(await queue.get())
    except WebSocketDisconnect:
        # The client left while a message was on its way: not an error. The server's disconnect
        # message is still to come, and _until_disconnect ends the handler when it does.
        return


async def _until_disconnect(websocket: WebSocket) -> None:
    # The client never needs to send anything; whatever it sends is ignored. Waiting on receive()
    # is how the server learns that the client went away.
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass
