"""The grader's own verdicts: results for exercises whose checks could not run or cannot be trusted.

Every one scores 0, has ``problem_kind`` "grader" (``ExerciseResult.start``), and tells the learner what
happened and what to change. The checks' own messages come from ``course.checker``; these cover what
only the sandbox sees: a process that died, hung past every limit, changed the grader, wrote to the
result channel, or a notebook that could not be read.

Which verdict applies is always decided from data (the exercise's kind, the watchdog's ``Hang``, what
the result channel received, the exit status), never from a message's wording: the wording is for
people and may change freely (tests/grading/test_rewording.py proves it). ``annotate`` is the one
place that reads messages, and only to add explanations to them: it changes no score and no status.
"""

from __future__ import annotations

import re
import signal

from course.checker.guard import Hang, hang_advice
from course.checker.results import ExerciseResult
from course.exercises import Exercise
from course.limits import MESSAGE_CHARS


def zero(exercise: Exercise, problem: str) -> ExerciseResult:
    return ExerciseResult.start(exercise, problem)


def missing_cell(exercise: Exercise) -> ExerciseResult:
    return zero(exercise, (
        f"No cell has the line `# exercise: {exercise.id}`: the exercise cell was deleted, or its first line "
        "changed. Put the line back at the top of your answer cell."
    ))


def unreadable(exercise: Exercise, reason: str) -> ExerciseResult:
    return zero(exercise, f"The notebook could not be read ({reason}), so nothing in it could be graded. "
                "Submit the notebook file as Jupyter saved it.")


def missing_notebook(exercise: Exercise) -> ExerciseResult:
    return zero(exercise, (
        f"No notebook for chapter {exercise.chapter:02d} was submitted (expected a file named "
        f"{exercise.chapter:02d}_*.ipynb)."
    ))


def swallowed(exercise: Exercise, hang: Hang) -> ExerciseResult:
    return zero(exercise, (
        f"A check was still running after {hang.seconds:g} s of real time{hang.at}, and the code caught "
        "the grader's interruption and kept going (an `except BaseException:` or a bare `except:` around "
        "a blocking call or a loop). Catch only the exceptions you expect, and never block the event loop."
    ))


def tests_hung(exercise: Exercise, hang: Hang, seconds: float) -> ExerciseResult:
    return zero(exercise, (
        f"Your tests were still running after {seconds:g} s of real time{hang.at}. {hang_advice(hang)} "
        "Every test must finish quickly on every implementation: use `await asyncio.sleep(...)` and "
        "`asyncio.timeout(...)`."
    ))


def load_hung(exercise: Exercise, hang: Hang) -> ExerciseResult:
    return zero(exercise, (
        f"Running the exercise cell took more than {hang.seconds:g} s{hang.at}: it runs a loop or a blocking "
        "call at the top level. Define functions in the cell; do not call them there."
    ))


def stopped(exercise: Exercise, seconds: float, stuck: dict | None) -> ExerciseResult:
    where = f" It was stuck at {stuck['where']}." if stuck and stuck.get("where") else ""
    return zero(exercise, (
        f"Grading this exercise was stopped after {seconds:g} s.{where} The code never finished, even when "
        "interrupted: look for a loop that never ends, a blocking call such as time.sleep, or an "
        "`except BaseException:` that swallows the interruption."
    ))


def ended(exercise: Exercise, exit_code: int, stuck: dict | None) -> ExerciseResult:
    if exit_code > 128 and exit_code - 128 in (signal.SIGKILL, signal.SIGXCPU):
        cause = "it used up its CPU time or memory, or was killed"
    elif exit_code > 128:
        cause = f"it was killed by signal {signal.Signals(exit_code - 128).name}"
    else:
        cause = f"it exited with status {exit_code} before reporting a result"
    where = f" (last seen at {stuck['where']})" if stuck and stuck.get("where") else ""
    return zero(exercise, (
        f"The code ended the grading process: {cause}{where}. An exit status proves nothing: only a "
        "completed check counts. Remove calls such as sys.exit() and os._exit(), and anything that uses "
        "very much memory or CPU time."
    ))


def tampered(exercise: Exercise, changed: list[str]) -> ExerciseResult:
    shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    return zero(exercise, (
        f"The code changed the grader or the code the checks rely on ({shown}), so no result from this "
        "run can be trusted: it earns nothing. An answer must not modify `course`, `catalog`, `pytest` or "
        "`asyncio`; in tests, patch with the `monkeypatch` fixture, which undoes its changes."
    ))


def checker_failed(exercise: Exercise, error: BaseException) -> ExerciseResult:
    return zero(exercise, (
        f"The checker itself failed on this answer ({type(error).__name__}: {error}), so it could not be "
        "graded. If the answer does not touch the course's own modules, this is a bug in the grader: "
        "please report it with the answer's cell."
    ))


def forged(exercise: Exercise, what: list[str]) -> ExerciseResult:
    return zero(exercise, (
        f"Something in the sandbox wrote to the grader's result channel ({', '.join(sorted(set(what)))}): "
        "a result that may be forged earns nothing."
    ))


_NETWORK = re.compile(
    r"Network is unreachable|name resolution|ConnectError|ConnectionRefused|gaierror|Errno 101"
    r"|PermissionError: \[Errno 13\] Permission denied \("  # a connection Landlock refused: no path named
)
_FILES = re.compile(r"Permission denied: '|Read-only file system")
_NAME_ERROR = re.compile(r"raised NameError")


def sandbox_note(message: str) -> str:
    """Explain an error the sandbox caused, where the learner sees it.

    Presentation only: it matches the text of Python's own error messages (a refused connection, a
    refused write, a ``NameError``) to append a sentence to the message, and decides nothing else: no
    score, no status, no verdict depends on it. A message reworded so that no pattern matches only
    loses the added sentence."""
    notes = []
    if _NETWORK.search(message):
        notes.append("During grading, code has no network access: use the client the exercise passes in.")
    if _FILES.search(message):
        notes.append("During grading, code may write files only in its working folder.")
    if _NAME_ERROR.search(message) and "checked on its own" not in message:
        notes.append("Each exercise cell is checked on its own: define or import everything it uses inside that cell.")
    return " ".join([message, *notes]) if notes else message


def clip(message: str) -> str:
    """At most ``course.limits.MESSAGE_CHARS`` characters of ``message``, saying how many were cut."""
    if len(message) <= MESSAGE_CHARS:
        return message
    return f"{message[:MESSAGE_CHARS]}… ({len(message) - MESSAGE_CHARS} more characters cut)"


def annotate(result: ExerciseResult) -> ExerciseResult:
    """The result as the learner should read it: sandbox notes added, very long messages cut. Only
    the text changes; scores, statuses and ``problem_kind`` are left as they are."""
    result.problem = clip(sandbox_note(result.problem)) if result.problem else ""
    for finding in result.findings:
        if finding.message:
            finding.message = clip(sandbox_note(finding.message))
        finding.name = clip(finding.name)  # a learner's test name
    return result
