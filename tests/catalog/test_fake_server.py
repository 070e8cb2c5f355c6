"""FakeCatalog: the fake must be trustworthy before other tests rely on it.

These tests talk to it with a bare ``httpx.AsyncClient`` (no CatalogClient, no retries), so
each status code and body is seen exactly as the app produced it.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from catalog import FakeCatalog, Product

pytestmark = pytest.mark.looptime

APPLE = {"sku": "apple", "name": "Apple", "price_cents": 50, "stock": 10}
PEAR = {"sku": "pear", "name": "Pear", "price_cents": 80, "stock": 3}
PLUM = {"sku": "plum", "name": "Plum", "price_cents": 30, "stock": 0}


@pytest.fixture
async def http(server: FakeCatalog) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=server)
    async with httpx.AsyncClient(transport=transport, base_url="http://catalog.test") as http:
        yield http


# --- routes --------------------------------------------------------------------------------


async def test_get_a_product(http: httpx.AsyncClient) -> None:
    response = await http.get("/products/apple")
    assert response.status_code == 200
    assert response.json() == APPLE
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))


async def test_get_an_unknown_product(http: httpx.AsyncClient) -> None:
    response = await http.get("/products/kiwi")
    assert (response.status_code, response.json()) == (404, {"error": "not found"})


async def test_list_products_sorted_by_sku() -> None:
    server = FakeCatalog([Product.from_json(p) for p in (PLUM, APPLE, PEAR)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server)) as http:
        response = await http.get("http://catalog.test/products")
    assert (response.status_code, response.json()) == (200, [APPLE, PEAR, PLUM])


async def test_an_empty_catalog_lists_nothing() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=FakeCatalog())) as http:
        response = await http.get("http://catalog.test/products")
    assert (response.status_code, response.json()) == (200, [])


async def test_put_stock_updates_the_product(http: httpx.AsyncClient, server: FakeCatalog) -> None:
    response = await http.put("/products/pear/stock", json={"stock": 7})
    assert (response.status_code, response.json()) == (200, {**PEAR, "stock": 7})
    assert server.products["pear"] == Product("pear", "Pear", price_cents=80, stock=7)
    assert (await http.get("/products/pear")).json() == {**PEAR, "stock": 7}


async def test_put_stock_to_zero(http: httpx.AsyncClient, server: FakeCatalog) -> None:
    response = await http.put("/products/apple/stock", json={"stock": 0})
    assert response.status_code == 200
    assert server.products["apple"].stock == 0


async def test_put_stock_reads_a_body_sent_in_chunks(
    http: httpx.AsyncClient, server: FakeCatalog
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"sto'
        yield b'ck": 4}'

    response = await http.put("/products/apple/stock", content=chunks())
    assert (response.status_code, response.json()["stock"]) == (200, 4)


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"stock": "3"}', b'{"stock": -1}', b'{"stock": true}', b'{"stock": 1.5}',
     b"{}", b"[3]", b"\xff"],
)
async def test_put_stock_refuses_a_bad_body(
    http: httpx.AsyncClient, server: FakeCatalog, body: bytes
) -> None:
    response = await http.put("/products/apple/stock", content=body)
    assert response.status_code == 400
    assert response.json() == {
        "error": 'the body must be JSON like {"stock": 3}, a non-negative integer'
    }
    assert server.products["apple"].stock == 10


async def test_put_stock_of_an_unknown_product(
    http: httpx.AsyncClient, server: FakeCatalog
) -> None:
    response = await http.put("/products/kiwi/stock", json={"stock": 1})
    assert (response.status_code, response.json()) == (404, {"error": "not found"})
    assert sorted(server.products) == ["apple", "pear", "plum"]


@pytest.mark.parametrize("path", ["/", "/product/apple", "/products/apple/price", "/products/"])
async def test_unknown_routes_are_404(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 404
    assert response.json()["error"].startswith(f"no route {path}; the catalog serves /products,")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/products", "GET"),
        ("DELETE", "/products/apple", "GET"),
        ("GET", "/products/apple/stock", "PUT"),
    ],
)
async def test_wrong_methods_are_405(
    http: httpx.AsyncClient, server: FakeCatalog, method: str, path: str, allowed: str
) -> None:
    response = await http.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.json() == {"error": f"method not allowed; this route accepts {allowed}"}
    assert server.products["apple"].stock == 10


async def test_requests_are_logged_in_arrival_order(
    http: httpx.AsyncClient, server: FakeCatalog
) -> None:
    await http.get("/products/apple")
    await http.put("/products/pear/stock", json={"stock": 1})
    await http.get("/nowhere")
    assert server.requests == [
        ("GET", "/products/apple"),
        ("PUT", "/products/pear/stock"),
        ("GET", "/nowhere"),
    ]


# --- latency and concurrency (virtual time) ------------------------------------------------


async def test_latency_delays_every_request(looptime: float) -> None:
    server = FakeCatalog([Product.from_json(APPLE)], latency=1.5)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server)) as http:
        await http.get("http://catalog.test/products/apple")
        assert looptime == 1.5
        await http.get("http://catalog.test/products")
        assert looptime == 3


async def test_per_sku_latency_overrides_the_global_one(
    http: httpx.AsyncClient, server: FakeCatalog, looptime: float
) -> None:
    server.latency = 1.0
    server.set_latency("pear", 4.0)
    await http.get("/products/apple")
    assert looptime == 1
    await http.get("/products/pear")
    assert looptime == 5
    await http.put("/products/pear/stock", json={"stock": 1})
    assert looptime == 9
    await http.get("/products")
    assert looptime == 10


async def test_in_flight_counts_concurrent_requests(
    http: httpx.AsyncClient, server: FakeCatalog, looptime: float
) -> None:
    server.latency = 1.0
    server.set_latency("plum", 2.0)
    assert (server.in_flight, server.max_in_flight) == (0, 0)
    skus = ("apple", "pear", "plum")
    requests = [asyncio.create_task(http.get(f"/products/{sku}")) for sku in skus]
    await asyncio.sleep(1.5)
    assert (server.in_flight, server.max_in_flight) == (1, 3)  # apple and pear are done
    await asyncio.gather(*requests)
    assert (server.in_flight, server.max_in_flight) == (0, 3)
    assert looptime == 2


@pytest.mark.parametrize("latency", [-0.1, -1])
def test_negative_latency_is_refused(latency: float) -> None:
    with pytest.raises(ValueError, match=f"latency must be >= 0 seconds, got {latency}"):
        FakeCatalog(latency=latency)
    with pytest.raises(ValueError, match=f"latency must be >= 0 seconds, got {latency}"):
        FakeCatalog().set_latency("apple", latency)


def test_zero_latency_is_allowed() -> None:
    server = FakeCatalog(latency=0)
    server.set_latency("apple", 0)
    assert server.latency == 0


# --- failure injection ---------------------------------------------------------------------


async def test_fail_next_answers_503_then_recovers(
    http: httpx.AsyncClient, server: FakeCatalog
) -> None:
    server.fail_next(2)
    statuses = [(await http.get("/products/apple")).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


@pytest.mark.parametrize("status", [400, 429, 500, 599])
async def test_fail_next_with_a_chosen_status(
    http: httpx.AsyncClient, server: FakeCatalog, status: int
) -> None:
    server.fail_next(1, status=status)
    response = await http.get("/products/apple")
    assert response.status_code == status
    assert response.json() == {"error": "injected failure (FakeCatalog.fail_next)"}


async def test_injected_failures_still_take_the_latency(
    http: httpx.AsyncClient, server: FakeCatalog, looptime: float
) -> None:
    server.latency = 0.5
    server.fail_next(1)
    assert (await http.get("/products/apple")).status_code == 503
    assert looptime == 0.5


async def test_faults_apply_even_to_unknown_routes(
    http: httpx.AsyncClient, server: FakeCatalog
) -> None:
    server.fail_next(1, status=500)
    assert (await http.get("/nowhere")).status_code == 500


async def test_hang_next_never_answers_until_the_client_gives_up(
    http: httpx.AsyncClient, server: FakeCatalog, looptime: float
) -> None:
    server.hang_next(1)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(30):
            await http.get("/products/apple")
    assert looptime == 30
    assert server.in_flight == 0  # the cancelled request was cleaned up
    assert (await http.get("/products/apple")).status_code == 200  # only the next 1 hung
    assert server.requests == [("GET", "/products/apple")] * 2


async def test_faults_are_served_in_the_order_they_were_queued(
    http: httpx.AsyncClient, server: FakeCatalog, looptime: float
) -> None:
    server.fail_next(1, status=500)
    server.hang_next(1)
    server.fail_next(1, status=429)
    assert (await http.get("/products/apple")).status_code == 500
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(1):
            await http.get("/products/apple")
    assert (await http.get("/products/apple")).status_code == 429
    assert (await http.get("/products/apple")).status_code == 200
    assert looptime == 1


async def test_zero_faults_is_a_no_op(http: httpx.AsyncClient, server: FakeCatalog) -> None:
    server.fail_next(0)
    server.hang_next(0)
    assert (await http.get("/products/apple")).status_code == 200


@pytest.mark.parametrize("inject", [FakeCatalog.fail_next, FakeCatalog.hang_next])
def test_a_negative_count_is_refused(inject: Any) -> None:
    with pytest.raises(ValueError, match="n must be >= 0 requests, got -1"):
        inject(FakeCatalog(), -1)


@pytest.mark.parametrize("status", [200, 302, 399, 600])
def test_fail_next_refuses_a_status_that_is_not_an_error(status: int) -> None:
    with pytest.raises(ValueError, match=rf"must be an HTTP error \(400-599\).*got {status}"):
        FakeCatalog().fail_next(1, status=status)


# --- the ASGI protocol beyond HTTP ---------------------------------------------------------


async def test_lifespan_startup_and_shutdown(server: FakeCatalog) -> None:
    """Drive the lifespan protocol by hand, as uvicorn would, one message at a time."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        outbox.append(message)

    app = asyncio.create_task(server({"type": "lifespan"}, inbox.get, send))
    await inbox.put({"type": "lifespan.startup"})
    await asyncio.sleep(0.1)
    assert outbox == [{"type": "lifespan.startup.complete"}]
    await inbox.put({"type": "lifespan.something-new"})  # unknown messages are ignored
    await asyncio.sleep(0.1)
    assert outbox == [{"type": "lifespan.startup.complete"}]
    assert not app.done()
    await inbox.put({"type": "lifespan.shutdown"})
    async with asyncio.timeout(1):
        await app  # the app returns once shut down
    assert outbox[1:] == [{"type": "lifespan.shutdown.complete"}]


async def test_a_body_without_more_body_is_complete(server: FakeCatalog) -> None:
    """ASGI lets a server omit `more_body` (it defaults to False); httpx always sends it."""
    received = [{"type": "http.request", "body": b'{"stock": 5}'}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return received.pop(0)  # a second call would fail: the body was complete

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "PUT", "path": "/products/apple/stock"}
    await server(scope, receive, send)
    assert sent[0]["status"] == 200
    assert server.products["apple"].stock == 5


async def test_other_protocols_are_refused(server: FakeCatalog) -> None:
    async def never_called(*args: Any) -> Any:
        raise AssertionError("the app must not receive or send")

    with pytest.raises(RuntimeError, match="speaks HTTP only, not 'websocket'; connect with"):
        await server({"type": "websocket"}, never_called, never_called)


async def test_a_body_may_come_in_chunks_and_a_chunk_may_leave_out_body() -> None:
    # ASGI makes both keys optional: "body" defaults to b"" and "more_body" to False.
    server = FakeCatalog([Product("apple", "Apple", price_cents=50, stock=1)])
    messages = iter([{"type": "http.request", "more_body": True}, {"type": "http.request", "body": b'{"stock": 3}'}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "PUT", "path": "/products/apple/stock", "headers": []}
    await server(scope, receive, send)
    assert sent[0]["status"] == 200
    assert server.products["apple"].stock == 3


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/products/apple", 200), ("GET", "/products/apple/stock", 405)]
)
async def test_response_header_names_are_lowercase_as_asgi_requires(method: str, path: str, status: int) -> None:
    server = FakeCatalog([Product("apple", "Apple", price_cents=50, stock=1)])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await server({"type": "http", "method": method, "path": path, "headers": []}, receive, send)
    names = [name for name, _ in sent[0]["headers"]]
    assert sent[0]["status"] == status
    assert names and all(name == name.lower() for name in names), names
    assert (b"allow" in names) == (status == 405)
