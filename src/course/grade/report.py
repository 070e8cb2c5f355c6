"""Report: a class's grades (per notebook, per student, per class), written as text (with a summary
table), JSON, CSV or Gradescope's results.json, and the progress bar shown while they are computed.

Every format carries the same numbers; the grader's isolation notes (what the sandbox could not enforce
on this machine) travel with them, so a grade is never read without knowing how it was obtained. A
student who handed in two copies of a notebook has both graded and listed; each exercise counts once
in the student's total, at its best.

On a terminal the progress bar runs on standard error; anywhere else (a file, a pipe, CI) nothing but
the grades is written, to standard output.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from course.checker.feedback import as_text as feedback_text
from course.checker.results import ExerciseResult
from course.exercises import all_exercises
from course.grade.pool import Done
from course.limits import Limits, round_score

# -- The grades ----------------------------------------------------------------------------------


class _Totals:
    """Score and maximum summed over ``results`` (each class says which results count)."""

    results: list[ExerciseResult]

    @property
    def score(self) -> float:
        return round_score(sum(r.score for r in self.results))

    @property
    def max_score(self) -> float:
        return round_score(sum(r.max_score for r in self.results))


@dataclass
class NotebookGrade(_Totals):
    path: Path
    results: list[ExerciseResult] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "score": self.score,
            "max_score": self.max_score,
            "exercises": [r.to_dict() for r in self.results],
        }


@dataclass
class SubmissionGrade(_Totals):
    student: str
    folder: Path
    notebooks: list[NotebookGrade] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files that are not exercise notebooks

    @property
    def results(self) -> list[ExerciseResult]:
        """One result per exercise. A student who handed in two copies of a notebook (say
        ``01_async_basics (1).ipynb``) has both graded and listed; each exercise counts once, at its best."""
        best: dict[str, ExerciseResult] = {}
        for result in (r for n in self.notebooks for r in n.results):
            if result.exercise_id not in best or result.score > best[result.exercise_id].score:
                best[result.exercise_id] = result
        return list(best.values())

    def to_dict(self) -> dict:
        return {
            "student": self.student,
            "folder": str(self.folder),
            "score": self.score,
            "max_score": self.max_score,
            "notebooks": [n.to_dict() for n in self.notebooks],
            "skipped": self.skipped,
        }


@dataclass
class ClassGrade:
    submissions: list[SubmissionGrade]
    limits: Limits
    isolation: dict
    parallel: int  # sandboxes run at once
    seconds: float  # wall clock for the whole run, supervisor start-up included
    sandboxes: list[Done] = field(default_factory=list, repr=False)

    @property
    def notebooks(self) -> list[NotebookGrade]:
        return [n for s in self.submissions for n in s.notebooks]


# -- The formats ---------------------------------------------------------------------------------

FORMATS = ("text", "json", "csv", "gradescope")


class ReportError(ValueError):
    """The grades cannot be written in the asked format; the message says what to do instead."""


def _n(value: float) -> str:
    return f"{value:g}"


def short_message(result: ExerciseResult) -> str:
    """One line for a table cell: the problem, or what the failed checks said (text for people:
    the status beside it comes from the scores)."""
    if result.problem:
        return result.problem
    return "; ".join(f"{f.name}: {f.message.rstrip('.')}" if f.message else f.name
                     for f in result.findings if not f.passed)


def _clip(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def isolation_line(grades: ClassGrade) -> str:
    iso = grades.isolation
    if not iso.get("notes"):
        return ("Sandbox: one process per exercise in its own user, network and PID namespaces (no network), "
                "files writable only in its scratch folder (Landlock), resource limits.")
    return "Sandbox: NOT fully isolated on this machine: " + "; ".join(iso["notes"]) + "."


def as_text(grades: ClassGrade) -> str:
    lines = []
    for submission in grades.submissions:
        for notebook in submission.notebooks:
            lines.append(f"{notebook.path}: {_n(notebook.score)}/{_n(notebook.max_score)} points")
            for r in notebook.results:
                note = f"  {_clip(short_message(r))}" if r.status != "passed" and short_message(r) else ""
                lines.append(f"  {r.exercise_id:<28} {r.score:>5g}/{r.max_score:<5g} {r.status:<8}{note}")
        lines += [f"{submission.folder}/{note}" for note in submission.skipped]
    lines += ["", *summary_table(grades), "", isolation_line(grades)]
    return "\n".join(lines)


def summary_table(grades: ClassGrade) -> list[str]:
    seen = {r.exercise_id for n in grades.notebooks for r in n.results}
    ids = [e.id for e in all_exercises() if e.id in seen]
    rows = [["student", *ids, "total"]]
    for s in grades.submissions:
        scores = {r.exercise_id: r.score for r in s.results}
        rows.append(
            [s.student, *(_n(scores[i]) if i in scores else "-" for i in ids), f"{_n(s.score)}/{_n(s.max_score)}"]
        )
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    count = len(grades.submissions)
    title = (f"Summary: {count} submission{'s' * (count != 1)}, {len(grades.sandboxes)} exercises graded "
             f"in {grades.seconds:.1f} s on {grades.parallel} parallel sandbox{'es' * (grades.parallel != 1)}")
    table = [
        "  ".join(
            cell.ljust(w) if c == 0 else cell.rjust(w) for c, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    return [title, *table]


def as_json(grades: ClassGrade) -> str:
    notebooks = [
        {"student": s.student, **n.to_dict()} for s in grades.submissions for n in s.notebooks
    ]
    return json.dumps({
        "notebooks": notebooks,
        "submissions": [s.to_dict() for s in grades.submissions],
        "limits": grades.limits.to_dict(),
        "isolation": grades.isolation,
        "seconds": round(grades.seconds, 3),
    }, indent=2)


def as_csv(grades: ClassGrade) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "notebook", "exercise", "title", "kind", "score", "max_score", "status", "message"])
    for s in grades.submissions:
        for n in s.notebooks:
            for r in n.results:
                writer.writerow([s.student, n.path.name, r.exercise_id, r.title, r.kind, _n(r.score),
                                 _n(r.max_score), r.status, short_message(r)])
    return out.getvalue().rstrip("\n")


def as_gradescope(grades: ClassGrade) -> str:
    """Gradescope's ``results.json`` for one submission: total score, one test per exercise."""
    if len(grades.submissions) != 1:
        raise ReportError(gradescope_problem(len(grades.submissions)))
    submission: SubmissionGrade = grades.submissions[0]
    tests = [
        {
            "name": f"{r.exercise_id}: {r.title}",
            "score": r.score,
            "max_score": r.max_score,
            "status": "passed" if r.score >= r.max_score else "failed",
            "output": feedback_text(r),
        }
        for r in submission.results
    ]
    output = "\n".join([*submission.skipped, isolation_line(grades)])
    return json.dumps({
        "score": submission.score,
        "execution_time": round(grades.seconds),
        "output": output,
        "tests": tests,
    }, indent=2)


def gradescope_problem(count: int) -> str:
    return (f"--format gradescope writes the results.json of one submission, and {count} were found: "
            "grade each student's folder on its own")


RENDERERS = {"text": as_text, "json": as_json, "csv": as_csv, "gradescope": as_gradescope}


# -- The progress bar ----------------------------------------------------------------------------

WIDTH = 30


class Progress:
    """``on_progress`` for ``grade_class``: a one-line bar on a terminal, nothing anywhere else."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self.label = label
        self.start = time.monotonic()
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total == 0:
            return
        filled = WIDTH * done // total
        bar = "#" * filled + "-" * (WIDTH - filled)
        elapsed = time.monotonic() - self.start
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} exercises, {elapsed:.0f} s")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")  # erase the bar: the results follow on standard output
            self.stream.flush()
