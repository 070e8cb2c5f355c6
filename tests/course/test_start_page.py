"""The start page (notebooks/00_start.ipynb), which `course lab` opens: its map matches the course."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START = ROOT / "notebooks/00_start.ipynb"


def cells():
    return json.loads(START.read_text())["cells"]


def text():
    return "\n".join("".join(c["source"]) for c in cells() if c["cell_type"] == "markdown")


def test_the_first_code_cell_sets_up_the_course_and_a_real_cell_shows_progress():
    code = ["".join(c["source"]) for c in cells() if c["cell_type"] == "code"]
    assert code[0] == "import course; course.setup()"
    assert any(source.startswith("course.progress(") for source in code)


def test_every_chapter_and_exercise_notebook_is_on_the_map_and_every_link_exists():
    links = set(re.findall(r"\]\(([^)#]+\.ipynb)\)", text()))
    for notebook in [*ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"), *ROOT.glob("exercises/[0-9][0-9]_*.ipynb")]:
        if notebook != START:
            assert str(notebook.relative_to(ROOT / "notebooks" if notebook.parent.name == "notebooks" else ROOT)
                       ).replace("exercises/", "../exercises/") in links, notebook
    for link in links:
        assert (START.parent / link).resolve().is_file(), link


def test_it_says_to_try_first_and_how_to_check_hint_and_see_progress_from_a_terminal():
    words = text()
    assert "**Try first**" in words
    for command in ('course.check("', 'course.hint("', "course.progress()", "course check exercises/",
                    "course progress", "course hint ", "pytest notebooks/"):
        assert command in words, command
