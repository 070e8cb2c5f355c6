"""The outcome of checking one exercise: what passed, the score, and what to tell the learner."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Status = Literal["passed", "partial", "failed", "error"]


@dataclass
class Finding:
    """One line of feedback: a check, a chaff, or a problem with the learner's tests."""

    name: str
    passed: bool
    message: str = ""
    points: float = 0.0
    max_points: float = 0.0


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
    fault: str = ""  # "course": the course's own code failed, not the learner's (no score can be given)

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
    def start(cls, exercise, problem: str = "") -> ExerciseResult:  # noqa: ANN001 - an Exercise
        """No points yet, out of the exercise's points; ``problem`` says why, if nothing can be checked."""
        return cls(exercise.id, exercise.title, exercise.kind, 0.0, float(exercise.points), problem=problem)

    @classmethod
    def from_dict(cls, data: dict) -> ExerciseResult:
        fields = {k: v for k, v in data.items() if k != "status"}
        fields["findings"] = [Finding(**f) for f in fields.get("findings", [])]
        return cls(**fields)


def round_score(value: float) -> float:
    """Scores are shown with two decimals; rounding here keeps totals and JSON consistent."""
    return round(value + 1e-9, 2)
