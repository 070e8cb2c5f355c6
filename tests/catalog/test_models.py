"""Product: the JSON boundary. Pure functions, so plain synchronous tests."""

import dataclasses
from typing import Any

import pytest

from catalog import CatalogError, Product

APPLE_JSON = {"sku": "apple", "name": "Apple", "price_cents": 50, "stock": 10}


def test_from_json_builds_the_product() -> None:
    assert Product.from_json(APPLE_JSON) == Product("apple", "Apple", price_cents=50, stock=10)


def test_to_json_is_the_services_shape() -> None:
    assert Product("apple", "Apple", price_cents=50, stock=10).to_json() == APPLE_JSON


def test_round_trip() -> None:
    product = Product("pear", "Pear", price_cents=80, stock=0)
    assert Product.from_json(product.to_json()) == product


def test_unknown_fields_are_ignored_so_the_service_can_grow() -> None:
    assert Product.from_json({**APPLE_JSON, "colour": "red"}) == Product.from_json(APPLE_JSON)


def test_products_are_immutable() -> None:
    product = Product.from_json(APPLE_JSON)
    with pytest.raises(dataclasses.FrozenInstanceError):
        product.stock = 0  # type: ignore[misc]


@pytest.mark.parametrize("field", ["sku", "name", "price_cents", "stock"])
def test_a_missing_field_is_named(field: str) -> None:
    data = {key: value for key, value in APPLE_JSON.items() if key != field}
    with pytest.raises(CatalogError, match=f"missing {field} ") as caught:
        Product.from_json(data)
    assert "disagree on the schema" in str(caught.value)


def test_all_missing_fields_are_named_at_once() -> None:
    expected = r"missing name, stock \(got keys: \['price_cents', 'sku'\]\)"
    with pytest.raises(CatalogError, match=expected):
        Product.from_json({"sku": "apple", "price_cents": 50})


@pytest.mark.parametrize(
    ("field", "value", "described"),
    [
        ("sku", 7, "int 7"),
        ("name", None, "NoneType None"),
        ("price_cents", "50", "str '50'"),
        ("price_cents", 0.5, "float 0.5"),
        ("stock", True, "bool True"),  # bool is an int subclass, but not a quantity
    ],
)
def test_a_field_of_the_wrong_type_is_refused(field: str, value: Any, described: str) -> None:
    expected = type(APPLE_JSON[field]).__name__
    with pytest.raises(CatalogError, match=f"'{field}' must be {expected}, got {described};"):
        Product.from_json({**APPLE_JSON, field: value})


@pytest.mark.parametrize("field", ["price_cents", "stock"])
def test_negative_quantities_are_refused(field: str) -> None:
    with pytest.raises(CatalogError, match=f"'{field}' must be >= 0, got -1;"):
        Product.from_json({**APPLE_JSON, field: -1})


@pytest.mark.parametrize("field", ["price_cents", "stock"])
def test_zero_is_a_valid_quantity(field: str) -> None:
    assert getattr(Product.from_json({**APPLE_JSON, field: 0}), field) == 0


@pytest.mark.parametrize("data", [[APPLE_JSON], "apple", None])
def test_something_other_than_an_object_is_refused(data: Any) -> None:
    with pytest.raises(CatalogError, match=f"must be a JSON object, got {type(data).__name__};"):
        Product.from_json(data)
