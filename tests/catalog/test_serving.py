"""``catalog.serving.serve``: a real uvicorn server on 127.0.0.1, started, awaited and stopped by the test.

Real time throughout (sockets and a server thread); nothing sleeps for a fixed time or asserts on a
duration: readiness is polled under a deadline, shutdown is awaited.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from websockets.asyncio.client import connect

from catalog import CatalogClient, Product
from catalog.service import create_app
from catalog.serving import HOST, serve

pytestmark = pytest.mark.slow

PRODUCTS = (Product("apple", "Apple", price_cents=50, stock=10), Product("pear", "Pear", price_cents=80, stock=3))


def _server_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("uvicorn:")]


def _accepts_connections(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) == 0


async def test_the_client_talks_to_the_service_over_a_real_socket() -> None:
    async with serve(create_app(products=PRODUCTS)) as base_url:
        assert base_url.startswith(f"http://{HOST}:")
        async with CatalogClient(httpx.AsyncClient(base_url=base_url)) as client:
            assert await client.get_product("apple") == PRODUCTS[0]
            assert (await client.set_stock("pear", 0)).stock == 0
            assert await client.get_products(["pear"]) == [Product("pear", "Pear", price_cents=80, stock=0)]


async def test_nothing_is_left_behind_after_the_block() -> None:
    async with serve(create_app()) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        assert _server_threads() == [f"uvicorn:{port}"]
        assert _accepts_connections(port)
    assert _server_threads() == []
    assert not _accepts_connections(port)


async def test_two_servers_get_two_free_ports() -> None:
    async with serve(create_app()) as one, serve(create_app()) as two:
        assert one != two
        async with httpx.AsyncClient() as http:
            assert [(await http.get(url + "/health")).json() for url in (one, two)] == [{"status": "ok"}] * 2


async def test_the_websocket_feed_over_a_real_server() -> None:
    app = create_app(products=PRODUCTS)
    async with serve(app) as base_url, CatalogClient(httpx.AsyncClient(base_url=base_url)) as client:
        async with connect(base_url.replace("http://", "ws://") + "/ws/stock") as ws:
            await client.set_stock("apple", 1)
            assert json.loads(await ws.recv()) == {"sku": "apple", "stock": 1}
        await client.set_stock("apple", 2)  # after the client left: nobody to tell, no error


async def test_a_client_left_connected_is_closed_at_shutdown() -> None:
    async with serve(create_app()) as base_url:
        ws = await connect(base_url.replace("http://", "ws://") + "/ws/stock")
    # uvicorn closes open WebSockets with 1012 "service restart" when it shuts down
    await ws.wait_closed()
    assert ws.close_code == 1012


@asynccontextmanager
async def _failing_lifespan(app: Starlette) -> AsyncIterator[None]:
    raise RuntimeError("no database today")
    yield  # pragma: no cover - never reached


async def test_a_failing_lifespan_is_reported_not_waited_for(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(RuntimeError, match="stopped during start-up"):
        async with serve(Starlette(lifespan=_failing_lifespan)):
            pass  # pragma: no cover - never started
    assert "no database today" in caplog.text  # uvicorn logged the reason
    assert _server_threads() == []


async def test_a_server_that_never_gets_healthy_times_out() -> None:
    async def unhealthy(request: Request) -> JSONResponse:
        return JSONResponse({"status": "starting"}, status_code=503)

    with pytest.raises(RuntimeError, match="did not answer 200"):
        async with serve(Starlette(routes=[Route("/health", unhealthy)]), startup_timeout=0.2):
            pass  # pragma: no cover - never ready
    assert _server_threads() == []
