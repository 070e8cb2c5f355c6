"""The real catalog service (Starlette + aiosqlite): the fake's HTTP contract, the lifespan, the database,
and the WebSocket stock feed.

Everything here touches aiosqlite, whose queries run in a thread of their own, so it runs on real
time (no looptime marker): on virtual time a wait on that thread would let every pending timer,
the client's timeout included, fire at once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from catalog import CatalogClient, FakeCatalog, NotFound, Product
from catalog.service import ProductStore, create_app

PRODUCTS = (
    Product("pear", "Pear", price_cents=80, stock=3),
    Product("apple", "Apple", price_cents=50, stock=10),
    Product("plum", "Plum", price_cents=30, stock=0),
)


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    """The service with its lifespan entered (Starlette keeps the lifespan as a context manager)."""
    app = create_app(products=PRODUCTS)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[CatalogClient]:
    async with CatalogClient.for_app(app) as client:
        yield client


@pytest.fixture
def live() -> Iterator[tuple[Starlette, TestClient]]:
    """Starlette's TestClient as a context manager runs the lifespan (in a thread of its own)."""
    app = create_app(products=PRODUCTS)
    with TestClient(app) as test_client:
        yield app, test_client


async def test_the_client_reads_products(client: CatalogClient) -> None:
    assert await client.get_product("apple") == PRODUCTS[1]
    assert await client.get_products(["plum", "pear"]) == [PRODUCTS[2], PRODUCTS[0]]


async def test_an_unknown_sku_is_not_found(client: CatalogClient) -> None:
    with pytest.raises(NotFound):
        await client.get_product("kiwi")
    with pytest.raises(NotFound):
        await client.set_stock("kiwi", 1)


async def test_set_stock_is_stored_in_the_database(app: Starlette, client: CatalogClient) -> None:
    assert await client.set_stock("plum", 7) == Product("plum", "Plum", price_cents=30, stock=7)
    assert await client.get_product("plum") == Product("plum", "Plum", price_cents=30, stock=7)
    assert await app.state.db.get("plum") == Product("plum", "Plum", price_cents=30, stock=7)


REQUESTS = [
    ("GET", "/products", None),
    ("GET", "/products/apple", None),
    ("GET", "/products/kiwi", None),
    ("GET", "/nowhere", None),
    ("POST", "/products", None),
    ("DELETE", "/products/apple", None),
    ("GET", "/products/apple/stock", None),
    ("PUT", "/products/apple/stock", b'{"stock": 4}'),
    ("PUT", "/products/apple/stock", b'{"stock": -1}'),
    ("PUT", "/products/apple/stock", b'{"stock": true}'),
    ("PUT", "/products/apple/stock", b'{"stock": "4"}'),
    ("PUT", "/products/apple/stock", b'{"count": 4}'),
    ("PUT", "/products/apple/stock", b"[4]"),
    ("PUT", "/products/apple/stock", b"not json"),
    ("PUT", "/products/kiwi/stock", b'{"stock": 4}'),
    ("PUT", "/products/kiwi/stock", b"not json"),
]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
async def test_the_service_honours_the_fakes_contract(
    app: Starlette, method: str, path: str, body: bytes | None
) -> None:
    """Same request, same status and JSON body, from the fake and from the real service."""
    answers = []
    for target in (FakeCatalog(PRODUCTS), app):
        transport = httpx.ASGITransport(app=target)
        async with httpx.AsyncClient(transport=transport, base_url="http://catalog.test") as http:
            response = await http.request(method, path, content=body)
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]


async def test_a_405_names_the_allowed_methods(app: Starlette) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.post("/products")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


async def test_health_answers_once_started(app: Starlette) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_a_request_before_start_up_says_the_lifespan_did_not_run() -> None:
    async with CatalogClient.for_app(create_app(products=PRODUCTS)) as client:
        with pytest.raises(RuntimeError, match="lifespan did not run"):
            await client.get_product("apple")


def test_a_websocket_before_start_up_says_the_lifespan_did_not_run() -> None:
    test_client = TestClient(create_app())  # not entered: no lifespan
    with pytest.raises(RuntimeError, match="lifespan did not run"), test_client.websocket_connect("/ws/stock"):
        pass  # pragma: no cover - the connection is refused


async def test_the_lifespan_closes_the_database_and_forgets_it() -> None:
    app = create_app(products=PRODUCTS)
    async with app.router.lifespan_context(app):
        store: ProductStore = app.state.db
    assert not hasattr(app.state, "db")
    with pytest.raises(ValueError, match="no active connection"):
        await store.get("apple")


async def test_a_database_file_keeps_changes_between_runs(tmp_path: Path) -> None:
    database = tmp_path / "catalog.sqlite"
    first = create_app(database, products=PRODUCTS)
    async with first.router.lifespan_context(first), CatalogClient.for_app(first) as client:
        await client.set_stock("pear", 0)
    second = create_app(database)  # no products: they are in the file already
    async with second.router.lifespan_context(second), CatalogClient.for_app(second) as client:
        assert (await client.get_product("pear")).stock == 0


async def test_memory_databases_are_private_to_each_app() -> None:
    one, two = create_app(products=PRODUCTS), create_app()
    async with one.router.lifespan_context(one), two.router.lifespan_context(two):
        assert len(await one.state.db.all()) == 3
        assert await two.state.db.all() == []


async def test_a_transaction_rolled_back_undoes_the_stores_writes(app: Starlette) -> None:
    store: ProductStore = app.state.db
    await store.connection.execute("BEGIN")
    assert await store.set_stock("apple", 0) == Product("apple", "Apple", price_cents=50, stock=0)
    await store.add([Product("kiwi", "Kiwi", price_cents=20, stock=1)])
    await store.connection.execute("ROLLBACK")
    assert await store.get("apple") == PRODUCTS[1]
    assert await store.get("kiwi") is None


async def test_set_stock_of_an_unknown_sku_changes_nothing(app: Starlette) -> None:
    assert await app.state.db.set_stock("kiwi", 3) is None
    assert [p.sku for p in await app.state.db.all()] == ["apple", "pear", "plum"]


def test_the_websocket_sends_every_stock_change(live: tuple[Starlette, TestClient]) -> None:
    _, test_client = live
    test_client.put("/products/pear/stock", json={"stock": 9})  # before connecting: not sent
    with test_client.websocket_connect("/ws/stock") as first, test_client.websocket_connect("/ws/stock") as second:
        test_client.put("/products/apple/stock", json={"stock": 1})
        test_client.put("/products/plum/stock", json={"stock": 2})
        test_client.put("/products/plum/stock", json={"stock": -2})  # refused: no change, no message
        test_client.put("/products/apple/stock", json={"stock": 3})
        expected = [{"sku": "apple", "stock": 1}, {"sku": "plum", "stock": 2}, {"sku": "apple", "stock": 3}]
        assert [first.receive_json() for _ in expected] == expected
        assert [second.receive_json() for _ in expected] == expected


def test_a_disconnect_removes_the_subscriber(live: tuple[Starlette, TestClient]) -> None:
    app, test_client = live
    with test_client.websocket_connect("/ws/stock") as ws:
        ws.send_text("anything the client sends is ignored")
        test_client.put("/products/apple/stock", json={"stock": 1})
        assert ws.receive_json() == {"sku": "apple", "stock": 1}
        assert len(app.state.subscribers) == 1
    # Leaving the block closed the socket; a request afterwards is served after the handler finished.
    assert test_client.get("/health").status_code == 200
    assert app.state.subscribers == set()
    test_client.put("/products/apple/stock", json={"stock": 2})  # nobody to tell: no error


def test_an_unknown_websocket_path_is_refused(live: tuple[Starlette, TestClient]) -> None:
    _, test_client = live
    with pytest.raises(WebSocketDisconnect), test_client.websocket_connect("/ws/nowhere"):
        pass  # pragma: no cover - the connection is refused


def test_the_messages_are_json_objects(live: tuple[Starlette, TestClient]) -> None:
    _, test_client = live
    with test_client.websocket_connect("/ws/stock") as ws:
        test_client.put("/products/pear/stock", json={"stock": 0})
        assert json.loads(ws.receive_text()) == {"sku": "pear", "stock": 0}


async def test_a_client_that_vanishes_mid_send_ends_the_feed_quietly(app: Starlette) -> None:
    """Driven at the ASGI level: the server's send fails (the client's socket is gone) before the
    disconnect message arrives, as happens on a real server when a client drops."""
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    incoming.put_nowait({"type": "websocket.connect"})
    sent: list[dict[str, Any]] = []
    accepted = asyncio.Event()

    async def send(message: MutableMapping[str, Any]) -> None:
        accepted.set()  # the handler subscribes right after its accept, before it awaits anything
        if message["type"] == "websocket.send":
            incoming.put_nowait({"type": "websocket.disconnect", "code": 1006})
            raise OSError("connection lost")  # what a server's send raises once the socket died
        sent.append(dict(message))

    scope = {"type": "websocket", "path": "/ws/stock", "headers": [], "query_string": b"", "app": app}
    feed = asyncio.create_task(app(scope, incoming.get, send))
    async with CatalogClient.for_app(app) as client:
        await accepted.wait()
        assert len(app.state.subscribers) == 1
        await client.set_stock("apple", 4)
    await feed  # ends without an error
    assert sent == [{"type": "websocket.accept", "subprotocol": None, "headers": []}]
    assert app.state.subscribers == set()


async def test_a_database_in_a_missing_folder_is_refused_at_start_up(tmp_path: Path) -> None:
    app = create_app(tmp_path / "missing" / "catalog.sqlite")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        async with app.router.lifespan_context(app):
            pass  # pragma: no cover - start-up fails
    assert not (tmp_path / "missing").exists()
