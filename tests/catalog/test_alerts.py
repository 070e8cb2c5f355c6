"""Low-stock alerts and restocking, through the real client and a notifier that records.

``alert_low_stock`` and ``restock`` receive their collaborators as arguments, so these tests pass
a real ``CatalogClient`` on the fake server and ``Recorder``, a notifier that keeps what it was
sent: no mocking library needed. ``restock_job`` finds its notifier by calling
``notifier_from_env()``, so its tests configure the environment and answer the webhook with respx.
"""

import asyncio
import json

import pytest

from catalog import CatalogClient, FakeCatalog, Product, RetriesExhausted
from catalog.alerts import DEFAULT_CHANNEL, alert_low_stock, alert_text, restock, restock_job
from catalog.notify import ALERT_URL_VARIABLE, NotifyError

pytestmark = pytest.mark.looptime

APPLE = Product("apple", "Apple", price_cents=50, stock=10)
PEAR = Product("pear", "Pear", price_cents=80, stock=3)
PLUM = Product("plum", "Plum", price_cents=30, stock=0)
URL = "https://chat.test/hooks/catalog"


class Recorder:
    """A notifier that records each alert once it has been sent, after ``latency`` seconds."""

    def __init__(self, latency: float = 0.0, fail_on: str | None = None) -> None:
        self.latency = latency
        self.fail_on = fail_on
        self.sent: list[tuple[str, str]] = []

    async def send(self, channel: str, text: str) -> None:
        await asyncio.sleep(self.latency)
        if self.fail_on is not None and self.fail_on in text:
            raise NotifyError(f"refused: {text}")
        self.sent.append((channel, text))


@pytest.fixture
def server() -> FakeCatalog:
    return FakeCatalog([APPLE, PEAR, PLUM])


@pytest.fixture
async def client(server):
    async with CatalogClient.for_app(server) as client:
        yield client


def test_the_alert_text() -> None:
    assert alert_text(PEAR, 5) == "Pear (pear) is running low: 3 left, threshold 5"


async def test_products_below_the_threshold_are_alerted_in_input_order(client, server) -> None:
    notifier = Recorder()
    alerted = await alert_low_stock(client, notifier, ["plum", "apple", "pear"], threshold=5)
    assert alerted == ["plum", "pear"]
    assert notifier.sent == [
        (DEFAULT_CHANNEL, "Plum (plum) is running low: 0 left, threshold 5"),
        (DEFAULT_CHANNEL, "Pear (pear) is running low: 3 left, threshold 5"),
    ]
    assert sorted(server.requests) == [("GET", f"/products/{sku}") for sku in ("apple", "pear", "plum")]


async def test_the_threshold_is_strict_and_the_channel_is_the_callers(client) -> None:
    notifier = Recorder()
    assert await alert_low_stock(client, notifier, ["pear", "apple"], threshold=3, channel="ops") == []
    assert await alert_low_stock(client, notifier, ["pear", "apple"], threshold=4, channel="ops") == ["pear"]
    assert notifier.sent == [("ops", "Pear (pear) is running low: 3 left, threshold 4")]


async def test_a_sku_listed_twice_is_fetched_and_alerted_once(client, server) -> None:
    notifier = Recorder()
    assert await alert_low_stock(client, notifier, ["plum", "plum"], threshold=1) == ["plum"]
    assert len(notifier.sent) == 1
    assert server.requests == [("GET", "/products/plum")]


async def test_the_alerts_are_sent_together(client, looptime) -> None:
    notifier = Recorder(latency=1.0)
    await alert_low_stock(client, notifier, ["plum", "pear"], threshold=5)
    assert len(notifier.sent) == 2
    assert looptime == 1.0  # not 2.0: the two alerts overlapped


async def test_a_catalog_failure_sends_no_alert(client, server) -> None:
    server.fail_next(3)
    notifier = Recorder()
    with pytest.raises(RetriesExhausted):
        await alert_low_stock(client, notifier, ["plum"], threshold=5)
    assert notifier.sent == []


async def test_a_failed_alert_fails_the_call(client) -> None:
    with pytest.raises(NotifyError, match="refused: Plum"):
        await alert_low_stock(client, Recorder(fail_on="Plum"), ["plum", "pear"], threshold=5)


async def test_restock_sets_the_stock_and_announces_what_the_service_reports(client, server) -> None:
    notifier = Recorder()
    product = await restock(client, notifier, "plum", 7, channel="ops")
    assert product == Product("plum", "Plum", price_cents=30, stock=7)
    assert server.products["plum"].stock == 7
    assert notifier.sent == [("ops", "Plum (plum) restocked: 7 in stock")]


# --- restock_job: the notifier comes from the environment ------------------------------------


async def test_the_job_alerts_through_the_configured_webhook(client, monkeypatch, respx_mock) -> None:
    monkeypatch.setenv(ALERT_URL_VARIABLE, URL)
    route = respx_mock.post(URL).respond(200)
    assert await restock_job(client, ["apple", "plum"], threshold=5) == ["plum"]
    assert [json.loads(call.request.content) for call in route.calls] == [
        {"channel": DEFAULT_CHANNEL, "text": "Plum (plum) is running low: 0 left, threshold 5"}
    ]


async def test_the_job_fails_before_fetching_when_no_webhook_is_set(client, server, monkeypatch) -> None:
    monkeypatch.delenv(ALERT_URL_VARIABLE, raising=False)
    with pytest.raises(NotifyError, match="no alert webhook is configured"):
        await restock_job(client, ["plum"], threshold=5)
    assert server.requests == []
