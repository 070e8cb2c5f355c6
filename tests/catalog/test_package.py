"""The public API: notebooks import these names, so removing one is a breaking change."""

import catalog

PUBLIC = [
    "CatalogClient",
    "CatalogError",
    "FakeCatalog",
    "InsufficientStock",
    "NotFound",
    "Product",
    "RestockNotifier",
    "RetriesExhausted",
    "StockChange",
    "StockKeeper",
    "StockWatcher",
    "TransientError",
    "backoff_delays",
    "gather_limited",
    "inventory_value",
    "low_stock",
    "price_table",
    "retry",
    "set_stock_levels",
]


def test_all_lists_exactly_the_public_names() -> None:
    assert sorted(catalog.__all__) == PUBLIC


def test_every_public_name_exists() -> None:
    assert [name for name in PUBLIC if not hasattr(catalog, name)] == []


def test_the_error_hierarchy() -> None:
    for error in (catalog.NotFound, catalog.TransientError, catalog.RetriesExhausted):
        assert issubclass(error, catalog.CatalogError)
    assert issubclass(catalog.CatalogError, Exception)
    assert not issubclass(catalog.RetriesExhausted, catalog.TransientError)  # not retried again
