"""``course grade``: grade exercise notebooks, one sandboxed process per exercise, in parallel.

Every exercise is checked exactly as ``check()`` checks it in the learner's notebook (the same
``course.checker.check_source``), so the feedback a learner saw predicts the grade; but here learner code
never runs in the grader's process. docs/grading.md is the instructor's guide (formats, exit codes,
limits, what the grader trusts); the limits and the scoring rule are the table in ``course.limits``.

The flow of one submission, module by module
--------------------------------------------

1. **Command line** (``course.cli``, ``course grade PATH...``): reads the flags (their defaults are
   ``course.limits``) into a ``Limits`` and calls ``grade_class`` below.
2. **Discovery** (``discovery.discover``): which notebooks there are and whose: one ``Submission`` per
   student folder (or per folder of notebooks, or the folder of a notebook named on the command line).
3. **Planning** (``planning.plan``): each exercise of each notebook's chapter becomes a slot: a ``Job``
   (the last cell carrying the exercise's marker line, to check in a sandbox), or a verdict decided
   without running anything (``outcomes``: a missing cell, an unreadable notebook, a missing chapter).
4. **Pool** (``pool.SandboxPool``): the grader's handle on one warm **supervisor** process, started
   with a clean environment; it sends the jobs a few at a time as JSON lines and reads results back as
   they finish. ``shared_pool`` keeps one warm across calls.
5. **Supervisor** (``supervisor``, ``python -m course.grade.supervisor``): at start, probes what
   isolation this machine allows (``sandbox.probe``), checks one placeholder answer of each kind (so
   lazy set-up happens once), installs the watchdog as the checker's guard, freezes its heap and takes
   the fingerprint of the grader's own code (``trust.fingerprint``). It never runs learner code. For
   each job: a scratch folder, a pipe, a secret, then ``fork``; up to ``parallel`` at once.
6. **Sandbox** (in the forked child, ``worker.run`` calls ``sandbox.quiet_descriptors`` and
   ``sandbox.enter``): descriptors closed but the result pipe (moved to a random number), its own
   session, namespaces, resource limits, Landlock, the scratch folder as working directory.
7. **Worker** (``worker.check_exercise``, still in the child): ``check_source`` on the cell under the
   watchdog (``worker.Watchdog``: ``SIGALRM`` per check, one limit for a whole learner-test session);
   then the fingerprint is compared (``trust.changes``); messages are annotated and clipped
   (``outcomes.annotate``); the one result record goes out through ``trust.Sender``; ``os._exit``.
8. **Channel** (``trust.Receiver``, in the supervisor): reads the pipe; a line without the secret, a
   second result or an oversized record is forgery. The supervisor enforces the wall-clock limit
   (killing the sandbox's process group) and reaps it.
9. **Verification** (``supervisor.Supervisor.verdict``): a forged channel, a result whose score the
   registry does not confirm (``trust.verified``), a sandbox that was stopped or ended without a result:
   each becomes the grader's own verdict (``outcomes``, 0 points, with what happened and what to change).
   The supervisor writes the verified result as one JSON line; the pool hands it back as a ``Done``.
10. **Report** (``report``): the results go back into their slots; ``NotebookGrade``, ``SubmissionGrade``
    (each exercise once, at its best) and ``ClassGrade`` total them, and ``report.RENDERERS`` writes
    them as text, JSON, CSV or Gradescope's results.json.

No step decides anything from a message's wording: verdicts come from data (``problem_kind``, the
exercise's kind, what the channel received, exit statuses). Entry points:

    grade_class(paths, limits)    a class: submissions, isolation report, timings (``report.ClassGrade``)
    grade_notebook(path, limits)  one notebook (``NotebookError`` if it is not an exercise notebook)
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable
from pathlib import Path

from course.grade.discovery import discover
from course.grade.planning import plan
from course.grade.pool import GraderError, Job, SandboxPool
from course.grade.report import ClassGrade, NotebookGrade, SubmissionGrade
from course.limits import Limits
from course.notebooks import NotebookError, open_exercise_notebook

__all__ = [
    "ClassGrade", "GraderError", "Limits", "NotebookError", "NotebookGrade", "SandboxPool", "SubmissionGrade",
    "grade_class", "grade_notebook", "shared_pool",
]


def grade_class(
    paths: list[Path],
    limits: Limits = Limits(),
    *,
    parallel: int | None = None,
    only: str | None = None,
    pool: Callable[[], SandboxPool] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ClassGrade:
    """Grade everything under ``paths`` (``only``: one exercise id). ``NotebookError`` for bad input
    (see ``discover``, and a notebook given by name that cannot be graded); a bad notebook inside a
    folder scores 0 instead.

    ``pool`` returns the sandbox pool to use (``shared_pool`` keeps one warm across calls); by default
    a new one is started with ``parallel`` sandboxes and closed at the end. It is asked for only once
    the input is known to be good. ``on_progress(done, total)`` is told as each exercise finishes."""
    start = time.perf_counter()
    plans = plan(discover(paths), limits, only)
    jobs = [job for one in plans for job in one.jobs()]
    sandboxes = SandboxPool(parallel) if pool is None else pool()
    try:
        counter = iter(range(1, len(jobs) + 1))
        done = sandboxes.run(jobs, on_done=(lambda _: on_progress(next(counter), len(jobs))) if on_progress else None)
    finally:
        if pool is None:
            sandboxes.close()
    graded = {d.job.key: d.result for d in done}
    grades = [
        SubmissionGrade(one.submission.student, one.submission.folder, [
            NotebookGrade(path, [graded[slot.key] if isinstance(slot, Job) else slot for slot in slots])
            for path, slots in one.notebooks.items()
        ], one.skipped)
        for one in plans
    ]
    return ClassGrade(grades, limits, sandboxes.isolation, sandboxes.parallel, time.perf_counter() - start, done)


_shared: SandboxPool | None = None
_lock = threading.Lock()


def shared_pool() -> SandboxPool:
    """One warm supervisor for the whole process, started on first use: calling ``grade_notebook``
    repeatedly (as tests do) pays the supervisor's start-up once."""
    global _shared
    if _shared is None or not _shared.alive:
        _shared = SandboxPool()
        atexit.register(_shared.close)
    return _shared


def grade_notebook(path: Path, limits: Limits = Limits()) -> NotebookGrade:
    """Grade one exercise notebook. ``NotebookError`` if it is not one."""
    open_exercise_notebook(path)  # bad input fails here, before any process starts
    with _lock:
        [submission] = grade_class([path], limits, pool=shared_pool).submissions
    return submission.notebooks[0]
