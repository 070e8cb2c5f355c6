"""``course grade`` over a class: what is graded, how bad files count, exit codes, the progress bar."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from course.cli import main
from course.grade.discovery import discover
from course.grade.report import Progress
from course.notebooks import NotebookError

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def run(capsys, *args):
    code = main(["grade", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_class_folder_is_one_submission_per_student_folder(tmp_path):
    for student in ("alice", "bob"):
        (tmp_path / student / "work").mkdir(parents=True)
        shutil.copy(SOLUTIONS[0], tmp_path / student / "work" / SOLUTIONS[0].name)
    (tmp_path / "bob" / ".ipynb_checkpoints").mkdir()
    shutil.copy(SOLUTIONS[0], tmp_path / "bob" / ".ipynb_checkpoints" / SOLUTIONS[0].name)
    found = discover([tmp_path])
    assert [(s.student, [p.name for p in s.notebooks]) for s in found] == [
        ("alice", [SOLUTIONS[0].name]), ("bob", [SOLUTIONS[0].name])
    ]
    [flat] = discover([tmp_path / "alice" / "work"])  # notebooks directly inside: one submission
    assert flat.student == "work" and flat.cohort is None


@pytest.mark.parametrize("make", [lambda d: d / "nothing-here", lambda d: d / "notes.txt", lambda d: d])
def test_paths_that_hold_no_notebook_are_bad_input(tmp_path, make):
    path = make(tmp_path)
    if path.name == "notes.txt":
        path.write_text("hello")
    with pytest.raises(NotebookError):
        discover([path])


def test_in_a_class_a_bad_notebook_scores_0_a_stray_one_is_skipped_a_missing_one_is_due(tmp_path, capsys):
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    alice.mkdir(), bob.mkdir()
    for notebook in SOLUTIONS:
        shutil.copy(notebook, alice / notebook.name)
    (bob / SOLUTIONS[0].name).write_text("{not json")
    (bob / "scratch.ipynb").write_text('{"cells": []}')
    code, out, err = run(capsys, tmp_path, "--format", "json", "--exercise", "01-forgotten-await")
    assert code == 0 and err == ""
    data = {s["student"]: s for s in json.loads(out)["submissions"]}
    assert data["alice"]["score"] == data["alice"]["max_score"] == 2
    [unreadable] = [e for n in data["bob"]["notebooks"] for e in n["exercises"]]
    assert unreadable["score"] == 0 and "could not be read (not a valid notebook" in unreadable["problem"]
    assert data["bob"]["skipped"] == ["scratch.ipynb: skipped, not an exercise notebook (no cell has a "
                                      "'# exercise: <id>' line, and the file name does not start with a "
                                      "chapter number such as 01_)"]
    code, out, _ = run(capsys, tmp_path, "--format", "csv", "--exercise", "02-first-in-stock")
    bob_row = next(line for line in out.splitlines() if line.startswith("bob,"))
    assert ",0,4,error," in bob_row and "No notebook for chapter 02 was submitted" in bob_row


def test_a_notebook_handed_in_twice_counts_once_at_its_best(tmp_path, capsys):
    shutil.copy(ROOT / "exercises" / SOLUTIONS[0].name, tmp_path / SOLUTIONS[0].name)
    shutil.copy(SOLUTIONS[0], tmp_path / SOLUTIONS[0].name.replace(".ipynb", " (1).ipynb"))
    code, out, _ = run(capsys, tmp_path, "--format", "json", "--exercise", "01-concurrent-total")
    [submission] = json.loads(out)["submissions"]
    assert code == 0 and [n["score"] for n in submission["notebooks"]] == [4, 0]
    assert submission["score"] == submission["max_score"] == 4


def test_gradescope_is_one_submission_at_a_time(capsys):
    code, out, err = run(capsys, ROOT / "solutions", ROOT / "exercises", "--format", "gradescope")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "2 were found: grade each student's folder on its own" in err


def test_an_unknown_exercise_is_bad_input(capsys):
    code, out, err = run(capsys, ROOT / "solutions", "--exercise", "01-nope")
    assert code == 2 and out == "" and "Valid ids:" in err


def test_limits_come_from_the_command_line(capsys):
    code, out, _ = run(capsys, SOLUTIONS[0], "--format", "json", "--exercise", "01-forgotten-await",
                       "--check-timeout", "2.5", "--memory-mb", "1024", "--open-files", "128")
    limits = json.loads(out)["limits"]
    assert code == 0 and limits["check_seconds"] == 2.5 and limits["memory_bytes"] == 1024**3
    assert limits["open_files"] == 128


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_on_a_terminal_only_and_is_erased():
    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = Progress("grading", stream)
        bar(3, 12)
        bar.close()
    assert "[#######-----------------------] 3/12 exercises" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\033[K")
    assert pipe.getvalue() == ""
