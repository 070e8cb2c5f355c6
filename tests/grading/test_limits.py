"""One table of limits and scoring rules (``course.limits``), and everything reads it: the flags of
``course grade``, the grader's ``Limits``, the checker, the watchdog, the verifier, docs/grading.md."""

from __future__ import annotations

import inspect
import re
import time
from pathlib import Path

import pytest

from course import cli, limits
from course.checker import code_checks, guard, hygiene, schedule, virtual_time
from course.checker.results import ExerciseResult, Finding
from course.exercises import get
from course.grade import Limits
from course.grade.trust import expected_score, verified
from course.grade.worker import Watchdog

ROOT = Path(__file__).resolve().parents[2]

TABLE = {
    "check_seconds": limits.CHECK_SECONDS,
    "tests_seconds": limits.TESTS_SECONDS,
    "seconds_per_exercise": limits.EXERCISE_SECONDS,
    "memory_bytes": limits.MEMORY_BYTES,
    "cpu_seconds": limits.CPU_SECONDS,
    "file_bytes": limits.FILE_BYTES,
    "open_files": limits.OPEN_FILES,
    "processes": limits.PROCESSES,
}


def test_the_grader_limits_default_to_the_table():
    assert Limits().to_dict() == TABLE


def test_the_command_line_defaults_are_the_table():
    args = cli.parser().parse_args(["grade", "submissions/"])
    assert (args.check_timeout, args.tests_timeout, args.exercise_timeout) == (
        limits.CHECK_SECONDS, limits.TESTS_SECONDS, limits.EXERCISE_SECONDS)
    assert args.memory_mb * limits.MiB == limits.MEMORY_BYTES
    assert args.file_size_mb * limits.MiB == limits.FILE_BYTES
    assert (args.cpu_seconds, args.open_files, args.jobs) == (limits.CPU_SECONDS, limits.OPEN_FILES, None)
    assert cli._limits(args) == Limits(), "the flags' defaults give exactly the table's limits"


def test_the_help_states_the_table_defaults(capsys):
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["grade", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag, value in [("check-timeout", limits.CHECK_SECONDS), ("tests-timeout", limits.TESTS_SECONDS),
                        ("exercise-timeout", limits.EXERCISE_SECONDS), ("cpu-seconds", limits.CPU_SECONDS),
                        ("memory-mb", limits.MEMORY_BYTES // limits.MiB), ("open-files", limits.OPEN_FILES),
                        ("file-size-mb", limits.FILE_BYTES // limits.MiB)]:
        assert re.search(rf"--{flag} \S+ .*?\(default {value:g}\)", text), flag


def test_the_checker_and_the_watchdog_read_the_table():
    assert inspect.signature(code_checks.check_code).parameters["real_time_limit"].default == limits.CHECK_SECONDS
    assert inspect.signature(virtual_time.run).parameters["limit"].default == limits.VIRTUAL_SECONDS
    assert virtual_time.SPIN_LIMIT == limits.SPIN_STEPS
    assert inspect.signature(guard._Stoppable.stop).parameters["grace"].default == limits.STOP_GRACE_SECONDS
    assert hygiene.SLOW_STEP == limits.SLOW_STEP_SECONDS
    assert schedule.IDLE_SECONDS == limits.IDLE_SECONDS
    assert schedule.VIRTUAL_SECONDS == limits.VIRTUAL_SECONDS
    watchdog = Watchdog()
    assert (watchdog.seconds, watchdog.grace) == (limits.CHECK_SECONDS, limits.STOP_GRACE_SECONDS)


def _docs_limits() -> dict[str, str]:
    """The second column of docs/grading.md's tables of limits, by their first (a flag, or what it limits)."""
    text = (ROOT / "docs" / "grading.md").read_text()
    section = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return {name.strip(): default.strip() for name, default in rows}


def test_the_instructors_guide_states_the_table():
    docs = _docs_limits()
    assert docs["`--check-timeout S`"] == f"{limits.CHECK_SECONDS:g}"
    assert docs["`--tests-timeout S`"] == f"{limits.TESTS_SECONDS:g}"
    assert docs["`--exercise-timeout S`"] == f"{limits.EXERCISE_SECONDS:g}"
    assert docs["`--memory-mb MB`"] == f"{limits.MEMORY_BYTES // limits.MiB}"
    assert docs["`--cpu-seconds S`"] == f"{limits.CPU_SECONDS}"
    assert docs["`--file-size-mb MB`"] == f"{limits.FILE_BYTES // limits.MiB}"
    assert docs["`--open-files N`"] == f"{limits.OPEN_FILES}"
    assert docs["(none)"] == f"{limits.PROCESSES}"
    assert docs["running the exercise cell itself"].startswith(f"{limits.LOAD_SECONDS:g} s of real time")
    assert docs["waiting for something that never happens"].startswith(f"{limits.VIRTUAL_SECONDS:g} s of virtual")
    assert docs["a loop that awaits but never ends"].startswith(f"{limits.SPIN_STEPS:,} event-loop steps")
    assert docs["one step of a task holding the event loop"].startswith(f"{limits.SLOW_STEP_SECONDS:g} s of real")
    assert docs["a learner test's event loop with nothing to do"].startswith(f"{limits.IDLE_SECONDS:g} s of virtual")
    assert docs["a learner test's event loop that never stops"].startswith(f"{limits.VIRTUAL_SECONDS:g} s of virtual")
    assert docs["stuck code after it was interrupted"] == f"{limits.STOP_GRACE_SECONDS:g} s more"


def test_the_scoring_rule_rounds_to_two_decimals_halves_up():
    assert limits.exercise_score(4, 1, 3) == 1.33
    assert limits.exercise_score(1, 1, 8) == 0.13  # 0.125: round() alone would give 0.12
    assert limits.exercise_score(6, 6, 6) == 6.0 and limits.exercise_score(6, 0, 6) == 0.0


@pytest.mark.parametrize("exercise_id", ["01-concurrent-total", "01-gather-limited-tests"])
def test_the_verifier_scores_with_the_checkers_rule_and_names(exercise_id):
    """A result the checker could produce (half of it passed) is accepted: the verifier recomputes the
    same score from the same finding names, through the same table."""
    exercise = get(exercise_id)
    if exercise.kind == "code":
        findings = [Finding(c.description, i % 2 == 0, "", 0.0, float(c.points)) for i, c in enumerate(exercise.checks)]
        earned = sum(c.points for i, c in enumerate(exercise.checks) if i % 2 == 0)
        total = sum(c.points for c in exercise.checks)
    else:
        chaffs = exercise.chaffs
        findings = [Finding(limits.bug_finding(c.name), i % 2 == 0, "", 0.0, 1.0) for i, c in enumerate(chaffs)]
        earned, total = sum(1 for i in range(len(chaffs)) if i % 2 == 0), len(chaffs)
    score = limits.exercise_score(exercise.points, earned, total)
    result = ExerciseResult(exercise.id, exercise.title, exercise.kind, score, float(exercise.points), findings)
    assert expected_score(exercise, result) == score and 0 < score < exercise.points
    assert verified(exercise, result.to_dict()) == result


def test_a_check_with_a_time_scale_gets_that_many_check_limits_in_check_and_in_the_grader():
    from course.checker.answer import load_answer
    from course.exercises import Check, Exercise

    def slow(answer) -> None:
        answer.wait(0.3)  # real time: what a long but honest computation looks like to the guard

    exercise = Exercise(id="99-time-scale", title="t", kind="code", points=2, requires=("wait",),
                        hints=("h",), checks=(Check("scaled", slow, time_scale=3), Check("plain", slow)))
    answer = load_answer("import time\ndef wait(s):\n    time.sleep(s)\n", exercise.id)
    result = code_checks.check_code(exercise, answer, real_time_limit=0.2)
    scaled, plain = result.findings  # scaled first: after a check that hung, the others are not run
    assert not plain.passed and plain.message.startswith("Still running after 0.2 s")
    assert scaled.passed
    watchdog = Watchdog()
    watchdog.seconds = 0.2
    assert watchdog.guard(lambda: time.sleep(0.3) or "done", 3 * limits.CHECK_SECONDS) == (True, "done")
