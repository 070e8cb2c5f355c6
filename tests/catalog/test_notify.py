"""WebhookNotifier through real httpx, with respx standing in for the chat webhook.

respx intercepts the requests of a plain ``httpx.AsyncClient`` and answers them from routes,
so every failure a webhook can produce (statuses, dropped connections, no answer at all) is one
line of arrangement. Every test runs on virtual time (``looptime``): ``looptime == 0.3`` states
exactly how long the retries waited.
"""

import asyncio
import json

import httpx
import pytest
import respx

from catalog.errors import CatalogError, RetriesExhausted, TransientError
from catalog.notify import ALERT_URL_VARIABLE, NotifyError, WebhookNotifier, notifier_from_env

pytestmark = pytest.mark.looptime

URL = "https://chat.test/hooks/catalog"


@pytest.fixture
async def notifier():
    async with WebhookNotifier(httpx.AsyncClient(), URL) as notifier:
        yield notifier


def sent(route: respx.Route) -> list[dict]:
    """The JSON bodies the route received, in order."""
    return [json.loads(call.request.content) for call in route.calls]


async def test_an_alert_is_posted_as_json(notifier, respx_mock, looptime) -> None:
    route = respx_mock.post(URL).respond(204)
    await notifier.send("purchasing", "Pear is running low")
    assert sent(route) == [{"channel": "purchasing", "text": "Pear is running low"}]
    assert route.calls.last.request.headers["content-type"] == "application/json"
    assert looptime == 0


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_transient_statuses_are_retried_with_backoff(notifier, respx_mock, looptime, status) -> None:
    route = respx_mock.post(URL).mock(
        side_effect=[httpx.Response(status), httpx.Response(status), httpx.Response(200)]
    )
    await notifier.send("purchasing", "hello")
    assert route.call_count == 3
    assert looptime == pytest.approx(0.3)  # 0.1 + 0.2


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("connection refused"), httpx.ReadTimeout("read timed out")],
    ids=["connect", "read-timeout"],
)
async def test_transport_errors_are_retried(notifier, respx_mock, looptime, error) -> None:
    route = respx_mock.post(URL).mock(side_effect=[error, httpx.Response(200)])
    await notifier.send("purchasing", "hello")
    assert route.call_count == 2
    assert looptime == pytest.approx(0.1)


async def test_a_webhook_that_never_answers_times_out_and_is_retried(respx_mock, looptime) -> None:
    requests = []

    async def hang_once(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if len(requests) == 1:
            await asyncio.Event().wait()  # only the notifier's timeout ends this
        return httpx.Response(200)

    route = respx_mock.post(URL).mock(side_effect=hang_once)
    async with WebhookNotifier(httpx.AsyncClient(), URL, timeout=1.5) as notifier:
        await notifier.send("purchasing", "hello")
    assert len(requests) == 2
    # respx records a call once its answer is decided: the request cancelled by the timeout is not in it.
    assert route.call_count == 1
    assert looptime == pytest.approx(1.6)  # the 1.5 s timeout, then 0.1 s of backoff


async def test_giving_up_chains_the_last_failure(notifier, respx_mock, looptime) -> None:
    route = respx_mock.post(URL).mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(RetriesExhausted) as caught:
        await notifier.send("purchasing", "hello")
    cause = caught.value.__cause__
    assert isinstance(cause, TransientError)
    assert str(cause) == (
        "the alert could not be sent (ConnectError('connection refused')): worth retrying; "
        "if it persists, check the webhook URL"
    )
    assert route.call_count == 3
    assert looptime == pytest.approx(0.3)


async def test_a_timeout_says_how_long_it_waited(respx_mock) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")  # pragma: no cover

    respx_mock.post(URL).mock(side_effect=hang)
    async with WebhookNotifier(httpx.AsyncClient(), URL, timeout=0.5, attempts=1) as notifier:
        with pytest.raises(RetriesExhausted) as caught:
            await notifier.send("purchasing", "hello")
    assert str(caught.value.__cause__) == "the alert webhook gave no answer within 0.5s: worth retrying"


@pytest.mark.parametrize("status", [400, 403, 404])
async def test_a_refused_alert_is_not_retried(notifier, respx_mock, looptime, status) -> None:
    route = respx_mock.post(URL).respond(status, text="unknown channel")
    with pytest.raises(NotifyError) as caught:
        await notifier.send("nowhere", "hello")
    assert str(caught.value) == (
        f"the alert webhook refused the alert with {status}: unknown channel; "
        "check the URL and the channel, retrying will not help"
    )
    assert isinstance(caught.value, CatalogError)
    assert route.call_count == 1
    assert looptime == 0


async def test_the_retries_use_the_given_sleep(respx_mock) -> None:
    delays = []

    async def record(delay: float) -> None:
        delays.append(delay)

    respx_mock.post(URL).mock(side_effect=[httpx.Response(503)] * 3 + [httpx.Response(200)])
    async with WebhookNotifier(httpx.AsyncClient(), URL, attempts=4, base_delay=0.5, sleep=record) as notifier:
        await notifier.send("purchasing", "hello")
    assert delays == [0.5, 1.0, 2.0]


async def test_closing_closes_the_connections_once() -> None:
    notifier = WebhookNotifier(httpx.AsyncClient(), URL)
    async with notifier:
        assert not notifier.closed
    assert notifier.closed
    await notifier.aclose()  # a second close is harmless
    assert notifier.closed


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": 0}, "timeout must be > 0 seconds"),
        ({"attempts": 0}, "attempts must be >= 1"),
        ({"base_delay": -1}, "base must be >= 0 seconds"),
    ],
)
async def test_bad_settings_fail_at_construction(options, message) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(ValueError, match=message):
            WebhookNotifier(http, URL, **options)


# --- notifier_from_env ---------------------------------------------------------------------


async def test_the_notifier_from_env_posts_to_the_configured_url(monkeypatch, respx_mock) -> None:
    monkeypatch.setenv(ALERT_URL_VARIABLE, URL)
    route = respx_mock.post(URL).respond(200)
    async with notifier_from_env(timeout=1.0, attempts=2, base_delay=0.5) as notifier:
        assert (notifier.url, notifier.timeout, notifier.attempts, notifier.base_delay) == (URL, 1.0, 2, 0.5)
        await notifier.send("purchasing", "hello")
    assert route.called
    assert notifier.closed


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_no_configured_url_fails_at_once(monkeypatch, value) -> None:
    if value is None:
        monkeypatch.delenv(ALERT_URL_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(ALERT_URL_VARIABLE, value)
    with pytest.raises(NotifyError, match="set the environment variable CATALOG_ALERT_URL"):
        notifier_from_env()


async def test_the_documented_defaults(monkeypatch) -> None:
    monkeypatch.setenv(ALERT_URL_VARIABLE, URL)
    async with notifier_from_env() as from_env, WebhookNotifier(httpx.AsyncClient(), URL) as made:
        for notifier in (from_env, made):
            assert (notifier.timeout, notifier.attempts, notifier.base_delay) == (5.0, 3, 0.1)
