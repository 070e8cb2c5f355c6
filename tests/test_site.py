"""The course as a website: one command builds it, and every chapter and exercise page is there.

Marked `site` (it runs Sphinx over every notebook, about 20 s): `pytest -m "not site"` skips it. It
needs the site tools (`pip install -e '.[site]'`, as .ci/run does) and is skipped, saying so, without.
"""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.site,
    pytest.mark.skipif(
        importlib.util.find_spec("myst_nb") is None or importlib.util.find_spec("sphinx_book_theme") is None,
        reason="the site tools are not installed: pip install -e '.[site]'",
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    result = subprocess.run([sys.executable, str(ROOT / "scripts/build_site.py"), "--out", str(out)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def raising_cells(notebook: Path) -> int:
    cells = json.loads(notebook.read_text())["cells"]
    return sum("raises-exception" in c.get("metadata", {}).get("tags", []) for c in cells)


def test_every_chapter_and_exercise_page_exists_and_no_solution_is_published(site):
    for folder in ("notebooks", "exercises"):
        notebooks = sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb"))
        assert notebooks
        for notebook in notebooks:
            assert (site / folder / f"{notebook.stem}.html").is_file(), notebook
    for doc in (ROOT / "docs").glob("*.md"):
        assert (site / "docs" / f"{doc.stem}.html").is_file(), doc
    assert (site / "index.html").is_file()
    assert not list(site.rglob("*solutions*"))
    assert not any("# BEGIN SOLUTION" in p.read_text(errors="replace") for p in site.rglob("*.html"))


def test_stored_outputs_are_shown_and_cells_that_fail_on_purpose_are_marked(site):
    chapter = (site / "notebooks/01_async_basics.html").read_text()
    assert "cell_output" in chapter
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        page = (site / "notebooks" / f"{notebook.stem}.html").read_text()
        assert len(re.findall(r'class="cell tag_raises-exception', page)) == raising_cells(notebook), notebook
    css = (site / "_static/course.css").read_text()
    assert "tag_raises-exception::before" in css and "Fails on purpose" in css


def test_the_start_page_heads_the_site_and_its_links_work(site):
    index = (site / "index.html").read_text()
    assert 'href="notebooks/00_start.html"' in index
    start = (site / "notebooks/00_start.html").read_text()
    for target in re.findall(r'href="(\.\./exercises/[^"#]+|0[0-9]_[^"#]+)"', start):
        assert (site / "notebooks" / target).resolve().is_file(), target
    assert 'class="course-progress"' in start  # the stored progress table
