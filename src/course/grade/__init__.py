"""``course grade``: grade exercise notebooks, each in a sandboxed worker process.

For every exercise of a notebook's chapter the grader takes the last cell carrying the exercise's
marker line, and checks it in a fresh worker exactly as ``check()`` does in the notebook. Learner
code never runs in the grader's own process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from course.checker.results import ExerciseResult, round_score
from course.grade.sandbox import Limits, run_worker
from course.notebooks import ExerciseNotebook, NotebookError, open_exercise_notebook

__all__ = ["Limits", "NotebookGrade", "grade_notebook", "grade_paths", "NotebookError"]


@dataclass
class NotebookGrade:
    path: Path
    results: list[ExerciseResult] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round_score(sum(r.score for r in self.results))

    @property
    def max_score(self) -> float:
        return round_score(sum(r.max_score for r in self.results))

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "score": self.score,
            "max_score": self.max_score,
            "exercises": [r.to_dict() for r in self.results],
        }


def _stopped(exercise, timed_out: bool, limits: Limits, returncode: int | None) -> ExerciseResult:
    result = ExerciseResult(exercise.id, exercise.title, exercise.kind, 0.0, float(exercise.points))
    if timed_out:
        result.problem = (
            f"Grading this exercise was stopped after {limits.seconds_per_exercise:g} s. The code never "
            "finished: look for a loop that never ends or a blocking call such as time.sleep."
        )
    else:
        result.problem = (
            f"The code ended the grading process (exit code {returncode}): remove calls such as sys.exit() or "
            "os._exit(), and anything that uses very much memory."
        )
    return result


def grade_notebook(path: Path, limits: Limits = Limits()) -> NotebookGrade:
    """Grade one exercise notebook. ``NotebookError`` if it is not one."""
    notebook: ExerciseNotebook = open_exercise_notebook(path)
    pending = [{"id": e.id, "source": notebook.answer(e)} for e in notebook.exercises]
    by_id = {e.id: e for e in notebook.exercises}
    results: dict[str, ExerciseResult] = {}
    while pending:
        run = run_worker(pending, limits)
        started = None
        for record in run.records:
            if "started" in record:
                started = record["started"]
            elif "result" in record:
                result = ExerciseResult.from_dict(record["result"])
                results[result.exercise_id] = result
                started = None
        if started is not None:  # the worker died or hung in the middle of this exercise
            results[started] = _stopped(by_id[started], run.timed_out, limits, run.returncode)
        remaining = [p for p in pending if p["id"] not in results]
        if len(remaining) == len(pending):  # the worker could not even start: report, do not loop
            for item in remaining:
                results[item["id"]] = _stopped(by_id[item["id"]], run.timed_out, limits, run.returncode)
            remaining = []
        pending = remaining
    return NotebookGrade(path, [results[e.id] for e in notebook.exercises])


def find_notebooks(path: Path) -> list[Path]:
    """A notebook, or every notebook below a folder (a class's submissions), checkpoints skipped."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    return [path]


def grade_paths(paths: list[Path], limits: Limits = Limits()) -> list[NotebookGrade]:
    grades = []
    for path in paths:
        for notebook in find_notebooks(path):
            grades.append(grade_notebook(notebook, limits))
    return grades
