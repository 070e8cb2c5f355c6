"""Exercises tried as a learner would: right answers written another way, and real mistakes.

Each file ``tests/attempts/<exercise id>.txt`` holds attempts, each under a header line

    # === valid: <what it is> | <score>
    # === wrong: <what it is> | <score> | <words the feedback must say> ;; <more words>

The cell source follows, up to the next header. Every attempt is checked exactly as ``check()`` and
``course grade`` check it (``check_source``, the one entry point): a valid answer must earn full marks,
a wrong one less, and the feedback must name the mistake. One test then grades every attempt through
the real sandboxed grader, as an instructor would, and requires the same score; for a *write the
tests* exercise, another runs the cell as ``%%ipytest`` would (against the real code, on virtual
time) and requires it to pass exactly when no test of the attempt fails on the real code.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from grading.synthetic import write_submission  # tests/grading/synthetic.py

from course.checker import check_source
from course.exercises import get
from course.grade import Limits, grade_class

HERE = Path(__file__).resolve().parent / "attempts"
ROOT = HERE.parents[1]
HEADER = re.compile(r"^# === (?P<kind>valid|wrong): (?P<about>[^|]+?) \| (?P<score>[\d.]+)(?: \| (?P<says>.*))?$")


@dataclass(frozen=True)
class Attempt:
    exercise_id: str
    kind: str
    about: str
    score: float
    says: tuple[str, ...]
    source: str

    @property
    def id(self) -> str:
        return f"{self.exercise_id}: {self.kind}: {self.about}"


def load(path: Path) -> list[Attempt]:
    attempts: list[Attempt] = []
    header, lines = None, []
    for line in [*path.read_text().splitlines(), "# === valid: end | 0"]:
        match = HEADER.match(line)
        if match is None:
            lines.append(line)
            continue
        if header is not None:
            says = tuple(s.strip() for s in (header["says"] or "").split(";;") if s.strip())
            source = "\n".join(lines).strip("\n") + "\n"
            if source.startswith("%%"):
                first, rest = source.split("\n", 1)
                source = f"{first}\n# exercise: {path.stem}\n{rest}"
            else:
                source = f"# exercise: {path.stem}\n{source}"
            attempts.append(Attempt(path.stem, header["kind"], header["about"], float(header["score"]), says, source))
        header, lines = match, []
    return attempts


ATTEMPTS = [a for path in sorted(HERE.glob("*.txt")) for a in load(path)]


def feedback_text(result) -> str:
    return " ".join([result.problem, *(f"{f.name}: {f.message}" for f in result.findings)])


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: a.id)
def test_the_feedback_judges_the_attempt_and_names_the_mistake(attempt):
    exercise = get(attempt.exercise_id)
    result = check_source(exercise, attempt.source)
    text = feedback_text(result)
    if attempt.kind == "valid":
        assert attempt.score == exercise.points, "a valid answer's expected score must be full marks"
        assert result.score == exercise.points, text
    else:
        assert attempt.score < exercise.points, "a wrong answer's expected score must be below full marks"
        assert result.score == attempt.score, text
    for words in attempt.says:
        assert words in text, f"{words!r} not in the feedback: {text}"
    for noise in ("Traceback", "tracemalloc", " at 0x", "PytestUnraisableExceptionWarning"):
        assert noise not in text, text


def test_the_grader_gives_every_attempt_the_same_score(tmp_path):
    """Student k hands in the k-th attempt of every exercise (the solution where they have fewer)."""
    by_exercise: dict[str, list[Attempt]] = {}
    for attempt in ATTEMPTS:
        by_exercise.setdefault(attempt.exercise_id, []).append(attempt)
    chapters = sorted({e[:2] for e in by_exercise})
    originals = [p for c in chapters for p in sorted((ROOT / "solutions").glob(f"{c}_*.ipynb"))]
    expected: dict[tuple[str, str], float] = {}
    for k in range(max(len(a) for a in by_exercise.values())):
        student = tmp_path / f"student{k:02d}"
        cells = []
        for exercise_id, attempts in by_exercise.items():
            if k < len(attempts):
                cells.append(attempts[k].source)
                expected[(student.name, exercise_id)] = check_source(get(exercise_id), attempts[k].source).score
        write_submission(student, originals, cells)
    grades = grade_class([tmp_path], Limits())
    got = {(s.student, r.exercise_id): r.score for s in grades.submissions for r in s.results}
    assert {k: got[k] for k in expected} == expected


def run_cell(tmp_path: Path, source: str) -> int:
    """Run a tests-exercise cell as ``%%ipytest`` does: the cell's own pytest settings, the course's
    plugins, virtual time because the cell carries the exercise's marker."""
    from course import notebook_setup
    from course.checker.answer import without_cell_magic

    module = tmp_path / f"test_cell_{uuid.uuid4().hex[:12]}.py"  # a new name, as ipytest's: one import each
    module.write_text(without_cell_magic(source))
    saved = list(notebook_setup.EXECUTED_CELLS)
    notebook_setup.EXECUTED_CELLS[:] = [source]
    try:
        return int(pytest.main([*notebook_setup.pytest_args_for_cells(tmp_path), "-p", "no:terminal",
                                "--import-mode=importlib", str(module)]))
    finally:
        notebook_setup.EXECUTED_CELLS[:] = saved


TESTS_ATTEMPTS = [a for a in ATTEMPTS if get(a.exercise_id).kind == "tests"]


@pytest.mark.parametrize("attempt", TESTS_ATTEMPTS, ids=lambda a: a.id)
def test_the_cell_fails_exactly_when_a_test_fails_on_the_real_code(attempt, tmp_path):
    result = check_source(get(attempt.exercise_id), attempt.source)
    fails_on_reference = any(
        f.message.startswith("fails on the course's own code") for f in result.findings
    ) or result.problem_kind == "collection"
    code = run_cell(tmp_path, attempt.source)
    assert (code == 1) == fails_on_reference, (code, feedback_text(result))
