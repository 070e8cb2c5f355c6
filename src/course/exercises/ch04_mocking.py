"""Chapter 4, AsyncMock, patching and mocking HTTP: the exercises of ``exercises/04_mocking.ipynb``.

Solutions live in ``solutions/04_mocking.ipynb``; this module holds everything else.

Both *write the tests* targets take their collaborators as arguments (``alert_low_stock`` gets the
client and the notifier, ``WebhookNotifier`` gets its httpx client), so a learner's tests replace
them by passing mocks in, or by answering the HTTP with respx: nothing needs ``patch``. That matters
for grading: a variant is compiled in a copy of its module's namespace, so a ``patch`` of a module
attribute would reach the real implementation and miss the variants.
"""

from __future__ import annotations

import asyncio
from unittest.mock import AsyncMock, NonCallableMock

from catalog import CatalogClient, NotFound, inventory_value, low_stock, price_table
from course.exercises.model import Check, Exercise, Variant
from course.exercises.support import SHELF
from course.exercises.support import not_a_coroutine as _not_a_coroutine

BY_SKU = {product.sku: product for product in SHELF}

# --- 04-catalog-double ----------------------------------------------------------------------------


def _double(answer, *, latency: float = 0.0):
    double = answer.catalog_double(list(SHELF), latency=latency)
    if asyncio.iscoroutine(double):
        double.close()  # the mistake is named below; no "never awaited" warning on top of it
        raise AssertionError(
            "catalog_double(...) returned a coroutine: make catalog_double a plain `def` that builds and "
            "returns the mock (only the mock's side effects are `async def`)."
        )
    return double


def _specced(answer) -> None:
    double = _double(answer)
    assert isinstance(double, NonCallableMock), (
        f"catalog_double(...) returned {type(double).__name__}, not a mock: return an `AsyncMock(spec=CatalogClient)`."
    )
    assert isinstance(double, CatalogClient), (
        "isinstance(double, CatalogClient) is False: create the mock with `spec=CatalogClient`, so that it "
        "follows the real class."
    )
    try:
        double.get_prodcut  # noqa: B018 - a typo must fail loudly
    except AttributeError:
        pass
    else:
        raise AssertionError(
            "double.get_prodcut (a typo) gave a new mock instead of raising AttributeError: the mock needs "
            "`spec=CatalogClient`."
        )
    assert isinstance(double.get_product, AsyncMock), (
        f"double.get_product is a {type(double.get_product).__name__}, not an AsyncMock: configure the mock's "
        "own method (`double.get_product.side_effect = ...`) instead of replacing it."
    )


async def _await_product(double, sku: str):
    try:
        return await double.get_product(sku)
    except StopAsyncIteration:
        raise AssertionError(
            f"await double.get_product({sku!r}) raised StopAsyncIteration: a list `side_effect` hands out one item "
            "per call and runs out. Answer from the argument instead: a function `side_effect` receives the sku."
        ) from None


async def _answers_by_sku(answer) -> None:
    double = _double(answer)
    for sku in ("cheese", "apple", "cheese", "bread"):
        got = await _await_product(double, sku)
        _not_a_coroutine(got, f"await double.get_product({sku!r})")
        assert got == BY_SKU[sku], (
            f"await double.get_product({sku!r}) gave {got!r}; expected the {sku} Product. The answer must depend "
            "on the sku asked for, in any order: `return_value` gives every call the same answer, a list answers in "
            "call order; a function `side_effect` receives the sku."
        )


async def _unknown_sku(answer) -> None:
    double = _double(answer)
    for what, call in (
        ("get_product('durian')", lambda: double.get_product("durian")),
        ("get_products(['apple', 'durian'])", lambda: double.get_products(["apple", "durian"])),
    ):
        try:
            got = await call()
        except NotFound as error:
            assert error.sku == "durian", f"await double.{what} raised NotFound for {error.sku!r}, not 'durian'."
            continue
        except KeyError:
            raise AssertionError(
                f"await double.{what} raised KeyError: look the sku up, and raise `NotFound(sku)` when the "
                "catalog does not have it, as the real client does."
            ) from None
        raise AssertionError(f"await double.{what} gave {got!r}; an unknown sku must raise NotFound('durian').")


async def _latency(answer) -> None:
    double = _double(answer, latency=1.5)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await _await_product(double, "apple")
    took = loop.time() - start
    assert took == 1.5, (
        f"With latency=1.5, await double.get_product('apple') took {took:g} s of (virtual) time, not 1.5 s: an "
        "`async def` side_effect can `await asyncio.sleep(latency)` before it answers."
    )
    start = loop.time()
    got = await double.get_products(["cheese", "bread", "apple"])
    took = loop.time() - start
    assert got == [BY_SKU["cheese"], BY_SKU["bread"], BY_SKU["apple"]], (
        f"await double.get_products(['cheese', 'bread', 'apple']) gave {got!r}; expected those three Products, "
        "in that order."
    )
    assert took == 1.5, (
        f"With latency=1.5, get_products of 3 skus took {took:g} s, not 1.5 s: fetch them concurrently "
        "(`asyncio.gather`), as the real client does, not one after another."
    )


def _recorded(mock, expected: str, method: str) -> None:
    assert hasattr(mock, "assert_awaited_once_with"), (
        f"double.{method} is a {type(mock).__name__} and records nothing: keep the AsyncMock that `spec` made and "
        "set its `side_effect`, so tests can still use `assert_awaited_once_with`."
    )
    try:
        mock.assert_awaited_once_with(*expected)
    except AssertionError as error:
        arguments = ", ".join(map(repr, expected))
        raise AssertionError(
            f"After one call, double.{method}.assert_awaited_once_with({arguments}) failed: {error}"
        ) from None


async def _records_awaits(answer) -> None:
    double = _double(answer)
    await _await_product(double, "apple")
    _recorded(double.get_product, ("apple",), "get_product")
    double = _double(answer)
    await double.get_products(["bread", "apple"])
    _recorded(double.get_products, (["bread", "apple"],), "get_products")


async def _works_with_the_package(answer) -> None:
    double = _double(answer)
    try:
        limit = double.max_concurrency
    except AttributeError as error:
        raise AssertionError(
            f"double.max_concurrency raised AttributeError ({error}), and price_table reads it. CatalogClient "
            "sets it in __init__: `spec=CatalogClient` knows only what the class defines, so set "
            "`double.max_concurrency = 5` yourself."
        ) from None
    assert isinstance(limit, int) and not isinstance(limit, bool), (
        f"double.max_concurrency is of type {type(limit).__name__}, not a number: an attribute nobody set is a mock "
        "(on an AsyncMock without a spec, even an async one). price_table uses it as its concurrency limit: set "
        "`double.max_concurrency = 5`."
    )
    prices = await price_table(double, ["apple", "durian", "cheese"])
    assert prices == {"apple": 50, "durian": None, "cheese": 900}, (
        f"price_table(double, ['apple', 'durian', 'cheese']) gave {prices!r}; expected "
        "{'apple': 50, 'durian': None, 'cheese': 900}."
    )
    value = await inventory_value(double, ["apple", "cheese", "apple"])
    assert value == 50 * 3 + 900 * 12, (
        f"inventory_value(double, ['apple', 'cheese', 'apple']) gave {value!r}; expected 10950."
    )
    low = await low_stock(double, ["cheese", "bread", "apple"], threshold=5)
    assert low == ["bread", "apple"], f"low_stock(double, ['cheese', 'bread', 'apple'], threshold=5) gave {low!r}."


CATALOG_DOUBLE = Exercise(
    id="04-catalog-double",
    title="A CatalogClient double that answers by argument",
    kind="code",
    points=6,
    requires=("catalog_double",),
    hints=(
        "`return_value` gives every await the same answer, and a list `side_effect` answers in call order; an "
        "answer that depends on the sku needs a function `side_effect`, which receives the call's arguments.",
        "An `async def` side_effect is awaited by the mock, so it can `await asyncio.sleep(latency)` and raise "
        "`NotFound(sku)`. `spec=CatalogClient` knows the class's methods but not `max_concurrency`, an attribute "
        "set in `__init__`.",
        "Inside catalog_double: a dict from sku to product; `async def get_product(sku)` that sleeps, then returns "
        "or raises `NotFound(sku)`; `async def get_products(skus)` that gathers `get_product` for each sku; then "
        "`double = AsyncMock(spec=CatalogClient)`, set the two `side_effect`s and `double.max_concurrency = 5`.",
    ),
    checks=(
        Check("is a mock specced on CatalogClient", _specced),
        Check("get_product answers by sku, in any call order", _answers_by_sku),
        Check("an unknown sku raises NotFound", _unknown_sku),
        Check("takes `latency` per fetch; get_products fetches concurrently, in input order", _latency),
        Check("records the awaits (assert_awaited_once_with works)", _records_awaits),
        Check(
            "works where a CatalogClient is expected (price_table, inventory_value, low_stock)", _works_with_the_package
        ),
    ),
)


# --- 04-alert-tests -------------------------------------------------------------------------------

_ALERT_ONE_BY_ONE = '''
async def alert_low_stock(client, notifier, skus, *, threshold, channel=DEFAULT_CHANNEL):
    """One alert after the other, in the order of the products (sending them together is as valid)."""
    products = await client.get_products(list(dict.fromkeys(skus)))
    alerted = []
    for product in products:
        if product.stock < threshold:
            await notifier.send(channel, alert_text(product, threshold))
            alerted.append(product.sku)
    return alerted
'''

ALERT_TESTS = Exercise(
    id="04-alert-tests",
    title="Tests for alert_low_stock, with AsyncMock",
    kind="tests",
    points=6,
    target="catalog.alerts:alert_low_stock",
    hints=(
        "A call is not an await: a test that checks only that `send` was called passes when nobody awaited it.",
        "Pin down each promise with its own arrangement: a product exactly at the threshold, a channel other than "
        "the default, a sku listed twice (what did `get_products` receive?), and a `get_products` that raises.",
        "`client = AsyncMock(spec=CatalogClient)` with `client.get_products.return_value = [...]`, "
        "`notifier = AsyncMock(spec=Notifier)`; then `notifier.send.assert_awaited_once_with(channel, "
        "alert_text(product, threshold))`, `client.get_products.assert_awaited_once_with([...])`, and "
        "`client.get_products.side_effect = RetriesExhausted(3)` with `pytest.raises`.",
    ),
    wheats=(
        Variant("reference", "the course's implementation: all alerts sent together with asyncio.gather"),
        Variant(
            "one by one",
            "the alerts may go out one after another; only which alerts, where and what is specified",
            source=_ALERT_ONE_BY_ONE,
        ),
    ),
    chaffs=(
        Variant(
            "alerts never awaited",
            "Were the alerts actually sent (awaited) by the time alert_low_stock returned, or only called?",
            edits=(("    await asyncio.gather(", "    asyncio.gather("),),
        ),
        Variant(
            "ignores the channel",
            "Does an alert go to the channel the caller asked for?",
            edits=(("notifier.send(channel,", "notifier.send(DEFAULT_CHANNEL,"),),
        ),
        Variant(
            "alerts at the threshold",
            "Is a product whose stock equals the threshold alerted?",
            edits=(("product.stock < threshold", "product.stock <= threshold"),),
        ),
        Variant(
            "fetches duplicates",
            "What does get_products receive when a sku is listed twice?",
            edits=(
                ("products = await client.get_products(unique)", "products = await client.get_products(list(skus))"),
            ),
        ),
        Variant(
            "swallows catalog errors",
            "What happens when the catalog fails: does the error reach the caller?",
            edits=(
                (
                    "    products = await client.get_products(unique)\n",
                    "    try:\n        products = await client.get_products(unique)\n"
                    "    except Exception:\n        return []\n",
                ),
            ),
        ),
    ),
    weak_suites=(
        # Checks the call, not the await, with the default channel and no edge case: every bug survives.
        """
from unittest.mock import AsyncMock
from catalog import CatalogClient, Product
from catalog.alerts import alert_low_stock

async def test_alerts_a_low_product():
    client = AsyncMock(spec=CatalogClient)
    client.get_products.return_value = [Product("a", "A", 100, 1), Product("c", "C", 100, 9)]
    notifier = AsyncMock()
    assert await alert_low_stock(client, notifier, ["a", "c"], threshold=5) == ["a"]
    notifier.send.assert_called_once()
""",
        # Awaits checked, but only the happy path on the default channel: it catches the missing await only.
        """
from unittest.mock import AsyncMock
from catalog import CatalogClient, Product
from catalog.alerts import alert_low_stock, alert_text
from catalog.notify import Notifier

async def test_alerts_a_low_product_on_the_default_channel():
    low = Product("a", "A", 100, 1)
    client = AsyncMock(spec=CatalogClient)
    client.get_products.return_value = [low]
    notifier = AsyncMock(spec=Notifier)
    assert await alert_low_stock(client, notifier, ["a"], threshold=5) == ["a"]
    notifier.send.assert_awaited_once_with("purchasing", alert_text(low, 5))
""",
    ),
)


# --- 04-webhook-tests -----------------------------------------------------------------------------

_SEND_OWN_LOOP = '''
from catalog.errors import RetriesExhausted


async def send(self, channel, text):
    """A hand-written retry loop instead of catalog.backoff.retry; the JSON keys in another order."""
    delays = backoff_delays(self.attempts, base=self.base_delay)
    for attempt in range(self.attempts):
        try:
            async with asyncio.timeout(self.timeout):
                response = await self._http.post(self.url, json={"text": text, "channel": channel})
        except TimeoutError as error:
            failure = TransientError(f"the alert webhook gave no answer within {self.timeout}s: worth retrying")
            failure.__cause__ = error
        except httpx.TransportError as error:
            failure = TransientError(
                f"the alert could not be sent ({error!r}): worth retrying; if it persists, check the webhook URL"
            )
            failure.__cause__ = error
        else:
            status = response.status_code
            if status < 400:
                return
            if status != 429 and status < 500:
                raise NotifyError(
                    f"the alert webhook refused the alert with {status}: {response.text}; "
                    "check the URL and the channel, retrying will not help"
                )
            failure = TransientError(f"the alert webhook answered {status}: worth retrying")
        if attempt < len(delays):
            await self._sleep(delays[attempt])
    raise RetriesExhausted(self.attempts) from failure
'''

WEBHOOK_TESTS = Exercise(
    id="04-webhook-tests",
    title="Tests for WebhookNotifier.send, with respx",
    kind="tests",
    points=6,
    target="catalog.notify:WebhookNotifier.send",
    hints=(
        "A happy path and one retried 503 leave most promises untested: what is sent, which failures are retried "
        "(a dropped connection, a webhook that never answers), which are not (a refusal), and what happens when "
        "the attempts run out.",
        "A respx route's `side_effect` list answers one request per item, and an exception in it (such as "
        "`httpx.ConnectError`) is raised as a network failure; an `async def` side effect that never returns "
        "leaves only the notifier's timeout to end the request. Compare the JSON body parsed, not as bytes.",
        "`route = respx_mock.post(URL).mock(side_effect=[httpx.Response(503), httpx.ConnectError('x'), "
        "httpx.Response(200)])`, a `sleep` that records its delays, then `route.call_count == 3`, "
        "`delays == [0.1, 0.2]` and `json.loads(route.calls.last.request.content)`; `pytest.raises(NotifyError)` "
        "for a 400 with `route.call_count == 1`, `pytest.raises(RetriesExhausted)` for a webhook that always fails.",
    ),
    wheats=(
        Variant("reference", "the course's implementation, built on catalog.backoff.retry"),
        Variant(
            "own loop",
            "a hand-written retry loop; the same requests, delays and errors, and the same JSON "
            "body with its keys in another order",
            source=_SEND_OWN_LOOP,
        ),
    ),
    chaffs=(
        Variant(
            "dropped connections not retried",
            "Is an alert sent again when the connection is refused or dropped?",
            edits=(("except httpx.TransportError as error:", "except httpx.TimeoutException as error:"),),
        ),
        Variant(
            "refusals retried",
            "Is an alert the webhook refuses (a 400) sent again, or given up at once?",
            edits=(("if status == 429 or status >= 500:", "if status >= 400:"),),
        ),
        Variant(
            "failures swallowed",
            "When an alert cannot be sent, does the caller hear about it?",
            edits=(
                (
                    "await retry(attempt, attempts=self.attempts, base=self.base_delay, sleep=self._sleep)",
                    "try:\n"
                    "        await retry(attempt, attempts=self.attempts, base=self.base_delay, sleep=self._sleep)\n"
                    "    except CatalogError:\n"
                    "        pass  # an alert is not worth failing for",
                ),
            ),
        ),
        Variant(
            "wrong body",
            "What exactly is in the JSON the webhook receives?",
            edits=(('json={"channel": channel, "text": text}', 'json={"channel": channel, "message": text}'),),
        ),
        Variant(
            "no backoff",
            "How long does the notifier wait between two attempts?",
            edits=(("base=self.base_delay", "base=0"),),
        ),
        Variant(
            "no timeout",
            "What happens when the webhook never answers?",
            edits=(("async with asyncio.timeout(self.timeout):", "async with asyncio.timeout(None):"),),
        ),
    ),
    weak_suites=(
        # The happy path and one retried 503, with a sleep that waits for nothing: every bug survives.
        """
import httpx
from catalog.notify import WebhookNotifier

URL = "https://chat.test/hook"
TLS = httpx.create_ssl_context()

async def no_sleep(delay):
    pass

async def test_posts_the_alert(respx_mock):
    route = respx_mock.post(URL).respond(200)
    async with WebhookNotifier(httpx.AsyncClient(verify=TLS), URL, sleep=no_sleep) as notifier:
        await notifier.send("ops", "hello")
    assert route.called

async def test_retries_a_503(respx_mock):
    route = respx_mock.post(URL).mock(side_effect=[httpx.Response(503), httpx.Response(200)])
    async with WebhookNotifier(httpx.AsyncClient(verify=TLS), URL, sleep=no_sleep) as notifier:
        await notifier.send("ops", "hello")
    assert route.call_count == 2
""",
    ),
)

EXERCISES = (CATALOG_DOUBLE, ALERT_TESTS, WEBHOOK_TESTS)
