"""Chapter 99, a template: copy this file to ``src/course/exercises/chNN_<topic>.py`` and adapt it.

It is a real module: ``tests/test_authoring_template.py`` imports it and builds every variant, so it
stays correct as the toolkit changes. docs/authoring.md explains every rule used here.

Solutions live in ``solutions/99_template.ipynb`` (for a real chapter); this module holds everything
else about the exercises: titles, points, hints, checks, and the wheats, chaffs and weak suites.
"""

from __future__ import annotations

from catalog import FakeCatalog, NotFound
from course.exercises.model import Check, Exercise, Variant

# Shared helpers live in course.exercises.support; never import another chapter's module.
from course.exercises.support import SHELF, client, not_a_coroutine

# --- 99-price-or-none: a *write async code* exercise ----------------------------------------------
# Each check is one observable behaviour, and raises AssertionError with a message for the learner.
# An async check runs on virtual time: FakeCatalog(latency=...) costs no real time.


async def _prices(answer) -> None:
    async with client(FakeCatalog(SHELF)) as catalog_client:
        got = await answer.price_or_none(catalog_client, "apple")
        not_a_coroutine(got, "price_or_none")  # names the forgotten await in the learner's words
        assert got == 50, f"price_or_none(client, 'apple') returned {got!r}; the apple costs 50 cents."


async def _unknown_is_none(answer) -> None:
    async with client(FakeCatalog(SHELF)) as catalog_client:
        got = await answer.price_or_none(catalog_client, "durian")
        assert got is None, f"price_or_none(client, 'durian') returned {got!r}; an unknown sku gives None."


async def _other_errors_propagate(answer) -> None:
    # The text says only NotFound becomes None: without this check, `except Exception:` would pass.
    catalog = FakeCatalog(SHELF)
    catalog.fail_next(10, status=503)
    async with client(catalog) as catalog_client:
        try:
            await answer.price_or_none(catalog_client, "apple")
        except NotFound:
            raise AssertionError("price_or_none raised NotFound for a server failure") from None
        except Exception:  # noqa: BLE001 - any other error propagating is what the text asks for
            return
        raise AssertionError("price_or_none returned a value while the server failed: only NotFound becomes None.")


PRICE_OR_NONE = Exercise(
    id="99-price-or-none",  # NN-slug: the chapter number, a dash, a lowercase slug
    title="A price, or None",  # the solution notebook's heading repeats it: "## Exercise 99.1: ... (3 points)"
    kind="code",
    points=3,  # what the exercise is worth; Check.points below are weights within it
    requires=("price_or_none",),  # the names the learner's cell must define
    hints=(
        "Which error does the client raise for an unknown sku? Catch only that one.",
        "`try: return (await client.get_product(sku)).price_cents` / `except NotFound: return None`.",
    ),  # easiest first; the last tier gives the answer away and is labelled so automatically
    checks=(
        Check("returns the price of a known sku", _prices),
        Check("returns None for an unknown sku", _unknown_is_none, hint="Catch `NotFound`, and return None."),
        Check("lets other errors propagate", _other_errors_propagate,
              hint="`except Exception:` also swallows a server failure: catch only `NotFound`."),
    ),
)


# --- 99-low-stock-tests: a *write the tests* exercise ---------------------------------------------
# The learner's tests run against every wheat (in three scheduling orders) and every chaff.

_SEQUENTIAL_BUT_CORRECT = '''
async def low_stock(client, skus, *, threshold):
    """Correct, but one request at a time: a test must not demand more than the docstring promises."""
    seen = []
    for sku in skus:
        if sku not in seen:
            seen.append(sku)
    products = [await client.get_product(sku) for sku in seen]
    return [p.sku for p in products if p.stock < threshold]
'''

LOW_STOCK_TESTS = Exercise(
    id="99-low-stock-tests",
    title="Tests for low_stock",
    kind="tests",
    points=3,
    target="catalog.report:low_stock",  # module:name, or module:Class.method
    hints=(
        "Each bug breaks one promise of the docstring: strictly below, input order, each sku once.",
        "Give products stocks on both sides of the threshold and list a sku twice.",
    ),
    wheats=(
        Variant("reference", "the course's implementation"),  # first, named `reference`: the real code
        Variant("sequential", "one request at a time; as correct, only slower", source=_SEQUENTIAL_BUT_CORRECT),
    ),
    chaffs=(  # each an exact-once textual edit of the real source; the hint is a question, never code
        Variant("at or below", "Is a product exactly at the threshold low on stock?",
                edits=(("product.stock < threshold", "product.stock <= threshold"),)),
        Variant("sorted answer", "Do the skus come back in the order they were given?",
                edits=(("return [product.sku for product in products if product.stock < threshold]",
                        "return sorted(product.sku for product in products if product.stock < threshold)"),)),
        Variant("duplicates repeated", "What happens when a sku is listed twice?",
                edits=(("products = await client.get_products(_unique(skus))\n    return [product.sku",
                        "products = await client.get_products(list(skus))\n    return [product.sku"),)),
        Variant("unknown sku ignored", "What should happen for a sku the catalog does not have?",
                edits=(("products = await client.get_products(_unique(skus))",
                        "try:\n        products = await client.get_products(_unique(skus))\n"
                        "    except NotFound:\n        return []"),)),
    ),
    weak_suites=(  # what a hurried learner writes; every chaff must survive at least one of these
        """
from catalog import CatalogClient, FakeCatalog, Product
from catalog.report import low_stock

async def test_finds_low_stock():
    shelf = [Product("a", "A", 100, 1), Product("b", "B", 100, 9)]
    async with CatalogClient.for_app(FakeCatalog(shelf)) as client:
        assert await low_stock(client, ["a", "b"], threshold=5) == ["a"]
""",
    ),
)

EXERCISES = (PRICE_OR_NONE, LOW_STOCK_TESTS)
