"""The `course` command: what a learner or instructor sees, and its exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from course.cli import main
from course.exercises import all_exercises

ROOT = Path(__file__).resolve().parents[2]


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "notes.txt", "not a notebook (expected a .ipynb file)"),
        (lambda d: d / "broken.ipynb", "not a valid notebook (the file is not JSON"),
        (lambda d: d / "plain.ipynb", "not an exercise notebook"),
        (lambda d: d / "missing.ipynb", "no such file"),
    ],
)
def test_bad_files_get_one_clear_line_and_exit_2(tmp_path, capsys, make, expected):
    path = make(tmp_path)
    if path.name == "notes.txt":
        path.write_text("hello")
    elif path.name == "broken.ipynb":
        path.write_text("{not json")
    elif path.name == "plain.ipynb":
        path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "print(1)"}], "nbformat": 4}))
    code, out, err = run(["grade", str(path)], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err


def test_an_unknown_exercise_id_lists_the_valid_ones(capsys):
    code, _, err = run(["check", str(ROOT / "solutions/01_async_basics.ipynb"), "--exercise", "9-x"], capsys)
    assert code == 2 and "Valid ids: 01-forgotten-await" in err


def test_check_on_a_solved_notebook_exits_0_and_on_an_untouched_one_exits_1_with_a_hint(capsys):
    code, out, _ = run(["check", str(ROOT / "solutions/01_async_basics.ipynb")], capsys)
    assert code == 0 and "12/12 points" in out
    code, out, _ = run(
        ["check", str(ROOT / "exercises/01_async_basics.ipynb"), "--exercise", "01-forgotten-await"], capsys
    )
    assert code == 1 and "Hint: Read the error" in out


def test_grade_json_lists_every_exercise_with_its_score(capsys):
    code, out, _ = run(["grade", str(ROOT / "solutions/02_pytest_asyncio.ipynb"), "--format", "json"], capsys)
    data = json.loads(out)
    [notebook] = data["notebooks"]
    chapter = [e for e in all_exercises() if e.chapter == 2]
    assert code == 0 and notebook["score"] == notebook["max_score"] == sum(e.points for e in chapter)
    assert [e["exercise_id"] for e in notebook["exercises"]] == [e.id for e in chapter]


def test_list_shows_every_exercise(capsys):
    code, out, _ = run(["list"], capsys)
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(all_exercises()) and "02-retry-tests" in out
    chapters = [line.split()[0][:2] for line in lines]
    assert chapters == sorted(chapters), "in chapter order"


def test_generate_check_reports_nothing_stale_on_the_committed_course(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert run(["generate", "--check"], capsys)[:2] == (0, "")


def test_python_dash_m_course_is_the_same_command():
    result = subprocess.run([sys.executable, "-m", "course", "list"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "01-forgotten-await" in result.stdout


def test_lab_passes_unknown_options_on_to_jupyter_and_other_commands_refuse_them(monkeypatch, capsys):
    import course.lab

    seen = {}
    monkeypatch.setattr(course.lab, "open_lab", lambda root, extra: seen.setdefault("extra", extra) and 0)
    main(["lab", "--no-browser", "--port=8899"])
    assert seen["extra"] == ["--no-browser", "--port=8899"]
    with pytest.raises(SystemExit) as caught:
        main(["list", "--port=1"])
    assert caught.value.code == 2 and "unrecognized arguments: --port=1" in capsys.readouterr().err


def test_an_exercise_the_notebook_does_not_hold_is_one_line_and_exit_2(capsys):
    code, out, err = run(
        ["check", str(ROOT / "solutions" / "01_async_basics.ipynb"), "--exercise", "02-retry-tests"], capsys
    )
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("course: exercise 02-retry-tests is not in ") and "(it holds: 01-" in err


def test_exercise_ids_on_the_command_line_are_trimmed(capsys):
    code, out, _ = run(
        ["check", str(ROOT / "solutions" / "01_async_basics.ipynb"), "--exercise", " 01-forgotten-await "], capsys
    )
    assert code == 0 and "01-forgotten-await" in out
