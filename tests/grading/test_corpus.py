"""Every bad submission of the corpus gets a clear message, the right score, no hang beyond its limit,
and the rest of the submission graded as usual.

The whole corpus is graded once, in parallel, by the real grader (one sandbox per exercise), with
small limits so that the cases that hang cost about a second each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from course.grade import Limits, grade_class

from .corpus import Case, load, names

# Small limits keep the corpus fast, but a correct check must never come near check_seconds on a loaded
# 2-core machine (0.5 s did, now and then). cpu_seconds well below seconds_per_exercise: a CPU-bound
# sandbox gets a fraction of a core under load, and the CPU limit must still come first (cpu-in-c-code).
LIMITS = Limits(check_seconds=1.5, tests_seconds=5.0, seconds_per_exercise=8.0, cpu_seconds=2)
KILL_MARGIN = 5.0
"""Seconds past the wall-clock limit that a sandbox may take to be killed and reaped; a hang beyond
that would mean the limit is not enforced."""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Each case written as one student's submission, all graded in one run of the grader."""
    folder = tmp_path_factory.mktemp("corpus")
    cases = {name: load(name) for name in names()}
    paths = [case.write(folder / name) for name, case in cases.items()]
    grades = grade_class(paths, LIMITS)
    by_student = {s.student: s for s in grades.submissions}
    return cases, by_student, grades


def test_the_corpus_covers_every_kind_of_bad_submission():
    assert len(names()) >= 20


@pytest.mark.parametrize("name", names())
def test_case(corpus, name):
    cases, by_student, grades = corpus
    case: Case = cases[name]
    missing = [layer for layer in case.requires if not grades.isolation[layer]]
    if missing:
        pytest.skip(f"this machine's sandbox lacks {missing}: {grades.isolation['notes']}")
    submission = by_student[name]
    results = {r.exercise_id: r for r in submission.results}
    assert set(case.expect) <= set(results), f"{name}: expected exercises not graded: {set(case.expect) - set(results)}"
    for exercise_id, result in results.items():
        text = " ".join([result.problem, *(f.message for f in result.findings)])
        if exercise_id in case.expect:
            assert result.score == case.expect[exercise_id]["score"], f"{name} {exercise_id}: {text}"
            for wanted in case.messages(exercise_id):
                assert wanted in text, f"{name} {exercise_id}: {wanted!r} not in {text!r}"
        else:  # the rest of the submission: the committed solution, graded as usual
            assert result.score == result.max_score, f"{name}: {exercise_id} was not graded as usual: {text}"
    keys = {(path, e) for n in submission.notebooks for e in results for path in [n.path]}
    for done in grades.sandboxes:
        if done.job.key in keys:
            assert done.wall <= LIMITS.seconds_per_exercise + KILL_MARGIN, f"{name}: a sandbox ran {done.wall:.1f} s"
    if case.no_process_left:
        assert not _processes_with(case.no_process_left), f"{name}: a process outlived its sandbox"
    if case.no_file_left:
        assert not Path(case.no_file_left).exists(), f"{name}: wrote {case.no_file_left} outside its sandbox"


def _processes_with(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                found.append(int(entry.name))
    return found
