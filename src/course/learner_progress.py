"""A learner's progress: which exercises are done, attempted or not started, and the hints seen.

``course.check()`` (and ``course check`` at a terminal) records each result in a small JSON file;
``course.progress()`` and ``course progress`` read it; ``course.hint()`` and ``course hint`` give the
next hint tier. The file lives outside the repository, so it survives a fresh clone of the notebooks
and can never travel inside a submitted notebook or folder:

    $COURSE_STATE_DIR/progress.json                       if set (tests, CI, a browser test)
    $XDG_STATE_HOME/testing-async-python/progress.json    else, if XDG_STATE_HOME is set
    ~/.local/state/testing-async-python/progress.json     else

A missing, unreadable or malformed file is never an error: progress starts again from nothing, with a
one-line note saying so (a malformed file is kept beside it as ``progress.json.corrupt``). Entries for
ids that are not registered (an exercise renamed since) are kept in the file but never shown.

This module is named ``learner_progress``, not ``progress``: importing a submodule ``course.progress``
would replace the function ``course.progress`` on the package with the module.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
from dataclasses import dataclass
from pathlib import Path

STATE_ENV = "COURSE_STATE_DIR"
APP_FOLDER = "testing-async-python"
FILE_NAME = "progress.json"
VERSION = 1

STATUSES = ("done", "attempted", "not started")
_COLOURS = {"done": "#1a7f37", "attempted": "#9a6700", "not started": "#57606a"}


def state_dir(environ: dict[str, str] | os._Environ = os.environ) -> Path:
    """Where the progress file lives (see the module docstring)."""
    if environ.get(STATE_ENV):
        return Path(environ[STATE_ENV])
    base = Path(environ["XDG_STATE_HOME"]) if environ.get("XDG_STATE_HOME") else Path.home() / ".local" / "state"
    return base / APP_FOLDER


def state_path() -> Path:
    return state_dir() / FILE_NAME


def _valid_entry(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    numbers = (entry.get("attempts"), entry.get("best"))
    if not all(isinstance(n, (int, float)) and not isinstance(n, bool) and n >= 0 for n in numbers):
        return False
    hint = entry.get("hint")
    return hint is None or (isinstance(hint, list) and len(hint) == 2 and isinstance(hint[0], str)
                            and isinstance(hint[1], int))


def load(path: Path | None = None) -> tuple[dict[str, dict], str]:
    """The recorded entries by exercise id, and a one-line note if the file had to be started again."""
    path = path or state_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, ""
    except (OSError, UnicodeDecodeError) as exc:
        return {}, f"Progress file {path} could not be read ({type(exc).__name__}); progress starts again from here."
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    entries = data.get("exercises") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        _keep_corrupt(path)
        return {}, (f"Progress file {path} was not valid (kept as {path.name}.corrupt); "
                    "progress starts again from here.")
    return {k: v for k, v in entries.items() if isinstance(k, str) and _valid_entry(v)}, ""


def _keep_corrupt(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.replace(path, path.with_name(path.name + ".corrupt"))


def save(entries: dict[str, dict], path: Path | None = None) -> str:
    """Write the entries atomically; a one-line note if the file cannot be written (never raises)."""
    path = path or state_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"version": VERSION, "exercises": entries}, indent=1, sort_keys=True) + "\n",
                             encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        return f"Progress could not be saved to {path} ({type(exc).__name__}: {exc.strerror or exc})."
    return ""


def record(result, hint: tuple[str, int] | None = None, *, path: Path | None = None) -> int:  # an ExerciseResult
    """Record one checked result (and where its hints have got to); the number of checks so far.

    Never raises: a check must show its feedback whatever happens to the file. Notes about the file
    are printed as one line (to stdout: stderr shows as a red block in a notebook).
    """
    try:
        entries, note = load(path)
        entry = dict(entries.get(result.exercise_id, {"attempts": 0, "best": 0.0}))
        entry["attempts"] = int(entry.get("attempts", 0)) + 1
        entry["best"] = max(float(entry.get("best", 0.0)), float(result.score))
        entry["last"] = result.status
        entry["hint"] = list(hint) if hint else None
        entries[result.exercise_id] = entry
        note = " ".join(n for n in (note, save(entries, path)) if n)
    except Exception as exc:  # noqa: BLE001 - progress is a convenience; the check's feedback comes first
        note, entry = f"Progress was not recorded ({type(exc).__name__}).", {"attempts": 0}
    if note:
        print(note)
    return int(entry["attempts"])


def hint_position(exercise_id: str, path: Path | None = None) -> tuple[str, int] | None:
    """The hint key and tier last shown for an exercise, as recorded in the file."""
    entry = load(path)[0].get(exercise_id) or {}
    hint = entry.get("hint")
    return (hint[0], hint[1]) if hint else None


def save_hint_position(exercise_id: str, position: tuple[str, int], path: Path | None = None) -> None:
    entries, _ = load(path)
    entry = dict(entries.get(exercise_id, {"attempts": 0, "best": 0.0}))
    entry["hint"] = list(position)
    entries[exercise_id] = entry
    save(entries, path)


@dataclass(frozen=True)
class Row:
    exercise_id: str
    title: str
    kind: str
    status: str
    best: float
    points: int
    attempts: int


def rows(entries: dict[str, dict], exercises=None, chapter: int | None = None) -> list[Row]:
    """One row per registered exercise (of one chapter, if given), in chapter order; ids in the file
    that are not registered are ignored."""
    if exercises is None:
        from course.exercises import all_exercises

        exercises = all_exercises()
    found = []
    for e in sorted(exercises, key=lambda e: e.id[:2]):  # stable: registry order within a chapter
        if chapter is not None and e.id[:2] != f"{chapter:02d}":
            continue
        entry = entries.get(e.id) or {}
        attempts, best = int(entry.get("attempts", 0)), min(float(entry.get("best", 0.0)), float(e.points))
        status = "done" if best >= e.points else "attempted" if attempts else "not started"
        found.append(Row(e.id, e.title, e.kind, status, best, e.points, attempts))
    return found


def _g(value: float) -> str:
    return f"{value:g}"


class ProgressReport:
    """What ``course.progress()`` returns: a table in JupyterLab, text in a terminal or log."""

    def __init__(self, table: list[Row], note: str = "") -> None:
        self.rows = table
        self.note = note

    @property
    def summary(self) -> str:
        done = sum(r.status == "done" for r in self.rows)
        attempted = sum(r.status == "attempted" for r in self.rows)
        score, total = sum(r.best for r in self.rows), sum(r.points for r in self.rows)
        return (f"{done} of {len(self.rows)} exercises done, {attempted} attempted; "
                f"{_g(score)}/{_g(total)} points")

    def __repr__(self) -> str:
        width = max((len(r.exercise_id) for r in self.rows), default=2)
        lines = [self.note] if self.note else []
        lines.append(f"{'id':<{width}}  {'status':<11}  {'points':>7}  title")
        for r in self.rows:
            lines.append(f"{r.exercise_id:<{width}}  {r.status:<11}  {_g(r.best) + '/' + str(r.points):>7}  {r.title}")
        lines.append(self.summary)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [f"<p>{html.escape(self.note)}</p>"] if self.note else []
        parts.append('<table class="course-progress"><thead><tr><th>Exercise</th><th>Title</th><th>Kind</th>'
                     "<th>Status</th><th>Points</th></tr></thead><tbody>")
        for r in self.rows:
            parts.append(
                f"<tr><td><code>{html.escape(r.exercise_id)}</code></td><td>{html.escape(r.title)}</td>"
                f"<td>{html.escape(r.kind)}</td><td style=\"color:{_COLOURS[r.status]}\">{r.status}</td>"
                f"<td>{_g(r.best)}/{r.points}</td></tr>"
            )
        parts.append(f"</tbody></table><p>{html.escape(self.summary)}</p>")
        return "".join(parts)


def report(chapter: int | None = None, path: Path | None = None) -> ProgressReport:
    """The progress table: every exercise, or those of one chapter."""
    path = path or state_path()
    entries, note = load(path)
    if not note and not path.exists():
        note = "No progress recorded yet: every course.check() you run is recorded here."
    return ProgressReport(rows(entries, chapter=chapter), note)


# --- hints on demand --------------------------------------------------------------------------------

def tiers_for(exercise, key: str) -> tuple[str, ...]:  # an Exercise
    """The hint tiers ``course.checker.hints.failure`` gives for a failure key."""
    from course.checker.hints import PROBLEM_HINTS, RAISED_HINTS

    if key.startswith("problem:") and key[len("problem:"):] in PROBLEM_HINTS:
        return (PROBLEM_HINTS[key[len("problem:"):]],)
    if key.startswith("raised:") and key[len("raised:"):] in RAISED_HINTS:
        return (RAISED_HINTS[key[len("raised:"):]],)
    own = next((c.hint for c in exercise.checks if c.description == key and c.hint), "")
    return (own, *exercise.hints) if own else exercise.hints


NEVER_CHECKED = "problem:other"
"""The key of an exercise not checked yet: its own hints, from the first."""


def next_hint(exercise, position: tuple[str, int] | None) -> tuple[str, tuple[str, int]]:
    """The next hint after ``position`` (the failure's key and the tier shown last), and the new position."""
    from course.checker.hints import tier

    key, times = position or (NEVER_CHECKED, 0)
    times += 1
    return tier(tiers_for(exercise, key), times), (key, times)


class Hint:
    """What ``course.hint()`` returns: one hint, as HTML in JupyterLab and text elsewhere."""

    def __init__(self, exercise_id: str, text: str, *, problem: bool = False) -> None:
        self.exercise_id, self.text, self.problem = exercise_id, text, problem

    def __repr__(self) -> str:
        return self.text if self.problem else f"Hint for {self.exercise_id}: {self.text}"

    def _repr_html_(self) -> str:
        if self.problem:
            return f"<p>{html.escape(self.text)}</p>"
        return (f'<div style="border-left:4px solid #0969da;padding:4px 10px"><b>Hint for '
                f"{html.escape(self.exercise_id)}:</b> {html.escape(self.text)}</div>")


def hint(exercise_id: object, memory: dict | None = None) -> Hint:
    """The next hint for the exercise's current failure (or its first hint, if never checked).

    ``memory`` is the kernel's ``HintState.last`` (``course.checker._hints``), which ``check()`` also
    moves on, so ``hint()`` and ``check()`` walk the same tiers; without it (a terminal) the position
    comes from the progress file, which both also update.
    """
    from course.exercises import UnknownExercise, get

    if not isinstance(exercise_id, str) or not exercise_id.strip():
        return Hint("", 'Say which exercise you want a hint for, in quotes: course.hint("01-forgotten-await").',
                    problem=True)
    exercise_id = exercise_id.strip()
    try:
        exercise = get(exercise_id)
    except UnknownExercise as exc:
        return Hint(exercise_id, str(exc), problem=True)
    position = memory.get(exercise_id) if memory is not None else None
    if position is None:
        position = hint_position(exercise_id)
    text, position = next_hint(exercise, position)
    if memory is not None:
        memory[exercise_id] = position
    save_hint_position(exercise_id, position)
    return Hint(exercise_id, text)


def solution_notebook(exercise_id: str) -> str:
    """The solutions notebook of an exercise's chapter, as a path from the course folder."""
    chapter = exercise_id[:2]
    root = Path(__file__).resolve().parents[2] / "solutions"
    found = sorted(root.glob(f"{chapter}_*.ipynb")) if root.is_dir() else []
    return f"solutions/{found[0].name}" if found else f"solutions/{chapter}_*.ipynb"
