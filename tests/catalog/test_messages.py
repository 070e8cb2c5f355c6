"""Every error the example package raises on purpose says what went wrong *and what to do next*.

Learners read these messages in the chapters' stored outputs and in their own failing cells, so the
whole text is behaviour: the other test modules check which error is raised and match its opening
words; this one pins each message from its first word to its last (mutation testing showed that
nothing else did).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from catalog import CatalogClient, CatalogError, FakeCatalog, NotFound, Product, RetriesExhausted
from catalog.backoff import retry
from catalog.notify import ALERT_URL_VARIABLE, NotifyError, WebhookNotifier, notifier_from_env
from catalog.restock import RestockNotifier
from catalog.watcher import StockWatcher


def raised(error: BaseException) -> str:
    return str(error)


def test_not_found_says_how_to_find_the_right_sku() -> None:
    assert raised(NotFound("durian")) == (
        "no product with sku 'durian'; check the sku for typos, or list the existing products with GET /products"
    )


def test_retries_exhausted_says_where_the_cause_is_and_what_to_change() -> None:
    assert raised(RetriesExhausted(3)) == (
        "gave up after 3 attempt(s); the last error is chained below as the cause. If the service is only "
        "slow, raise `attempts` or `timeout`; otherwise check the service's health"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["apple"], "a product must be a JSON object, got list; check that the request went to a product endpoint"),
        (
            {"sku": "apple"},
            "product JSON is missing name, price_cents, stock (got keys: ['sku']); the service and this client "
            "disagree on the schema",
        ),
        (
            {"sku": "apple", "name": "Apple", "price_cents": 50, "stock": True},
            "product field 'stock' must be int, got bool True; the service sent a malformed product (retrying "
            "will not fix it: report it to the service's owners)",
        ),
        (
            {"sku": "apple", "name": "Apple", "price_cents": -1, "stock": 3},
            "product field 'price_cents' must be >= 0, got -1; the service sent an impossible product: report it "
            "to the service's owners",
        ),
    ],
)
def test_a_malformed_product_says_who_must_fix_it(data: object, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        Product.from_json(data)  # type: ignore[arg-type]
    assert raised(caught.value) == message


async def test_retry_refuses_to_catch_cancellation_and_says_what_to_list_instead() -> None:
    async def operation() -> None:
        raise AssertionError("never attempted")

    with pytest.raises(ValueError, match="would catch") as caught:
        await retry(operation, retry_on=(BaseException,))
    assert raised(caught.value) == (
        "retry_on=(<class 'BaseException'>,) would catch asyncio.CancelledError, and a cancelled operation must "
        "stop, not retry; list the specific exceptions to retry instead"
    )


async def test_the_fake_catalog_speaks_http_only_and_lists_its_routes() -> None:
    server = FakeCatalog([])
    with pytest.raises(RuntimeError) as caught:
        await server({"type": "websocket"}, None, None)  # type: ignore[arg-type]
    assert raised(caught.value) == (
        "FakeCatalog speaks HTTP only, not 'websocket'; connect with an HTTP client such as httpx"
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server), base_url="http://catalog.test") as http:
        response = await http.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["error"] == (
        "no route /nowhere; the catalog serves /products, /products/{sku}, /products/{sku}/stock"
    )


@pytest.mark.parametrize("make", [RestockNotifier, StockWatcher], ids=["RestockNotifier", "StockWatcher"])
def test_starting_without_a_running_loop_says_how_to_start(make: type) -> None:
    component = RestockNotifier(asyncio.Queue()) if make is RestockNotifier else StockWatcher(None, ["apple"])  # type: ignore[arg-type]
    with pytest.raises(RuntimeError) as caught:
        component.start()
    name = make.__name__
    assert raised(caught.value) == (
        f"{name}.start() needs a running event loop: call it from async code, or use `async with {name}(...)`"
    )


async def test_starting_twice_says_to_make_a_new_one() -> None:
    async with CatalogClient.for_app(FakeCatalog([])) as client:
        for component in (RestockNotifier(asyncio.Queue()), StockWatcher(client, ["apple"])):
            name = type(component).__name__
            async with component:
                with pytest.raises(RuntimeError) as caught:
                    component.start()
            assert raised(caught.value) == f"a {name} can be started only once; create a new {name} instead"


async def test_waiting_on_a_notifier_never_started_says_to_start_it() -> None:
    with pytest.raises(RuntimeError) as caught:
        await RestockNotifier(asyncio.Queue()).wait_for("apple")
    assert raised(caught.value) == "start the RestockNotifier (or use `async with`) before waiting on it"


def test_a_missing_webhook_url_names_the_variable_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALERT_URL_VARIABLE, raising=False)
    with pytest.raises(NotifyError) as caught:
        notifier_from_env()
    assert raised(caught.value) == (
        f"no alert webhook is configured: set the environment variable {ALERT_URL_VARIABLE} to the chat webhook's URL"
    )


async def test_a_busy_webhook_is_worth_retrying_and_says_so() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(503)))

    async def no_wait(seconds: float) -> None:
        return None

    async with WebhookNotifier(http, "http://chat.test/hook", attempts=1, sleep=no_wait) as notifier:
        with pytest.raises(RetriesExhausted) as caught:
            await notifier.send("#stock", "apple is out")
    assert raised(caught.value.__cause__) == "the alert webhook answered 503: worth retrying"
