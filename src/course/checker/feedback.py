"""Render an ``ExerciseResult`` for a person: HTML in JupyterLab, plain text in a terminal."""

from __future__ import annotations

import html

from course.checker.results import ExerciseResult

_HEADLINES = {
    "passed": "All checks pass",
    "partial": "Some checks pass",
    "failed": "Not solved yet",
    "error": "Cannot check yet",
}


def _score(value: float) -> str:
    return f"{value:g}"


def stuck_line(result: ExerciseResult, attempts: int) -> str:
    """After a second unsuccessful check, where the answer is (the learner is asked to try first)."""
    if result.status == "passed" or attempts < 2 or not result.exercise_id[:2].isdigit():
        return ""
    from course.learner_progress import solution_notebook

    return f"Stuck? The answer is in {solution_notebook(result.exercise_id)}; try the hints first."


def as_text(result: ExerciseResult, attempts: int = 0) -> str:
    lines = [
        f"{result.exercise_id}: {result.title}",
        f"{_HEADLINES[result.status]}: {_score(result.score)}/{_score(result.max_score)} points",
    ]
    if result.problem:
        lines.append(f"  ! {result.problem}")
    for finding in result.findings:
        mark = "✓" if finding.passed else "✗"
        message = finding.message.replace("\n", "\n      ")  # a picture (a task timeline) stays indented
        lines.append(f"  {mark} {finding.name}" + (f": {message}" if finding.message else ""))
    if result.hint and result.status != "passed":
        lines.append(f"  Hint: {result.hint}")
    if stuck_line(result, attempts):
        lines.append(f"  {stuck_line(result, attempts)}")
    return "\n".join(lines)


def as_html(result: ExerciseResult, attempts: int = 0) -> str:
    colour = {"passed": "#1a7f37", "partial": "#9a6700", "failed": "#9a6700", "error": "#9a6700"}[result.status]
    parts = [
        f'<div style="border-left:4px solid {colour};padding:4px 10px">',
        f"<b>{html.escape(result.exercise_id)}: {html.escape(result.title)}</b><br>",
        f'<span style="color:{colour}">{_HEADLINES[result.status]}: '
        f"{_score(result.score)}/{_score(result.max_score)} points</span>",
    ]
    if result.problem:
        parts.append(f"<p>{html.escape(result.problem)}</p>")
    if result.findings:
        parts.append('<ul style="margin:4px 0">')
        for f in result.findings:
            mark = "✓" if f.passed else "✗"
            message = f": {html.escape(f.message)}" if f.message else ""
            if "\n" in f.message:  # the lines after the first are a picture: keep them as they are
                head, _, picture = f.message.partition("\n")
                message = f": {html.escape(head)}<pre style=\"margin:2px 0\">{html.escape(picture)}</pre>"
            parts.append(f"<li>{mark} {html.escape(f.name)}{message}</li>")
        parts.append("</ul>")
    if result.hint and result.status != "passed":
        parts.append(f"<p><b>Hint:</b> {html.escape(result.hint)}</p>")
    if stuck_line(result, attempts):
        parts.append(f"<p>{html.escape(stuck_line(result, attempts))}</p>")
    parts.append("</div>")
    return "".join(parts)


class Feedback:
    """What ``check()`` returns: Jupyter shows the HTML, a terminal or a text log the text."""

    def __init__(self, result: ExerciseResult, attempts: int = 0) -> None:
        self.result = result
        self.attempts = attempts  # checks of this exercise so far, from the progress file

    def _repr_html_(self) -> str:
        return as_html(self.result, self.attempts)

    def __repr__(self) -> str:
        return as_text(self.result, self.attempts)
