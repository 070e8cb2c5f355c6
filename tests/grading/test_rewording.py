"""Rewording any learner-facing message changes no score and no status.

Messages are for people and must be free to change; verdicts are data (``problem_kind``,
``Finding.passed`` and ``raised``, the exercise's kind, what the result channel received). To prove no
decision reads the wording, the same submissions are graded twice by the real sandboxed grader: as
they are, and with every message of the checker and the grader reworded inside the supervisor
(``rewording.install``, loaded by a ``sitecustomize.py`` on the supervisor's import path). The
submissions are the committed solutions and a part of the corpus of bad submissions chosen to reach
every verdict path: a syntax error, a name error, hygiene mistakes, virtual-time and real-time hangs,
a swallowed interruption, a process that exits, tampering, a forged channel, learner tests that assert
nothing or hang, a deleted cell, an unreadable notebook, and (the corpus graded as one class) chapters
a student did not submit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from course.grade import Limits, grade_class
from course.limits import BUG_PREFIX
from course.notebooks import chapter_exercises

from .corpus import ROOT, load
from .rewording import BUG_PREFIX as REWORDED_BUG_PREFIX
from .rewording import MARK, install
from .synthetic import write_submission

CORPUS_LIMITS = Limits(check_seconds=2.0, tests_seconds=5.0, seconds_per_exercise=15.0, cpu_seconds=8)
"""Small enough that the cases that hang cost a few seconds; large enough that no check of a case that
does not hang comes near them on a loaded machine (a difference between the two runs would then be the
machine's, not the wording's). The solutions are graded under the default limits."""
CASES = (
    "syntax-error", "name-error", "never-awaited", "unclosed-http-client", "event-never-fires",
    "time-sleep-in-coroutine", "swallow-base-exception", "os-exit", "patch-the-checker",
    "forged-result-channel", "test-asserts-nothing", "test-sleeps", "exercise-cell-deleted",
    "notebook-not-json",
)
HERE = Path(__file__).resolve().parent


def outcome(result) -> tuple:
    """Everything about a result but its words."""
    return (result.score, result.max_score, result.status, result.problem_kind,
            [(f.passed, f.points, f.max_points, f.raised) for f in result.findings])


def by_exercise(grades) -> dict[tuple[str, str, str], object]:
    return {(s.student, n.path.name, r.exercise_id): r for s in grades.submissions for n in s.notebooks
            for r in n.results}


def write_case(name: str, folder: Path) -> None:
    """The corpus case as a submission of only the exercises it is about: the cells of the others are
    deleted (a verdict without a sandbox), so that the two runs grade each solution once, not per case."""
    case = load(name)
    others = tuple(e.id for c in case.chapters for e in chapter_exercises(int(c)) if e.id not in case.expect)
    originals = [p for c in case.chapters for p in sorted((ROOT / "solutions").glob(f"{c}_*.ipynb"))]
    write_submission(folder, originals, case.cells, delete=case.delete + others,
                     replace_files={n: text.encode() for n, text in case.files.items()})


@pytest.fixture(scope="module")
def graded_twice(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rewording") / "class"
    for name in CASES:
        write_case(name, folder / name)

    def grade_all() -> dict:
        return {**by_exercise(grade_class([folder], CORPUS_LIMITS, parallel=2)),
                **by_exercise(grade_class([ROOT / "solutions"], Limits(), parallel=2))}

    plain = grade_all()
    customize = tmp_path_factory.mktemp("sitecustomize")
    (customize / "sitecustomize.py").write_text(
        "import sys\n"
        f"sys.path.append({str(HERE.parent)!r})\n"
        "from grading.rewording import install\n"
        "install()\n"
    )
    with pytest.MonkeyPatch.context() as patch:
        install(patch)  # here, for the verdicts planning makes; undone at the end of the block
        patch.syspath_prepend(str(customize))  # the supervisor's PYTHONPATH is this process's sys.path
        reworded = grade_all()
    return plain, reworded


def test_every_message_was_reworded(graded_twice):
    plain, reworded = graded_twice
    assert plain.keys() == reworded.keys()
    texts = 0
    for key, result in reworded.items():
        assert result.problem == "" or result.problem.startswith(MARK), (key, result.problem)
        for finding in result.findings:
            assert finding.message == "" or finding.message.startswith(MARK), (key, finding.message)
            texts += bool(finding.message)
        texts += bool(result.problem)
        if result.kind == "tests" and not result.problem:
            chaffs = [f for f in result.findings if f.max_points == 1.0]
            assert chaffs and all(f.name.startswith(REWORDED_BUG_PREFIX) for f in chaffs), key
            assert all(f.name.startswith(BUG_PREFIX) for f in plain[key].findings if f.max_points == 1.0), key
    assert texts >= 40, "the submissions must give many messages to reword"
    kinds = {r.problem_kind for r in plain.values()}
    assert {"syntax", "asserts-nothing", "grader"} <= kinds, kinds


def test_rewording_changes_no_score_no_status_and_no_verdict(graded_twice):
    plain, reworded = graded_twice
    differences = {key: (outcome(plain[key]), outcome(reworded[key]))
                   for key in plain if outcome(plain[key]) != outcome(reworded[key])}
    assert differences == {}
    statuses = {r.status for r in plain.values()}
    assert statuses >= {"passed", "failed", "error"}, statuses
