"""The course checks itself, in the spirit of rustlings' `dev check`.

Every registered exercise appears in its solution and exercise notebooks; every solution earns full
marks and every untouched exercise earns nothing; every exercise has hints; exercises/ is exactly what
the generator makes of solutions/; and for every *write the tests* exercise, the reference tests pass
on every wheat and catch every chaff, while every chaff survives at least one plausible weak suite.
Plus the rules that keep the notebooks honest: stored outputs exist, and a cell raises exactly when
it is tagged to.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from course import generate
from course.checker import check_source
from course.checker.variants import build, resolve
from course.exercises import MARKER, all_exercises
from course.grade import grade_notebook
from course.notebooks import open_exercise_notebook, read_cells

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = all_exercises()
TESTS_EXERCISES = [e for e in EXERCISES if e.kind == "tests"]
SETUP_LINE = "import course; course.setup()"


def notebook_for(folder: str, chapter: int) -> Path:
    matches = sorted((ROOT / folder).glob(f"{chapter:02d}_*.ipynb"))
    assert len(matches) == 1, f"expected one {folder}/{chapter:02d}_*.ipynb, found {matches}"
    return matches[0]


def sources(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in read_cells(path) if c["cell_type"] == "code"]


def solution_source(exercise) -> str:
    source = open_exercise_notebook(notebook_for("solutions", exercise.chapter)).answer(exercise)
    assert source is not None
    return source


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_every_exercise_has_exactly_one_answer_cell_and_a_check_cell(exercise, folder):
    cells = sources(notebook_for(folder, exercise.chapter))
    marked = [s for s in cells if exercise.id in [m["id"] for m in MARKER.finditer(s)]]
    assert len(marked) == 1, (
        f'{folder}: {len(marked)} cells carry `# exercise: {exercise.id}` (docs/authoring.md, "The solution notebook")'
    )
    assert f'course.check("{exercise.id}")' in cells, (
        f'{folder}: no cell runs course.check("{exercise.id}") (docs/authoring.md, "The solution notebook")'
    )


def test_every_marker_in_the_notebooks_names_a_registered_exercise():
    known = {e.id for e in EXERCISES}
    for folder in ("solutions", "exercises", "notebooks"):
        for path in (ROOT / folder).glob("*.ipynb"):
            for source in sources(path):
                for match in MARKER.finditer(source):
                    assert match["id"] in known, f"{path.name}: unknown exercise {match['id']!r}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_every_exercise_has_hints_points_and_a_way_to_be_checked(exercise):
    assert exercise.hints and all(h.strip() for h in exercise.hints)
    assert exercise.points > 0
    assert exercise.checks if exercise.kind == "code" else exercise.chaffs


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_solution_notebook_opens_with_its_title_and_the_shared_introduction(path):
    first = read_cells(path)[0]
    source = "".join(first["source"])
    assert first["cell_type"] == "markdown" and source.startswith("# "), (
        f"{path.name}: the first cell must be a markdown cell whose first line is the title, e.g. "
        "`# Chapter 3 exercises: fixtures`; `course generate` adds the shared introduction under it "
        '(docs/authoring.md, "The solution notebook")')
    assert generate.HOW_THE_EXERCISES_WORK.format(name=path.name).rstrip() in source, (
        f"{path.name}: run `course generate` to put the shared introduction under the title")


def test_exercise_notebooks_are_exactly_what_the_generator_makes_of_the_solutions():
    stale = generate.stale(ROOT)
    assert stale == [], (
        f"run `course generate`: {[str(p.relative_to(ROOT)) for p in stale]} "
        '(docs/authoring.md, "The files of a chapter")'
    )


@pytest.fixture(scope="module")
def graded():
    """Every solution and exercise notebook, graded once through the real sandboxed grader."""
    return {
        path.relative_to(ROOT).as_posix(): grade_notebook(path)
        for folder in ("solutions", "exercises")
        for path in sorted((ROOT / folder).glob("*.ipynb"))
    }


def test_every_solution_scores_full_marks(graded):
    for name, grade in graded.items():
        if name.startswith("solutions/"):
            for result in grade.results:
                assert result.score == result.max_score, f"{name} {result.exercise_id}: {result.to_dict()}"


def test_every_untouched_exercise_scores_zero(graded):
    for name, grade in graded.items():
        if name.startswith("exercises/"):
            assert {r.exercise_id for r in grade.results} == {e.id for e in EXERCISES if e.chapter == int(name[10:12])}
            for result in grade.results:
                assert result.score == 0, f"{name} {result.exercise_id} scores {result.score} untouched"


@pytest.mark.parametrize("exercise", TESTS_EXERCISES, ids=lambda e: e.id)
def test_every_variant_builds_from_the_real_source(exercise):
    target = resolve(exercise.target)
    for variant in (*exercise.wheats[1:], *exercise.chaffs):
        assert callable(build(target, variant)), variant.name


@pytest.mark.parametrize("exercise", TESTS_EXERCISES, ids=lambda e: e.id)
def test_reference_tests_pass_on_every_wheat_and_catch_every_chaff(exercise):
    result = check_source(exercise, solution_source(exercise))
    assert result.problem == "", result.problem
    findings = {f.name: f for f in result.findings}
    assert set(findings) == {f"bug: {c.name}" for c in exercise.chaffs}, (
        'no reference test may fail a wheat, be flaky or assert nothing (docs/authoring.md, "Write the tests")'
    )
    missed = [name for name, f in findings.items() if not f.passed]
    assert missed == [], f"the reference tests miss {missed} (docs/authoring.md, \"Write the tests\")"


@pytest.mark.parametrize("exercise", TESTS_EXERCISES, ids=lambda e: e.id)
def test_every_chaff_survives_at_least_one_plausible_weak_suite(exercise):
    assert exercise.weak_suites, (
        'commit at least one plausible weak test suite next to the chaffs (docs/authoring.md, "Write the tests")'
    )
    survivors: set[str] = set()
    for suite in exercise.weak_suites:
        result = check_source(exercise, suite)
        assert result.problem == "", f"a weak suite must run and assert something: {result.problem}"
        judged = [f for f in result.findings if not f.name.startswith("bug: ") and not f.passed]
        assert judged == [], f"every test of a weak suite must pass on every wheat and assert something: {judged}"
        survivors |= {f.name for f in result.findings if not f.passed}
    trivially_caught = {f"bug: {c.name}" for c in exercise.chaffs} - survivors
    assert trivially_caught == set(), (
        f'caught by every weak suite, so too easy: {sorted(trivially_caught)} (docs/authoring.md, "Write the tests")'
    )


def test_every_chapter_from_two_on_has_a_write_the_tests_exercise():
    chapters = {e.chapter for e in EXERCISES}
    for chapter in chapters:
        kinds = {e.kind for e in EXERCISES if e.chapter == chapter}
        assert kinds == {"code", "tests"}, (
            f'chapter {chapter} has exercise kinds {kinds}; it needs both (docs/authoring.md, "Exercises")'
        )


# --- The notebooks' stored outputs -----------------------------------------------------------------

STORED = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*.ipynb")])


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_stored_notebooks_are_fully_executed_and_raise_exactly_where_tagged(path):
    cells = [c for c in read_cells(path) if c["cell_type"] == "code"]
    assert "".join(cells[0]["source"]).strip() == SETUP_LINE, (
        'the first code cell must be the course set-up (docs/authoring.md, "Chapter notebooks")'
    )
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        where = f"{path.name}, code cell {index}: {source.splitlines()[0] if source else ''!r}"
        assert cell["execution_count"] is not None, (
            f'{where} was never run: strict nbval would compare nothing (docs/authoring.md, "Chapter notebooks")'
        )
        tagged = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        assert bool(errors) == tagged, (
            f'{where}: raises={bool(errors)} but raises-exception tag={tagged} (docs/authoring.md, "Chapter notebooks")'
        )
        stderr = [o for o in cell["outputs"] if o["output_type"] == "stream" and o["name"] == "stderr"]
        assert stderr == [], (
            f'{where} writes to stderr, which JupyterLab shows as a red block (docs/authoring.md, "Chapter notebooks")'
        )
        if source.startswith("%%ipytest"):
            assert cell["outputs"], f"{where}: an %%ipytest cell must store its report"


@pytest.mark.parametrize("path", sorted(ROOT.glob("exercises/*.ipynb")), ids=lambda p: p.name)
def test_exercise_notebooks_are_stored_clean(path):
    for cell in read_cells(path):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_no_generated_junk_is_tracked():
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    junk = [
        p
        for p in tracked.splitlines()
        if any(part in p for part in (".ipynb_checkpoints", "__pycache__", ".pytest_cache", ".hypothesis/"))
    ]
    assert junk == []


def test_sanitize_rules_cover_only_noise():
    text = (ROOT / ".nbval-sanitize.cfg").read_text()
    sections = [line for line in text.splitlines() if line.startswith("[")]
    assert sections == [
        "[pytest-duration]",
        "[ipytest-module]",
        "[ipykernel-cell-file]",
        "[memory-address]",
        "[installed-package-path]",
    ], "a new sanitize rule must be true noise; review it and update this list deliberately"


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(ROOT.glob("exercises/*.ipynb")), ids=lambda p: p.name)
def test_an_untouched_exercise_notebook_runs_without_errors_or_stderr(path, tmp_path):
    """What a learner sees on opening an exercise notebook and choosing Run All: feedback, no red."""
    import os
    import subprocess
    import sys

    import nbformat

    executed = tmp_path / path.name
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", str(path),
         "--output", str(executed)],
        cwd=path.parent, env=env, check=True, capture_output=True, timeout=300,
    )
    notebook = nbformat.read(executed, as_version=4)
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"cell {index} raised {output.get('ename')}"
            assert output.get("name") != "stderr", f"cell {index} wrote to stderr: {output.get('text')}"
    checks = [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("course.check(")]
    assert checks and all("text/html" in c.outputs[0]["data"] for c in checks)


HEADING = re.compile(
    r"^## Exercise (?P<chapter>\d+)\.(?P<number>\d+): (?P<title>.+) \((?P<points>\d+) points?\)\s*$", re.M
)


def _plain(title: str) -> str:
    return title.replace("`", "").strip().lower()


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_each_exercise_heading_states_the_registry_title_and_points(exercise):
    """Title and points are written in the registry; the notebook heading repeats them, and this test
    keeps the two equal (docs/authoring.md, "The solution notebook")."""
    heading = None
    for cell in read_cells(notebook_for("solutions", exercise.chapter)):
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            heading = next(HEADING.finditer(source), heading)
        elif any(m["id"] == exercise.id for m in MARKER.finditer(source)):
            break
    expected = f"## Exercise {exercise.chapter}.N: {exercise.title} ({exercise.points} points)"
    assert heading is not None, f"put a heading like {expected!r} above the answer cell of {exercise.id}"
    assert (int(heading["chapter"]), _plain(heading["title"]), int(heading["points"])) == (
        exercise.chapter, _plain(exercise.title), exercise.points), (
        f"the heading says {heading.group(0).strip()!r}; the registry ({exercise.id}) says {expected!r}: change "
        "the heading, or the registry if the heading is right (docs/authoring.md, \"The solution notebook\")")
