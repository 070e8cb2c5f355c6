"""Chapter 8, property-based testing with Hypothesis: the exercises of ``exercises/08_hypothesis.ipynb``.

Solutions live in ``solutions/08_hypothesis.ipynb``; this module holds everything else.

The checks that use Hypothesis pass their own settings (``_sample``): derandomized, no example
database, a fixed number of examples. A check must give the same verdict on every run and write
nothing to disk, whatever Hypothesis profile the process that runs it has loaded.
"""

from __future__ import annotations

import asyncio
import itertools
import re

from catalog import CatalogError, Product
from course.exercises.model import Check, Exercise, Variant

# --- 08-backoff-properties ------------------------------------------------------------------------

_BACKOFF_ITERATIVE = '''
def backoff_delays(attempts, *, base=0.1, factor=2.0, cap=5.0):
    """The same schedule, grown by repeated multiplication instead of a power."""
    for name, value, lowest in (("attempts", attempts, 1), ("base", base, 0), ("factor", factor, 1), ("cap", cap, 0)):
        if value < lowest:
            raise ValueError(f"{name} must be >= {lowest}, got {value}")
    delays, delay = [], base
    for _ in range(attempts - 1):
        delays.append(min(delay, cap))
        delay = delay * factor
    return delays
'''

BACKOFF_PROPERTIES = Exercise(
    id="08-backoff-properties",
    title="Property tests for backoff_delays",
    kind="tests",
    points=5,
    target="catalog.backoff:backoff_delays",
    hints=(
        "Each bug breaks one promise for some inputs only: the number of delays, where the growth starts, "
        "the cap, and which arguments at the very edge of the valid range are accepted. One example with "
        "the default arguments meets none of those inputs.",
        "Draw every argument from a strategy whose bounds are the validated limits themselves (attempts "
        "from 1, factor from 1, base and cap from 0), so that Hypothesis tries the edges. A cap larger "
        "than every delay never tests the cap.",
        "Floating-point results of a correct version can differ in the last digits: compare delays with "
        "`pytest.approx`, not `==`. State the length, the first delay, that each delay is the previous "
        "one times factor or the cap, that none exceeds the cap, and that the edge values raise nothing.",
    ),
    wheats=(
        Variant("reference", "the course's implementation: a capped power, delay i = min(base * factor**i, cap)"),
        Variant("iterative", "each delay is the previous one times factor, then capped: the same schedule, "
                "up to floating-point rounding", source=_BACKOFF_ITERATIVE),
    ),
    chaffs=(
        Variant("cap ignored",
                "Is a delay that would grow past the cap really capped? Only settings whose delays reach "
                "the cap can tell.",
                edits=(("min(base * factor**i, cap)", "base * factor**i"),)),
        Variant("a delay after the last attempt",
                "How many delays are there for a given number of attempts? There is none after the last "
                "attempt.",
                edits=(("range(attempts - 1)", "range(attempts)"),)),
        Variant("growth starts one step early",
                "Is the first delay exactly the base (or the cap, if it is lower), or already multiplied "
                "once?",
                edits=(("min(base * factor**i, cap)", "min(base * factor ** (i + 1), cap)"),)),
        Variant("factor of 1 refused",
                "Is a factor of exactly 1 (constant delays) accepted? It is the lowest valid factor.",
                edits=(("if factor < 1:", "if factor <= 1:"),)),
        Variant("a single attempt refused",
                "Is `attempts=1` (one try, no retries, no delays) accepted?",
                edits=(("if attempts < 1:", "if attempts < 2:"),)),
    ),
    weak_suites=(
        # One hand-picked example with the defaults: the cap and the edges never come up.
        '''
from catalog import backoff_delays

def test_the_default_schedule():
    assert backoff_delays(4) == [0.1, 0.2, 0.4]
''',
        # Properties, but only "capped" and "never shrinks": true of a schedule one delay too long or
        # one step ahead as well.
        '''
from hypothesis import Phase, given, settings, strategies as st
from catalog import backoff_delays

@settings(max_examples=50, database=None, derandomize=True, phases=[Phase.explicit, Phase.generate])
@given(st.integers(1, 20), st.floats(0, 2), st.floats(1, 4), st.floats(0, 30))
def test_capped_and_never_shrinking(attempts, base, factor, cap):
    delays = backoff_delays(attempts, base=base, factor=factor, cap=cap)
    assert all(delay <= cap for delay in delays)
    assert delays == sorted(delays)
''',
    ),
)


# --- 08-product-strategies ------------------------------------------------------------------------

_SKU = re.compile(r"[a-z0-9-]{1,12}")


_SAMPLES: list[tuple[object, list]] = []  # (strategy, its sample): the checks of one answer share them


def _seed_unicode_cache() -> None:
    """Spare a check the few seconds Hypothesis spends, once per folder, on ``st.text()``'s alphabet.

    ``st.text()`` draws from every character UTF-8 can encode. Hypothesis finds them by encoding all
    1.1 million code points (2 to 4 s on a busy machine) and caches the answer in its storage folder,
    ``.hypothesis/`` under the current directory. The grader's sandboxes start in an empty scratch
    folder, so every sandbox would pay that inside a 5-second check. The answer for UTF-8 is known:
    everything but the surrogates. If the file is unreadable, Hypothesis ignores it and computes the
    answer itself, so this can cost time but never change a result.
    """
    import gzip
    import json

    from hypothesis.internal.charmap import charmap_file

    path = charmap_file("codec-v2-utf-8")
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.GzipFile(path, "wb", mtime=1) as file:
            file.write(json.dumps([[[0, 0xD7FF], [0xE000, 0x10FFFF]], []]).encode())
    except OSError:  # pragma: no cover - an unwritable folder: Hypothesis computes it
        pass


def _sample(strategy, count: int = 200) -> list:
    """``count`` examples of ``strategy``, the same ones on every run: generated, never shrunk."""
    from hypothesis import HealthCheck, Phase, given, settings

    _seed_unicode_cache()
    for known, drawn in _SAMPLES:
        if known is strategy:
            return drawn

    drawn: list = []

    @settings(database=None, derandomize=True, max_examples=count, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(strategy)
    def collect(value):
        drawn.append(value)

    collect()
    _SAMPLES[:] = [*_SAMPLES[-3:], (strategy, drawn)]
    return drawn


def _simplest(values: list):
    """The value with the shortest repr: the easiest counterexample to read."""
    return min(values, key=lambda value: len(repr(value))) if values else None


def _strategy(answer, name: str):
    from hypothesis.strategies import SearchStrategy

    value = getattr(answer, name)
    if isinstance(value, SearchStrategy):
        return value
    if callable(value):
        raise AssertionError(
            f"`{name}` is a function, not a strategy: Hypothesis draws from a strategy object. Assign the "
            f"strategy itself (`{name} = st....`), or, if you wrote it with `@st.composite`, call it once: "
            f"`{name} = {getattr(value, '__name__', name)}()`."
        )
    raise AssertionError(f"`{name}` is {value!r}, not a Hypothesis strategy (an `st....` object).")


def _skus_is_a_strategy(answer) -> None:
    _strategy(answer, "skus")


def _bad_sku(sku) -> bool:
    return not (isinstance(sku, str) and _SKU.fullmatch(sku))


def _skus_valid(answer) -> None:
    bad = _simplest([sku for sku in _sample(_strategy(answer, "skus")) if _bad_sku(sku)])
    assert bad is None, (
        f"`skus` can produce {bad!r}, which is not a sku: a sku is 1 to 12 characters, each a lowercase "
        "ASCII letter, a digit or a dash. Limit the alphabet and both sizes."
    )


def _skus_cover(answer) -> None:
    drawn = _sample(_strategy(answer, "skus"))
    wanted = {
        "a sku of one character": lambda s: isinstance(s, str) and len(s) == 1,
        "a sku of 12 characters": lambda s: isinstance(s, str) and len(s) == 12,
        "a sku with a digit": lambda s: isinstance(s, str) and any(c.isdigit() for c in s),
        "a sku with a dash": lambda s: isinstance(s, str) and "-" in s,
    }
    missing = [what for what, condition in wanted.items() if not any(map(condition, drawn))]
    assert not missing, (
        f"`skus` never produces {' or '.join(missing)}. A strategy for an input must cover all of its valid "
        "values, the edges included: otherwise a bug that only those values show is never found."
    )


def _products(answer) -> list:
    drawn = _sample(_strategy(answer, "products"))
    wrong = _simplest([p for p in drawn if not isinstance(p, Product)])
    assert wrong is None, (
        f"`products` produced {wrong!r}, which is not a `Product`: build them with `st.builds(Product, ...)`."
    )
    return drawn


def _products_are_products(answer) -> None:
    _products(answer)


def _invalid_product(product) -> bool:
    try:
        return Product.from_json(product.to_json()) != product
    except CatalogError:
        return True


def _products_valid(answer) -> None:
    drawn = _products(answer)
    bad = _simplest([p for p in drawn if _invalid_product(p)])
    assert bad is None, (
        f"`products` can produce {bad!r}, which the service would never send: `Product.from_json` refuses "
        "it. Prices and stock levels are integers >= 0."
    )
    bad_sku = _simplest([p for p in drawn if _bad_sku(p.sku)])
    assert bad_sku is None, (
        f"`products` can produce {bad_sku!r}, whose sku is not a valid sku: draw the sku from your `skus` "
        "strategy."
    )


def _products_cover(answer) -> None:
    drawn = _products(answer)
    wanted = {
        "a product out of stock (stock 0)": lambda p: p.stock == 0,
        "a product in stock": lambda p: p.stock > 0,
        "a free product (price 0)": lambda p: p.price_cents == 0,
        "a product with an empty name": lambda p: p.name == "",
        "a product whose name is not plain ASCII": lambda p: not p.name.isascii(),
    }
    missing = [what for what, condition in wanted.items() if not any(map(condition, drawn))]
    assert not missing, (
        f"`products` never produces {', or '.join(missing)}. Stock and prices start at 0, and a name is any "
        "text (the empty string included)."
    )


PRODUCT_STRATEGIES = Exercise(
    id="08-product-strategies",
    title="Strategies for skus and products",
    kind="code",
    points=4,
    requires=("skus", "products"),
    hints=(
        "A strategy describes exactly the valid inputs: everything it produces must be valid, and every "
        "valid value, the edges included, must be possible. Too wide and your tests fail on inputs the "
        "code never gets; too narrow and they never meet the inputs that break it.",
        "Zero is a valid stock level and a valid price, and a name may be any text, even empty. A sku has a "
        "fixed alphabet and both a minimum and a maximum length. A strategy is an object: `st.text(...)`, "
        "not a function returning one.",
        "`skus = st.text(alphabet=string.ascii_lowercase + string.digits + '-', min_size=1, max_size=12)`, "
        "then `products = st.builds(Product, sku=skus, name=st.text(), price_cents=st.integers(min_value=0), "
        "stock=st.integers(min_value=0))`.",
    ),
    checks=(
        Check("`skus` is a strategy", _skus_is_a_strategy),
        # The first check to draw from each strategy draws its 200 examples (the checks after it reuse
        # them): honest work that a loaded machine can stretch past the check limit.
        Check("every sku it produces is valid", _skus_valid, time_scale=3),
        Check("it produces the edge cases of skus", _skus_cover),
        Check("`products` produces Products", _products_are_products, time_scale=3),
        Check("every product it produces is one the service could send", _products_valid),
        Check("it produces the edge cases of products", _products_cover),
    ),
)


# --- 08-release-in-order --------------------------------------------------------------------------


class _GatedClient:
    """``set_stock`` waits until its sku's gate opens, then takes that sku's latency to finish."""

    def __init__(self, latencies: dict[str, float]) -> None:
        self.latencies = latencies
        self.arrived = {sku: asyncio.Event() for sku in latencies}
        self.release = {sku: asyncio.Event() for sku in latencies}
        self.finished = {sku: asyncio.Event() for sku in latencies}
        self.finish_order: list[str] = []

    async def set_stock(self, sku: str, stock: int) -> Product:
        self.arrived[sku].set()
        await self.release[sku].wait()
        await asyncio.sleep(self.latencies[sku])
        self.finish_order.append(sku)
        self.finished[sku].set()
        return Product(sku, sku.title(), 100, stock)


async def _scenario(answer, latencies: dict[str, float], order: list[str]) -> tuple[list[str], object]:
    client = _GatedClient(latencies)
    updates = [asyncio.create_task(client.set_stock(sku, 1)) for sku in latencies]
    for sku in latencies:
        await client.arrived[sku].wait()
    try:
        async with asyncio.timeout(300):
            returned = await answer.release_in_order(client, order)
    except TimeoutError:
        for task in updates:
            task.cancel()
        await asyncio.gather(*updates, return_exceptions=True)
        raise AssertionError(
            f"release_in_order(client, {order!r}) never returned: it waits for something that does not "
            "happen. Wait for `client.finished[sku]` of a sku whose gate you have already opened."
        ) from None
    await asyncio.gather(*updates)
    return client.finish_order, returned


async def _release_one(answer) -> None:
    finished, returned = await _scenario(answer, {"apple": 1.0}, ["apple"])
    assert asyncio.iscoroutine(returned) is False, (
        "release_in_order returned a coroutine object: a call to an `async def` function inside it is "
        "missing its `await`."
    )
    assert finished == ["apple"], f"With one gated update, {finished} finished; expected ['apple']."


async def _release_every_order(answer) -> None:
    skus = ["apple", "bread", "cheese"]
    # Latencies that make the updates finish in the wrong order unless each waits for the previous one.
    for latencies in ({"apple": 3.0, "bread": 2.0, "cheese": 1.0}, {"apple": 1.0, "bread": 3.0, "cheese": 2.0}):
        for order in itertools.permutations(skus):
            finished, _ = await _scenario(answer, dict(latencies), list(order))
            assert finished == list(order), (
                f"With latencies {latencies} and order {list(order)}, the updates finished in the order "
                f"{finished}. Open one gate, wait until that update has *finished* "
                "(`client.finished[sku]`), and only then open the next: opening them all at once, or "
                "waiting for the wrong event, lets the faster updates overtake."
            )


async def _release_returns_once_all_finished(answer) -> None:
    client = _GatedClient({"apple": 2.0, "bread": 1.0})
    updates = [asyncio.create_task(client.set_stock(sku, 1)) for sku in ("apple", "bread")]
    await asyncio.sleep(0)
    async with asyncio.timeout(300):
        await answer.release_in_order(client, ["apple", "bread"])
    done = [sku for sku in ("apple", "bread") if client.finished[sku].is_set()]
    await asyncio.gather(*updates)
    assert done == ["apple", "bread"], (
        f"When release_in_order returned, only {done} had finished. It returns once the last update in "
        "`order` has finished, so that the caller can look at the results."
    )


async def _release_only_listed(answer) -> None:
    client = _GatedClient({"apple": 1.0, "bread": 1.0, "cheese": 1.0})
    updates = [asyncio.create_task(client.set_stock(sku, 1)) for sku in ("apple", "bread", "cheese")]
    await asyncio.sleep(0)
    async with asyncio.timeout(300):
        await answer.release_in_order(client, ["cheese", "apple"])
    await asyncio.sleep(10)
    still_held = not client.release["bread"].is_set()
    client.release["bread"].set()
    await asyncio.gather(*updates)
    assert still_held, (
        "release_in_order(client, ['cheese', 'apple']) opened bread's gate too: open exactly the gates "
        "listed in `order`, so that a test can hold the others back."
    )


RELEASE_IN_ORDER = Exercise(
    id="08-release-in-order",
    title="Release gated updates in a chosen order",
    kind="code",
    points=4,
    requires=("release_in_order",),
    hints=(
        "Opening a gate lets an update go on, but it still has work to do after that: the order in which "
        "the gates open is not the order in which the updates finish. What must you wait for before you "
        "open the next gate?",
        "Open the gates one at a time, in the order given, and between two of them wait (with `await`) "
        "for the event that says the previous update has finished. Waiting for `arrived`, or sleeping a "
        "while, does not say that.",
        "`for sku in order:` then `client.release[sku].set()` and `await client.finished[sku].wait()`.",
    ),
    checks=(
        Check("releases a single gated update", _release_one),
        Check("the updates finish in the order given, for every order", _release_every_order, points=2),
        Check("returns once every listed update has finished", _release_returns_once_all_finished),
        Check("opens only the gates listed", _release_only_listed),
    ),
)

EXERCISES = (BACKOFF_PROPERTIES, PRODUCT_STRATEGIES, RELEASE_IN_ORDER)
