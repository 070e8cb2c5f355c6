"""The outcome of checking one exercise: what passed, the score, and what to tell the learner."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Status = Literal["passed", "partial", "failed", "error"]

ProblemKind = Literal[
    "",  # nothing stopped the checks
    "syntax",  # the cell is not valid Python
    "name-error",  # running the cell raised NameError: a misspelled or undefined name
    "cell-error",  # running the cell raised something else
    "missing-name",  # the cell does not define a name the exercise requires
    "no-cell",  # no cell carries the exercise's marker
    "load-hang",  # running the cell itself never finished
    "tests-hang",  # the learner's tests never finished
    "no-tests",  # a tests exercise cell defines no tests
    "asserts-nothing",  # none of the learner's tests asserts anything
    "collection",  # the learner's test module could not be collected
    "course-fault",  # the course's own code failed: not the learner's fault, no score given
    "grader",  # the grader's sandbox stopped the exercise (course.grade.outcomes)
    "unknown-exercise",  # the id names no exercise
    "misplaced-check",  # course.check() was called inside the answer cell
]
"""Why nothing could be checked, as data: hints, the grader and formats decide from this, never from
the wording of ``problem`` (which is for people and may be reworded freely)."""


@dataclass
class Finding:
    """One line of feedback: a check, a chaff, or a problem with the learner's tests."""

    name: str
    passed: bool
    message: str = ""
    points: float = 0.0
    max_points: float = 0.0
    raised: str = ""  # the exception type the learner's code raised in this check, if any


@dataclass
class ExerciseResult:
    """Everything ``check`` shows and ``grade`` records for one exercise."""

    exercise_id: str
    title: str
    kind: str
    score: float
    max_score: float
    findings: list[Finding] = field(default_factory=list)
    problem: str = ""  # why nothing could be checked (no cell, syntax error, missing name, hang)
    hint: str = ""
    problem_kind: ProblemKind = ""

    @property
    def status(self) -> Status:
        if self.problem and self.score == 0:
            return "error"
        if self.score >= self.max_score:
            return "passed"
        return "partial" if self.score > 0 else "failed"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["status"] = self.status
        return data

    @classmethod
    def start(cls, exercise, problem: str = "", kind: ProblemKind = "") -> ExerciseResult:  # an Exercise
        """No points yet, out of the exercise's points; ``problem`` says why, if nothing can be checked."""
        return cls(exercise.id, exercise.title, exercise.kind, 0.0, float(exercise.points), problem=problem,
                   problem_kind=kind or ("grader" if problem else ""))

    def cannot_check(self, kind: ProblemKind, problem: str) -> ExerciseResult:
        """Record why nothing (more) could be checked; returns the result, for ``return result.cannot_check(…)``."""
        self.problem_kind, self.problem = kind, problem
        return self

    @classmethod
    def from_dict(cls, data: dict) -> ExerciseResult:
        fields = {k: v for k, v in data.items() if k != "status"}
        fields["findings"] = [Finding(**f) for f in fields.get("findings", [])]
        return cls(**fields)

