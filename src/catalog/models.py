"""The catalog's one data type, and its conversion to and from the service's JSON.

``Product`` is frozen: a product fetched from the service is a snapshot, and code that
"updates" one (``dataclasses.replace``) makes the change visible instead of mutating an
object that other tasks may be holding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalog.errors import CatalogError

# Field name -> required JSON type. Kept in one place so that parsing and the error
# messages cannot drift apart when a field is added.
_FIELDS: dict[str, type] = {"sku": str, "name": str, "price_cents": int, "stock": int}
_NON_NEGATIVE = ("price_cents", "stock")


@dataclass(frozen=True)
class Product:
    """A product as the catalog service describes it. Prices are in integer cents: no rounding."""

    sku: str
    name: str
    price_cents: int
    stock: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Product:
        """Build a ``Product`` from the service's JSON, refusing anything malformed.

        Validation happens here, at the boundary, so that a bad response fails loudly with
        the field's name instead of surfacing later as a ``TypeError`` deep in a report.
        Unknown extra fields are ignored, so the service can add fields without breaking us.
        """
        if not isinstance(data, dict):
            raise CatalogError(
                f"a product must be a JSON object, got {type(data).__name__}; "
                "check that the request went to a product endpoint"
            )
        missing = [name for name in _FIELDS if name not in data]
        if missing:
            raise CatalogError(
                f"product JSON is missing {', '.join(missing)} (got keys: {sorted(data)}); "
                "the service and this client disagree on the schema"
            )
        for name, expected in _FIELDS.items():
            value = data[name]
            # bool is a subclass of int, but `"stock": true` is a bug, not a quantity.
            if not isinstance(value, expected) or isinstance(value, bool):
                raise CatalogError(
                    f"product field {name!r} must be {expected.__name__}, "
                    f"got {type(value).__name__} {value!r}; the service sent a malformed product "
                    "(retrying will not fix it: report it to the service's owners)"
                )
        for name in _NON_NEGATIVE:
            if data[name] < 0:
                raise CatalogError(
                    f"product field {name!r} must be >= 0, got {data[name]}; "
                    "the service sent an impossible product: report it to the service's owners"
                )
        return cls(
            sku=data["sku"],
            name=data["name"],
            price_cents=data["price_cents"],
            stock=data["stock"],
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON object the service sends for this product: the inverse of ``from_json``."""
        return {
            "sku": self.sku,
            "name": self.name,
            "price_cents": self.price_cents,
            "stock": self.stock,
        }
