"""export_prices: the CSV it writes, and that the write happens off the event loop's thread."""

import threading
from pathlib import Path

import pytest

from catalog import CatalogClient, FakeCatalog, RetriesExhausted
from catalog.export import HEADER, export_prices, render_prices

pytestmark = pytest.mark.looptime


def test_render_prices() -> None:
    assert render_prices({"apple": 50, "kiwi": None}) == "sku,price_cents\napple,50\nkiwi,\n"
    assert render_prices({}) == HEADER


async def test_export_writes_one_line_per_sku(client: CatalogClient, tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    assert await export_prices(client, ["pear", "kiwi", "apple", "pear"], path) == 3
    assert path.read_text() == "sku,price_cents\npear,80\nkiwi,\napple,50\n"


async def test_export_accepts_a_string_path(client: CatalogClient, tmp_path: Path) -> None:
    assert await export_prices(client, [], str(tmp_path / "empty.csv")) == 0
    assert (tmp_path / "empty.csv").read_text() == HEADER


async def test_the_file_is_written_in_a_worker_thread(
    client: CatalogClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writers = []
    original = Path.write_text

    def recording_write_text(self: Path, *args: object, **kwargs: object) -> int:
        writers.append(threading.get_ident())
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", recording_write_text)
    await export_prices(client, ["apple"], tmp_path / "prices.csv")
    assert len(writers) == 1
    assert writers[0] != threading.get_ident()  # not the thread that runs the event loop


async def test_prices_are_fetched_concurrently(server: FakeCatalog, tmp_path: Path) -> None:
    server.latency = 1.0
    async with CatalogClient.for_app(server) as client:
        await export_prices(client, ["apple", "pear", "plum"], tmp_path / "prices.csv")
    assert server.max_in_flight == 3


async def test_an_error_other_than_not_found_writes_nothing(server: FakeCatalog, tmp_path: Path) -> None:
    server.fail_next(3)
    async with CatalogClient.for_app(server, attempts=1) as client:
        with pytest.raises(RetriesExhausted):  # not swallowed, and not mistaken for a NotFound
            await export_prices(client, ["apple"], tmp_path / "prices.csv")
    assert not (tmp_path / "prices.csv").exists()
