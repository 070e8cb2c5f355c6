"""Where a sandbox layer is missing, grading still works and the output says what is not enforced.

``COURSE_GRADE_WITHOUT`` turns layers off, as a machine without user namespaces (a default Docker
container) or without Landlock (a kernel older than 5.13) would have them off.
"""

from __future__ import annotations

import pytest

from course.grade import Limits, grade_class
from course.grade.report import isolation_line

from .corpus import load

LIMITS = Limits(check_seconds=0.5, tests_seconds=3.0, seconds_per_exercise=8.0, cpu_seconds=4)
CASES = ("os-exit", "time-sleep-in-coroutine", "network-call", "write-outside-scratch")


@pytest.fixture(scope="module")
def without_namespaces(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fallback")
    paths = [load(name).write(folder / name) for name in CASES]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_GRADE_WITHOUT", "namespaces")
        grades = grade_class(paths, LIMITS, parallel=2)
    return grades, {s.student: {r.exercise_id: r for r in s.results} for s in grades.submissions}


def test_the_output_says_which_layer_is_missing_and_what_that_leaves_open(without_namespaces):
    grades, _ = without_namespaces
    assert not grades.isolation["namespaces"] and grades.isolation["files_confined"]
    line = isolation_line(grades)
    assert line.startswith("Sandbox: NOT fully isolated on this machine: no user namespaces (turned off by "
                           "COURSE_GRADE_WITHOUT)")
    assert "processes the code starts in a new session survive the wall-clock kill" in line


@pytest.mark.parametrize("name", CASES)
def test_each_case_still_gets_its_score_and_message(without_namespaces, name):
    grades, results = without_namespaces
    case = load(name)
    for exercise_id, result in results[name].items():
        text = " ".join([result.problem, *(f.message for f in result.findings)])
        if exercise_id not in case.expect:
            assert result.score == result.max_score, text
        elif name == "network-call":  # refused by Landlock's TCP rule instead of an empty network
            if not grades.isolation["network_blocked"]:
                pytest.skip("this kernel's Landlock cannot refuse TCP connections (ABI < 4)")
            assert result.score == 0 and "no network access" in text, text
        else:
            assert result.score == case.expect[exercise_id]["score"], text
            assert all(wanted in text for wanted in case.messages(exercise_id)), text
