"""Grading the committed course: every solution earns full marks and every untouched exercise 0, in
every output format of ``course grade``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from course.cli import main
from course.exercises import all_exercises

ROOT = Path(__file__).resolve().parents[2]
TOTAL = sum(e.points for e in all_exercises())
IDS = [e.id for e in all_exercises()]


def grade(capsys, *args):
    code = main(["grade", *map(str, args)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert err == "", "nothing but the grades, and no progress bar when standard error is not a terminal"
    return out


@pytest.fixture(scope="module")
def class_output():
    """Both committed folders graded once as two submissions, in each format that covers several."""
    outputs = {}
    capture = pytest.MonkeyPatch()
    try:
        for fmt in ("text", "json", "csv"):
            buffer = io.StringIO()
            capture.setattr("sys.stdout", buffer)
            assert main(["grade", str(ROOT / "solutions"), str(ROOT / "exercises"), "--format", fmt]) == 0
            outputs[fmt] = buffer.getvalue()
    finally:
        capture.undo()
    return outputs


def test_text_lists_each_notebook_and_a_summary_row_per_submission(class_output):
    lines = class_output["text"].splitlines()
    rows = {line.split()[0]: line.split() for line in lines if line.startswith(("solutions ", "exercises "))}
    assert rows["solutions"][-1] == f"{TOTAL}/{TOTAL}" and rows["solutions"][1:-1] == [
        str(e.points) for e in all_exercises()
    ]
    assert rows["exercises"][-1] == f"0/{TOTAL}" and set(rows["exercises"][1:-1]) == {"0"}
    assert any(line.startswith("Sandbox: ") for line in lines)


def test_json_gives_scores_per_submission_and_per_notebook(class_output):
    data = json.loads(class_output["json"])
    by_student = {s["student"]: s for s in data["submissions"]}
    assert by_student["solutions"]["score"] == by_student["solutions"]["max_score"] == TOTAL
    assert by_student["exercises"]["score"] == 0 and by_student["exercises"]["max_score"] == TOTAL
    for notebook in data["notebooks"]:
        expected = notebook["max_score"] if notebook["student"] == "solutions" else 0
        assert notebook["score"] == expected
        assert all(e["score"] == (e["max_score"] if expected else 0) for e in notebook["exercises"])
    assert {"limits", "isolation", "seconds"} <= set(data)


def test_csv_has_one_row_per_exercise(class_output):
    rows = list(csv.DictReader(io.StringIO(class_output["csv"])))
    assert len(rows) == 2 * len(IDS)
    for row in rows:
        full = row["student"] == "solutions"
        assert (row["score"] == row["max_score"]) is full and (row["status"] == "passed") is full
        assert full or row["score"] == "0"


@pytest.mark.parametrize(("folder", "passed"), [("solutions", True), ("exercises", False)])
def test_gradescope_results_json(capsys, folder, passed):
    data = json.loads(grade(capsys, ROOT / folder, "--format", "gradescope"))
    assert data["score"] == (TOTAL if passed else 0)
    assert [t["name"].split(":")[0] for t in data["tests"]] == IDS
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output"}
        assert test["status"] == ("passed" if passed else "failed")
        assert test["score"] == (test["max_score"] if passed else 0)
        assert test["output"].startswith(test["name"])  # the learner's feedback, as check() shows it
