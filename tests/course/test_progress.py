"""A learner's progress file, `course.progress()`, `course.hint()` and the `course progress`/`hint` commands."""

import json
from pathlib import Path

import pytest

import course
from course import checker, learner_progress
from course.checker import check_in_notebook
from course.checker.hints import ANSWER_LABEL, PROBLEM_HINTS
from course.cli import main
from course.exercises import all_exercises, get
from course.notebook_setup import EXECUTED_CELLS

SOLVED = """# exercise: 01-forgotten-await
async def needs_restock(client, sku, minimum):
    return (await client.get_product(sku)).stock < minimum
"""
UNSOLVED = """# exercise: 01-forgotten-await
async def needs_restock(client, sku, minimum):
    return client.get_product(sku).stock < minimum
"""


@pytest.fixture
def state(tmp_path, monkeypatch):
    """An empty progress folder of this test's own, and a kernel that has run no cell yet."""
    folder = tmp_path / "state"
    monkeypatch.setenv("COURSE_STATE_DIR", str(folder))
    monkeypatch.setattr(checker, "_hints", type(checker._hints)())
    EXECUTED_CELLS.clear()
    yield folder / "progress.json"
    EXECUTED_CELLS.clear()


def check(exercise_id="01-forgotten-await"):
    EXECUTED_CELLS.append(f'course.check("{exercise_id}")')
    return check_in_notebook(exercise_id)


def statuses(report):
    return {row.exercise_id: (row.status, row.best) for row in report.rows}


def test_the_file_lives_outside_the_repository_and_can_be_moved(monkeypatch, tmp_path):
    assert learner_progress.state_dir({"COURSE_STATE_DIR": "/x/y"}) == Path("/x/y")
    assert learner_progress.state_dir({"XDG_STATE_HOME": "/s"}) == Path("/s/testing-async-python")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert learner_progress.state_dir({}) == tmp_path / ".local/state/testing-async-python"
    repo = Path(__file__).resolve().parents[2]
    assert repo not in learner_progress.state_dir({}).parents


def test_with_no_file_every_exercise_is_not_started_with_a_one_line_note(state):
    report = course.progress()
    assert not state.exists()
    assert [r.exercise_id for r in report.rows] == sorted((e.id for e in all_exercises()), key=lambda i: i[:2])
    assert {r.status for r in report.rows} == {"not started"}
    text = repr(report)
    assert text.splitlines()[0] == "No progress recorded yet: every course.check() you run is recorded here."
    assert text.splitlines()[-1].startswith(f"0 of {len(all_exercises())} exercises done, 0 attempted; 0/")


def test_a_failed_check_is_attempted_a_passed_one_done_and_done_stays_done(state):
    EXECUTED_CELLS.append(UNSOLVED)
    check()
    assert statuses(course.progress(1))["01-forgotten-await"] == ("attempted", 0)
    assert statuses(course.progress(1))["01-concurrent-total"] == ("not started", 0)
    EXECUTED_CELLS.append(SOLVED)
    check()
    EXECUTED_CELLS.append(UNSOLVED)  # broken again later: the exercise was solved once, it stays done
    check()
    row = next(r for r in course.progress(1).rows if r.exercise_id == "01-forgotten-await")
    assert (row.status, row.best, row.points, row.attempts) == ("done", 2, 2, 3)
    assert "1 of 3 exercises done, 0 attempted; 2/12 points" in repr(course.progress(1))


def test_the_table_is_html_in_jupyter_with_each_status_shown(state):
    EXECUTED_CELLS.append(UNSOLVED)
    check()
    table = course.progress(1)._repr_html_()
    assert table.count("<tr>") == 4 and '<table class="course-progress">' in table
    assert ">attempted</td><td>0/2</td>" in table and ">not started</td><td>0/4</td>" in table


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"exercises": 3}', "\udcff"])
def test_a_corrupt_file_is_kept_aside_and_progress_starts_again_with_a_note(state, content, capsys):
    state.parent.mkdir(parents=True)
    state.write_bytes(content.encode("utf-8", "surrogateescape"))
    report = course.progress()
    assert {r.status for r in report.rows} == {"not started"}
    assert report.note.startswith(f"Progress file {state}") and "progress starts again" in report.note
    assert "\n" not in report.note
    EXECUTED_CELLS.append(UNSOLVED)
    check()  # records over the bad file, saying so in one line, never a traceback
    assert statuses(course.progress(1))["01-forgotten-await"][0] == "attempted"
    assert json.loads(state.read_text())["version"] == 1


def test_unknown_ids_and_malformed_entries_are_ignored_but_kept(state):
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"version": 1, "exercises": {
        "99-renamed-long-ago": {"attempts": 4, "best": 3},
        "01-concurrent-total": {"attempts": "many", "best": 9},
        "01-forgotten-await": {"attempts": 1, "best": 2, "last": "passed", "hint": None},
    }}))
    report = course.progress()
    assert "99-renamed-long-ago" not in repr(report)
    assert statuses(report)["01-forgotten-await"] == ("done", 2)
    assert statuses(report)["01-concurrent-total"] == ("not started", 0)
    EXECUTED_CELLS.append(UNSOLVED)
    check()
    assert "99-renamed-long-ago" in json.loads(state.read_text())["exercises"]


def test_a_score_above_the_points_in_the_file_counts_as_the_points():
    [row] = learner_progress.rows({"01-forgotten-await": {"attempts": 1, "best": 50}}, [get("01-forgotten-await")])
    assert (row.status, row.best) == ("done", 2)


def test_a_progress_file_that_cannot_be_written_costs_one_line_not_the_check(state, capsys):
    state.parent.parent.mkdir(exist_ok=True)
    state.parent.write_text("a file where the folder should be")
    EXECUTED_CELLS.append(SOLVED)
    feedback = check()
    assert feedback.result.status == "passed"
    out, err = capsys.readouterr()
    assert "Progress could not be saved to" in out and out.count("\n") == 1 and err == ""


def test_the_solution_notebook_is_named_only_after_a_second_unsuccessful_check(state):
    EXECUTED_CELLS.append(UNSOLVED)
    first = check()
    assert "Stuck?" not in repr(first) and "Stuck?" not in first._repr_html_()
    second = check()
    line = "Stuck? The answer is in solutions/01_async_basics.ipynb; try the hints first."
    assert line in repr(second) and line in second._repr_html_()
    EXECUTED_CELLS.append(SOLVED)
    assert "Stuck?" not in repr(check())


def test_hint_before_any_check_gives_the_exercise_hints_one_more_each_time(state):
    hints = get("01-forgotten-await").hints
    shown = [course.hint("01-forgotten-await").text for _ in range(len(hints) + 1)]
    assert shown == [*hints[:-1], ANSWER_LABEL + hints[-1], ANSWER_LABEL + hints[-1]]
    assert repr(course.hint("01-forgotten-await")).startswith("Hint for 01-forgotten-await: ")


def test_hint_follows_the_failing_check_and_shares_its_tiers_with_check(state):
    exercise = get("01-forgotten-await")
    EXECUTED_CELLS.append(UNSOLVED)
    feedback = check()
    key, times = checker._hints.last[exercise.id]
    tiers = learner_progress.tiers_for(exercise, key)
    assert feedback.result.hint == tiers[0] and times == 1
    assert course.hint(exercise.id).text.endswith(tiers[1])  # the next tier of the same failure
    assert check().result.hint.endswith(tiers[2] if len(tiers) > 2 else tiers[-1])  # check() goes on from there


def test_hint_for_a_cell_that_does_not_run_is_about_that_error(state):
    EXECUTED_CELLS.append("# exercise: 01-forgotten-await\nasync def needs_restock(client, sku, minimum)\n    pass\n")
    check()
    assert course.hint("01-forgotten-await").text == PROBLEM_HINTS["syntax"]


def test_hint_remembers_its_tier_across_a_kernel_restart(state):
    hints = get("01-forgotten-await").hints
    assert course.hint("01-forgotten-await").text == hints[0]
    checker._hints.last.clear()  # a new kernel: only the progress file remembers
    assert course.hint("01-forgotten-await").text == hints[1]


@pytest.mark.parametrize("bad", ["01-nope", "", None])
def test_hint_for_no_or_an_unknown_id_says_what_to_write(state, bad):
    shown = course.hint(bad)
    assert shown.problem and ("Valid ids: 01-forgotten-await" in shown.text or 'course.hint("' in shown.text)


def test_the_progress_and_hint_commands(state, capsys):
    assert main(["progress"]) == 0
    out = capsys.readouterr().out
    assert "01-forgotten-await" in out and "not started" in out and f"(recorded in {state})" in out
    assert main(["hint", "01-forgotten-await"]) == 0
    assert capsys.readouterr().out.strip() == f"Hint for 01-forgotten-await: {get('01-forgotten-await').hints[0]}"
    assert main(["hint", "01-nope"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("course: There is no exercise '01-nope'") and err.count("\n") == 1


def test_course_check_at_a_terminal_records_progress_too(state, capsys):
    root = Path(__file__).resolve().parents[2]
    assert main(["check", str(root / "solutions/01_async_basics.ipynb")]) == 0
    capsys.readouterr()
    assert {s for s, _ in statuses(course.progress(1)).values()} == {"done"}
