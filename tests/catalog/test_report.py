"""The reports: business rules on top of the client, tested against the fake server.

The fixture catalog: apple 50c x 10, pear 80c x 3, plum 30c x 0.
"""

import pytest

from catalog import (
    CatalogClient,
    CatalogError,
    FakeCatalog,
    NotFound,
    RetriesExhausted,
    inventory_value,
    low_stock,
    price_table,
)

pytestmark = pytest.mark.looptime


# --- inventory_value -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("skus", "value"),
    [
        (["apple", "pear", "plum"], 50 * 10 + 80 * 3 + 30 * 0),
        (["pear"], 240),
        (["plum"], 0),
        ([], 0),
    ],
)
async def test_inventory_value(client: CatalogClient, skus: list[str], value: int) -> None:
    assert await inventory_value(client, skus) == value


async def test_inventory_value_counts_a_repeated_sku_once(
    client: CatalogClient, server: FakeCatalog
) -> None:
    assert await inventory_value(client, ["pear", "apple", "pear"]) == 740
    assert server.requests == [("GET", "/products/pear"), ("GET", "/products/apple")]


async def test_inventory_value_fetches_concurrently(
    client: CatalogClient, server: FakeCatalog, looptime: float
) -> None:
    server.latency = 1
    assert await inventory_value(client, iter(["apple", "pear", "plum"])) == 740
    assert looptime == 1  # three one-second requests, in parallel


async def test_inventory_value_of_an_unknown_sku_fails(client: CatalogClient) -> None:
    with pytest.raises(NotFound) as caught:
        await inventory_value(client, ["apple", "kiwi"])
    assert caught.value.sku == "kiwi"


# --- low_stock -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        (0, []),
        (1, ["plum"]),
        (3, ["plum"]),  # pear has exactly 3: not *below* the threshold
        (4, ["plum", "pear"]),
        (11, ["plum", "apple", "pear"]),
    ],
)
async def test_low_stock_keeps_input_order(
    client: CatalogClient, threshold: int, expected: list[str]
) -> None:
    assert await low_stock(client, ["plum", "apple", "pear"], threshold=threshold) == expected


async def test_low_stock_lists_a_repeated_sku_once(
    client: CatalogClient, server: FakeCatalog
) -> None:
    assert await low_stock(client, ["plum", "plum"], threshold=1) == ["plum"]
    assert server.requests == [("GET", "/products/plum")]


# --- price_table ---------------------------------------------------------------------------


async def test_price_table_maps_unknown_skus_to_none(
    client: CatalogClient, server: FakeCatalog
) -> None:
    table = await price_table(client, ["pear", "kiwi", "apple", "pear"])
    assert list(table.items()) == [("pear", 80), ("kiwi", None), ("apple", 50)]
    assert [path for _, path in server.requests] == [
        "/products/pear",
        "/products/kiwi",
        "/products/apple",
    ]


async def test_price_table_of_nothing(client: CatalogClient) -> None:
    assert await price_table(client, []) == {}


async def test_price_table_respects_max_concurrency(server: FakeCatalog, looptime: float) -> None:
    server.latency = 1
    async with CatalogClient.for_app(server, max_concurrency=2) as client:
        table = await price_table(client, ["apple", "pear", "plum", "kiwi"])
    assert table == {"apple": 50, "pear": 80, "plum": 30, "kiwi": None}
    assert server.max_in_flight == 2
    assert looptime == 2


async def test_price_table_does_not_hide_an_outage(
    client: CatalogClient, server: FakeCatalog
) -> None:
    server.fail_next(3)
    with pytest.raises(RetriesExhausted):
        await price_table(client, ["apple"])


async def test_price_table_does_not_hide_a_bad_request(
    client: CatalogClient, server: FakeCatalog
) -> None:
    server.fail_next(1, status=400)
    with pytest.raises(CatalogError, match="rejected with 400"):
        await price_table(client, ["apple"])
