"""CatalogClient through the real stack: CatalogClient -> httpx -> ASGITransport -> FakeCatalog.

Every test runs on virtual time (``looptime``), so latencies, timeouts and backoff delays
cost no wall-clock time, and ``looptime == 6.3`` states *exactly* how long the client
waited. A few tests use respx instead of the fake, for what the fake cannot produce:
connection errors and malformed responses.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx

from catalog import (
    CatalogClient,
    CatalogError,
    FakeCatalog,
    NotFound,
    Product,
    RetriesExhausted,
    TransientError,
)

pytestmark = pytest.mark.looptime

APPLE = Product("apple", "Apple", price_cents=50, stock=10)
PEAR = Product("pear", "Pear", price_cents=80, stock=3)
PLUM = Product("plum", "Plum", price_cents=30, stock=0)
CLOSED = "client is closed; create a new CatalogClient or use it inside `async with`"


# --- get_product ---------------------------------------------------------------------------


async def test_get_product(client: CatalogClient, server: FakeCatalog, looptime: float) -> None:
    assert await client.get_product("apple") == APPLE
    assert server.requests == [("GET", "/products/apple")]
    assert looptime == 0


async def test_not_found_is_raised_at_once_without_retrying(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    with pytest.raises(NotFound, match="no product with sku 'kiwi'; check the sku") as caught:
        await client.get_product("kiwi")
    assert caught.value.sku == "kiwi"
    assert server.requests == [("GET", "/products/kiwi")]
    assert looptime == 0


@pytest.mark.parametrize("status", [429, 500, 502, 503, 599])
async def test_transient_statuses_are_retried_with_backoff(
    client: CatalogClient, server: FakeCatalog, looptime: float, status: int
) -> None:
    server.fail_next(2, status=status)
    assert await client.get_product("apple") == APPLE
    assert server.requests == [("GET", "/products/apple")] * 3
    assert looptime == 0.3  # backoff: 0.1 + 0.2


async def test_exhausted_retries_chain_the_last_transient_error(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    server.fail_next(3)
    with pytest.raises(RetriesExhausted) as caught:
        await client.get_product("apple")
    assert caught.value.attempts == 3
    cause = caught.value.__cause__
    assert isinstance(cause, TransientError)
    assert str(cause) == "GET /products/apple answered 503: worth retrying"
    assert len(server.requests) == 3
    assert looptime == 0.3  # no sleep after the last attempt


async def test_a_hung_request_times_out_and_is_retried(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    server.hang_next(1)
    assert await client.get_product("apple") == APPLE
    assert len(server.requests) == 2
    assert looptime == 2.1  # the 2 s timeout, then the 0.1 s backoff
    assert server.in_flight == 0  # the hung request was cancelled, not left behind


async def test_timeouts_on_every_attempt(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    server.hang_next(3)
    with pytest.raises(RetriesExhausted) as caught:
        await client.get_product("apple")
    cause = caught.value.__cause__
    assert isinstance(cause, TransientError)
    assert str(cause) == (
        "GET /products/apple got no answer within 2.0s: worth retrying; "
        "if the service is just slow, raise `timeout`"
    )
    assert isinstance(cause.__cause__, TimeoutError)
    assert looptime == 6.3  # 2 + 0.1 + 2 + 0.2 + 2
    assert server.in_flight == 0


async def test_a_slow_answer_within_the_timeout_is_fine(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    server.latency = 1.999
    assert await client.get_product("apple") == APPLE
    assert len(server.requests) == 1
    assert looptime == 1.999


async def test_timeout_attempts_and_base_delay_are_configurable(
    server: FakeCatalog, looptime: float
) -> None:
    server.hang_next(4)
    async with CatalogClient.for_app(server, timeout=0.5, attempts=5, base_delay=1.0) as client:
        assert await client.get_product("apple") == APPLE
    assert len(server.requests) == 5
    assert looptime == 4 * 0.5 + (1 + 2 + 4 + 5)  # four timeouts; backoff capped at 5 s


async def test_sleep_is_injectable(server: FakeCatalog, looptime: float) -> None:
    delays: list[float] = []

    async def record(delay: float) -> None:
        delays.append(delay)

    server.fail_next(2)
    async with CatalogClient.for_app(server, sleep=record) as client:
        assert await client.get_product("apple") == APPLE
    assert delays == [0.1, 0.2]
    assert looptime == 0  # recorded, never slept


@pytest.mark.parametrize("status", [400, 401, 418, 499])
async def test_other_client_errors_are_not_retried(
    client: CatalogClient, server: FakeCatalog, status: int
) -> None:
    server.fail_next(1, status=status)
    with pytest.raises(CatalogError) as caught:
        await client.get_product("apple")
    assert type(caught.value) is CatalogError  # neither NotFound nor TransientError
    assert str(caught.value) == (
        f"GET /products/apple was rejected with {status}: "
        '{"error": "injected failure (FakeCatalog.fail_next)"}; '
        "the request is wrong, so retrying will not help"
    )
    assert len(server.requests) == 1


async def test_cancellation_propagates_and_is_not_retried(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    server.latency = 10
    task = asyncio.create_task(client.get_product("apple"))
    await asyncio.sleep(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert server.requests == [("GET", "/products/apple")]
    assert server.in_flight == 0
    assert looptime == 1


# --- get_products --------------------------------------------------------------------------


async def test_get_products_keeps_input_order(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    server.latency = 1
    server.set_latency("plum", 1.5)  # finishes last, but is listed first
    assert await client.get_products(["plum", "apple", "pear"]) == [PLUM, APPLE, PEAR]
    assert server.max_in_flight == 3
    assert looptime == 1.5


@pytest.mark.parametrize(("max_concurrency", "duration"), [(1, 6), (2, 3), (4, 2), (6, 1)])
async def test_get_products_runs_exactly_max_concurrency_requests_at_once(
    server: FakeCatalog, looptime: float, max_concurrency: int, duration: int
) -> None:
    server.latency = 1
    skus = ["apple", "pear", "plum"] * 2
    async with CatalogClient.for_app(server, max_concurrency=max_concurrency) as client:
        products = await client.get_products(skus)
    assert [product.sku for product in products] == skus
    assert server.max_in_flight == max_concurrency
    assert looptime == duration


async def test_default_max_concurrency_is_five(client: CatalogClient, server: FakeCatalog) -> None:
    server.latency = 1
    await client.get_products(["apple"] * 12)
    assert server.max_in_flight == 5


async def test_get_products_accepts_any_iterable(client: CatalogClient) -> None:
    assert await client.get_products(iter(["pear"])) == [PEAR]
    assert await client.get_products([]) == []


async def test_get_products_fails_fast_and_cancels_the_rest(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    server.latency = 1
    server.set_latency("apple", 5)
    with pytest.raises(NotFound) as caught:
        await client.get_products(["apple", "kiwi", "pear"])
    assert caught.value.sku == "kiwi"
    assert looptime == 1  # apple's request was cancelled, not awaited to the end
    assert server.in_flight == 0


async def test_each_product_is_retried_on_its_own(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    server.fail_next(1)  # the first request to arrive (apple's) fails once
    assert await client.get_products(["apple", "pear"]) == [APPLE, PEAR]
    assert server.requests == [
        ("GET", "/products/apple"),
        ("GET", "/products/pear"),
        ("GET", "/products/apple"),
    ]
    assert looptime == 0.1


# --- set_stock -----------------------------------------------------------------------------


async def test_set_stock(client: CatalogClient, server: FakeCatalog) -> None:
    assert await client.set_stock("pear", 7) == Product("pear", "Pear", price_cents=80, stock=7)
    assert server.products["pear"].stock == 7
    assert server.requests == [("PUT", "/products/pear/stock")]


async def test_set_stock_is_retried_because_put_is_idempotent(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    server.hang_next(1)
    server.fail_next(1)
    assert (await client.set_stock("pear", 7)).stock == 7
    assert server.requests == [("PUT", "/products/pear/stock")] * 3
    assert server.products["pear"].stock == 7
    assert looptime == 2.3  # timeout, 0.1, 503, 0.2


async def test_set_stock_of_an_unknown_product(client: CatalogClient, server: FakeCatalog) -> None:
    with pytest.raises(NotFound) as caught:
        await client.set_stock("kiwi", 1)
    assert caught.value.sku == "kiwi"
    assert len(server.requests) == 1


async def test_set_stock_refused_by_the_server_is_not_retried(
    client: CatalogClient, server: FakeCatalog
) -> None:
    rejected = "PUT /products/pear/stock was rejected with 400: "
    with pytest.raises(CatalogError, match=rejected) as caught:
        await client.set_stock("pear", -1)
    assert type(caught.value) is CatalogError
    assert "a non-negative integer" in str(caught.value)  # the server's own explanation
    assert server.products["pear"] == PEAR
    assert len(server.requests) == 1


# --- lifecycle -----------------------------------------------------------------------------


async def test_async_with_closes_the_client(server: FakeCatalog) -> None:
    async with CatalogClient.for_app(server) as client:
        assert not client.closed
        await client.get_product("apple")
    assert client.closed


async def test_async_with_closes_the_client_on_error_too(server: FakeCatalog) -> None:
    with pytest.raises(NotFound):
        async with CatalogClient.for_app(server) as client:
            await client.get_product("kiwi")
    assert client.closed


async def test_aclose_closes_the_owned_http_client_and_is_idempotent() -> None:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=FakeCatalog()))
    client = CatalogClient(http)
    await client.aclose()
    assert client.closed and http.is_closed
    await client.aclose()  # a second close is harmless
    assert client.closed


async def test_closing_the_http_client_directly_also_closes_the_catalog_client() -> None:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=FakeCatalog()))
    client = CatalogClient(http)
    await http.aclose()
    assert client.closed


Call = Callable[[CatalogClient], Awaitable[Any]]


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.get_product("apple"),
        lambda client: client.get_products(["apple"]),
        lambda client: client.get_products([]),
        lambda client: client.set_stock("apple", 1),
        lambda client: client.__aenter__(),
    ],
    ids=["get_product", "get_products", "get_products-empty", "set_stock", "async-with"],
)
async def test_a_closed_client_refuses_work(server: FakeCatalog, call: Call) -> None:
    client = CatalogClient.for_app(server)
    await client.aclose()
    with pytest.raises(CatalogError) as caught:
        await call(client)
    assert str(caught.value) == CLOSED
    assert server.requests == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": 0}, r"timeout must be > 0 seconds \(the limit for each attempt\), got 0"),
        ({"max_concurrency": 0}, r"max_concurrency must be >= 1 \(1 sends one .*\), got 0"),
        ({"attempts": 0}, "attempts must be >= 1"),
        ({"base_delay": -1}, "base must be >= 0 seconds, got -1"),
    ],
)
async def test_bad_settings_are_refused_at_construction(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CatalogClient.for_app(FakeCatalog(), **options)


async def test_smallest_valid_settings_are_accepted(server: FakeCatalog) -> None:
    client = CatalogClient.for_app(
        server, timeout=0.001, max_concurrency=1, attempts=1, base_delay=0
    )
    async with client:
        assert await client.get_product("apple") == APPLE


async def test_for_app_uses_the_base_url(server: FakeCatalog) -> None:
    seen: list[tuple[str, bytes]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope["path"], dict(scope["headers"])[b"host"]))
        await server(scope, receive, send)

    async with CatalogClient.for_app(app) as client:
        await client.get_product("apple")
    async with CatalogClient.for_app(app, base_url="http://other.test/v2") as client:
        with pytest.raises(NotFound):
            await client.get_product("apple")
    assert seen == [
        ("/products/apple", b"catalog.test"),
        ("/v2/products/apple", b"other.test"),
    ]


# --- respx: what the in-process fake cannot produce ----------------------------------------

BASE_URL = "http://catalog.test"
APPLE_URL = f"{BASE_URL}/products/apple"


@pytest.fixture
async def plain_client() -> Any:
    """A client on a plain httpx.AsyncClient (no ASGITransport), so respx can intercept it."""
    async with CatalogClient(httpx.AsyncClient(base_url=BASE_URL)) as client:
        yield client


async def test_happy_path_with_respx(
    plain_client: CatalogClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(APPLE_URL).respond(200, json=APPLE.to_json())
    assert await plain_client.get_product("apple") == APPLE
    assert route.call_count == 1


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("connection refused"), httpx.ReadTimeout("read timed out"),
     httpx.RemoteProtocolError("peer closed connection")],
    ids=["connect", "read-timeout", "protocol"],
)
async def test_transport_errors_are_transient(
    plain_client: CatalogClient, respx_mock: respx.MockRouter, looptime: float, error: Exception
) -> None:
    route = respx_mock.get(APPLE_URL).mock(
        side_effect=[error, httpx.Response(200, json=APPLE.to_json())]
    )
    assert await plain_client.get_product("apple") == APPLE
    assert route.call_count == 2
    assert looptime == 0.1


async def test_connection_refused_on_every_attempt(
    plain_client: CatalogClient, respx_mock: respx.MockRouter, looptime: float
) -> None:
    route = respx_mock.get(APPLE_URL).mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(RetriesExhausted) as caught:
        await plain_client.get_product("apple")
    cause = caught.value.__cause__
    assert isinstance(cause, TransientError)
    assert str(cause) == (
        "GET /products/apple failed in transport (ConnectError('connection refused')): "
        "worth retrying; if it persists, check base_url and that the service is up"
    )
    assert isinstance(cause.__cause__, httpx.ConnectError)
    assert route.call_count == 3
    assert looptime == 0.3


async def test_a_response_that_is_not_json(
    plain_client: CatalogClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(APPLE_URL).respond(200, text="<html>a login page</html>")
    with pytest.raises(CatalogError) as caught:
        await plain_client.get_product("apple")
    assert str(caught.value) == (
        "GET /products/apple answered with something other than JSON; "
        "check that base_url points at the catalog service"
    )
    assert route.call_count == 1  # a wrong answer is not retried


async def test_a_malformed_product_is_not_retried(
    plain_client: CatalogClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(APPLE_URL).respond(200, json={"sku": "apple"})
    with pytest.raises(CatalogError, match="product JSON is missing name, price_cents, stock"):
        await plain_client.get_product("apple")
    assert route.call_count == 1
