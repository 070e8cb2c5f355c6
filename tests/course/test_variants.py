"""Building wheats and chaffs, and swapping them in wherever the learner's tests can see the target."""

import pytest

import catalog
import catalog.backoff
import catalog.limits
from course.checker.variants import VariantError, build, implementations, resolve, swapped
from course.exercises import Variant, get


def test_a_chaff_is_the_real_source_with_its_edit_applied():
    target = resolve("catalog.backoff:retry")
    chaff = build(target, Variant("x", "h", edits=(("raise RetriesExhausted(attempts) from error",
                                                      "raise RetriesExhausted(attempts) from None"),)))
    assert chaff is not target.original and chaff.__name__ == "retry"
    assert chaff.__globals__["RetriesExhausted"] is catalog.RetriesExhausted  # the module's own names


@pytest.mark.parametrize("old", ["no such text", "await"])
def test_an_edit_must_match_exactly_once(old):
    with pytest.raises(VariantError, match="must match exactly one"):
        build(resolve("catalog.backoff:retry"), Variant("x", "h", edits=((old, "y"),)))


def test_the_reference_wheat_is_the_real_function_itself():
    impls = implementations(get("02-retry-tests"))
    assert impls["reference"] is catalog.backoff.retry
    assert list(impls)[:2] == ["reference", "while-loop"] and len(impls) == 8


def test_swapping_replaces_every_binding_and_restores_them():
    target = resolve("catalog.limits:gather_limited")
    original = catalog.limits.gather_limited

    def fake(*args, **kwargs):
        raise AssertionError("never called")

    learner = {"gather_limited": original, "alias": original, "other": len}
    with swapped(target, fake, learner):
        assert catalog.limits.gather_limited is fake  # `import catalog.limits` then attribute access
        assert catalog.gather_limited is fake  # `from catalog import gather_limited`
        assert learner["gather_limited"] is fake and learner["alias"] is fake  # names bound at import
        assert learner["other"] is len
    assert catalog.limits.gather_limited is original and catalog.gather_limited is original
    assert learner == {"gather_limited": original, "alias": original, "other": len}


def test_a_method_target_is_swapped_on_its_class():
    from catalog.client import CatalogClient

    target = resolve("catalog.client:CatalogClient.get_products")
    original = CatalogClient.__dict__["get_products"]
    with swapped(target, "stand-in"):
        assert CatalogClient.__dict__["get_products"] == "stand-in"
    assert CatalogClient.__dict__["get_products"] is original
