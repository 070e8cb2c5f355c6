"""docs/template_chapter.py, the commented example of a chapter's exercise module, stays correct."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from course.checker import check_source
from course.checker.variants import build, resolve

TEMPLATE = Path(__file__).resolve().parents[1] / "docs" / "template_chapter.py"


def load_template():
    spec = importlib.util.spec_from_file_location("template_chapter", TEMPLATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_template_defines_valid_exercises_of_both_kinds():
    exercises = load_template().EXERCISES
    assert {e.kind for e in exercises} == {"code", "tests"}
    assert all(e.id.startswith("99-") for e in exercises)


def test_every_variant_of_the_template_builds_and_its_weak_suite_passes_the_wheats_but_misses_bugs():
    tests_exercise = next(e for e in load_template().EXERCISES if e.kind == "tests")
    target = resolve(tests_exercise.target)
    for variant in (*tests_exercise.wheats[1:], *tests_exercise.chaffs):
        assert callable(build(target, variant)), variant.name
    result = check_source(tests_exercise, tests_exercise.weak_suites[0])
    assert result.problem == "" and result.score < tests_exercise.points
    assert [f for f in result.findings if not f.name.startswith("bug: ") and not f.passed] == []


def test_the_template_code_exercise_takes_a_good_answer_and_rejects_a_broad_except():
    code_exercise = next(e for e in load_template().EXERCISES if e.kind == "code")
    good = ("from catalog import NotFound\nasync def price_or_none(client, sku):\n    try:\n"
            "        return (await client.get_product(sku)).price_cents\n    except NotFound:\n        return None\n")
    assert check_source(code_exercise, good).score == code_exercise.points
    broad = good.replace("except NotFound:", "except Exception:")
    result = check_source(code_exercise, broad)
    assert result.score < code_exercise.points
    assert any("only NotFound becomes None" in f.message for f in result.findings)
