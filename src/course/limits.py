"""One table of the limits learner code runs under, and of the rules a score is computed by.

Everything that applies a limit or computes a score reads it from here: the checker (``check()`` in a
notebook, and the same checks in the grader's sandbox), the sandbox and its watchdog, the supervisor's
verification of every result, and the defaults of ``course grade``'s flags. Nothing else defines one.
tests/grading/test_limits.py holds the command line and docs/grading.md ("Limits") to this table.

The time limits are about two kinds of time. Checks run on **virtual time** (looptime): an
``await asyncio.sleep(60)`` costs nothing, so a correct answer's checks take milliseconds of **real
time**, and a learner-test exercise's whole session about 0.2 s. Real-time limits therefore only
ever stop code that blocks the event loop (``time.sleep``, a busy loop, sync I/O) or never ends; they
can be generous, so that a loaded 2-core machine never fails a correct answer. Virtual-time limits
stop code that waits for something that never happens, instantly in real time.

This module imports nothing from the course: every layer may read it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields

MiB = 1024**2

# -- Real time, in the notebook and in the grader ------------------------------------------------

CHECK_SECONDS = 5.0
"""Real seconds one check of a *write async code* exercise may take (``--check-timeout``; in the
notebook, ``check()``'s limit). A correct answer needs milliseconds: only blocking or endless code
comes near it, and 5 s is long enough that a preempted check on a busy machine never trips it, short
enough that a learner waiting for ``check()`` does not think the kernel froze."""

LOAD_SECONDS = CHECK_SECONDS
"""Real seconds running the exercise cell itself may take (it only defines functions). The same as a
check's, so ``--check-timeout`` covers both, as docs/grading.md says."""

TESTS_SECONDS = 20.0
"""Real seconds the whole pytest session of a *write the tests* exercise may take (``--tests-timeout``).
One session runs every learner test against every wheat (three scheduling orders each) and every chaff,
about 20 runs of each test: 0.2 s for sensible tests, so 20 s leaves a hundredfold margin and still
stops a suite that blocks in ``time.sleep`` on each run."""

STOP_GRACE_SECONDS = 1.0
"""Real seconds stuck code is given to end after it was interrupted, before the course gives up on it:
the notebook's thread guard (``StopCheck`` raised again and again) and the sandbox's watchdog (one more
``SIGALRM``; then the exercise scores 0, "caught the grader's interruption"). Unwinding takes
microseconds; a second only matters for code that swallows the interruption."""

SLOW_STEP_SECONDS = 0.25
"""CPU seconds one step of a task may spend holding a check's event loop before the check fails for
blocking it (``course.checker.hygiene``). CPU time of the check's thread, not the wall clock, so a step
that merely waits for a core on a loaded machine is never blamed; a correct answer's steps take
microseconds. (A learner's ``time.sleep`` is caught on its own, whatever its length.)"""

# -- Virtual time --------------------------------------------------------------------------------

VIRTUAL_SECONDS = 600.0
"""Virtual seconds a check's coroutine may wait before it is stopped with the line it waits on
(``course.checker.virtual_time``), and a learner test's event loop may run before its tasks are
cancelled (``course.checker.schedule.CourseLoop``: a poller nobody stops never goes idle). The
course's simulated latencies and back-offs last seconds, so ten minutes is far beyond any correct
answer, and costs no real time."""

SPIN_STEPS = 20_000
"""Iterations of a check's event loop in a row with no virtual time passing before the check is stopped
as a loop that never ends (``while True: await asyncio.sleep(0)``), which virtual time alone would
never stop. A correct answer's check takes a few hundred; this many take well under a second."""

IDLE_SECONDS = 60.0
"""Virtual seconds a learner test's event loop may sit with nothing ready and no timer pending before
every task is cancelled (``course.checker.schedule.CourseLoop``): nothing can wake it then (the tests
talk to in-process fakes), so this only turns a deadlock into a failure; being virtual, it is instant."""

# -- The grader's sandbox, per exercise ----------------------------------------------------------

EXERCISE_SECONDS = 60.0
"""Wall clock for one exercise's whole sandboxed process (``--exercise-timeout``); then its process
group is killed. The backstop for code the per-check interruption cannot stop (it swallows it, or is
stuck inside C code): above every real-time limit it must outlast, and short enough that a class with a
few such answers still grades in minutes."""

CPU_SECONDS = 60
"""CPU seconds of one sandbox (``--cpu-seconds``, ``RLIMIT_CPU``); then the kernel kills it. Keep it
above (checks + 1) x ``CHECK_SECONDS``, so that a busy loop is interrupted check by check, with its line
named, before this ends the whole exercise."""

MEMORY_BYTES = 2048 * MiB
"""Address space of one sandbox (``--memory-mb``, ``RLIMIT_AS``): the warm supervisor's image (pytest,
httpx, the example package) is about 200 MiB of address space; 2 GiB stops a runaway allocation with a
``MemoryError`` long before the machine swaps, with several sandboxes running at once."""

FILE_BYTES = 16 * MiB
"""Largest file one sandbox may write (``--file-size-mb``, ``RLIMIT_FSIZE``): no exercise writes files
beyond a few kB; 16 MiB keeps a runaway writer from filling the disk, as an ``OSError``."""

OPEN_FILES = 256
"""Open descriptors of one sandbox (``--open-files``, ``RLIMIT_NOFILE``): pytest and asyncio need a few
dozen; the result pipe is moved to a random number in [64, this)."""

PROCESSES = 64
"""Processes and threads inside one sandbox (``RLIMIT_NPROC``, no flag): applied only in a user
namespace, where the kernel counts them per sandbox rather than per user (outside one, it would count
the grader's own user's processes). Enough for ``asyncio.to_thread`` pools; a fork bomb stops here."""


def default_parallel() -> int:
    """Sandboxes run at once (``--jobs``): one per core. A sandbox is CPU-bound from fork to result,
    so more would only share the cores; fewer would leave one idle."""
    return os.cpu_count() or 1


# -- The grader's own bounds ---------------------------------------------------------------------

MESSAGE_CHARS = 2000
"""Characters of one message kept in a result: an assertion message may quote a huge value the learner's
code returned; a learner reads the first lines only, and a result must stay far below ``RECORD_BYTES``."""

RECORD_BYTES = 4 * MiB
"""Largest record the supervisor reads from a sandbox's result pipe: a result is a few kB (at most a
few dozen messages of ``MESSAGE_CHARS``); anything bigger is not a result and counts as forged."""

SUPERVISOR_START_SECONDS = 120.0
"""Real seconds the supervisor may take to start (imports, warm-up, about 1 s) before the grader
reports it broken: generous for a cold disk and a loaded machine."""

SUPERVISOR_SILENCE_SECONDS = 30.0
"""Real seconds past the longest ``EXERCISE_SECONDS`` of the running jobs after which a silent
supervisor is declared broken: some sandbox always ends within its wall-clock limit, then reaping and
verifying it takes milliseconds."""


@dataclass(frozen=True)
class Limits:
    """The limits one grading run applies to every exercise; each is a flag of ``course grade``, and
    each default is the table's value above."""

    check_seconds: float = CHECK_SECONDS
    """Real time for running the exercise cell, and for each check of a *write async code* exercise.
    Code that takes longer is interrupted, and the message names the line it was running."""
    tests_seconds: float = TESTS_SECONDS
    """Real time for all the runs of a *write the tests* exercise's tests (one pytest session)."""
    seconds_per_exercise: float = EXERCISE_SECONDS
    """Wall clock for one exercise's whole process; then the process group is killed."""
    memory_bytes: int = MEMORY_BYTES
    """Address space of the exercise's process (RLIMIT_AS): a huge allocation raises MemoryError."""
    cpu_seconds: int = CPU_SECONDS
    """CPU time of the exercise's process (RLIMIT_CPU); then the kernel kills it."""
    file_bytes: int = FILE_BYTES
    """Largest file the exercise may write (RLIMIT_FSIZE); writing more raises an OSError."""
    open_files: int = OPEN_FILES
    """Open file descriptors (RLIMIT_NOFILE)."""
    processes: int = PROCESSES
    """Processes and threads inside the sandbox (RLIMIT_NPROC), with a user namespace only."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Limits:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# -- Scoring -------------------------------------------------------------------------------------

BUG_PREFIX = "bug: "
"""How a learner-test exercise names the finding for one chaff: ``bug: <chaff name>``. The checker
writes it and the supervisor's verification reads it, both through ``bug_finding``."""


def bug_finding(chaff_name: str) -> str:
    """The finding name for the chaff (buggy implementation) ``chaff_name``."""
    return f"{BUG_PREFIX}{chaff_name}"


def round_score(value: float) -> float:
    """Scores are shown with two decimals; rounding here keeps totals and JSON consistent. The tiny
    offset rounds a half up (0.125 to 0.13; ``round`` alone gives 0.12)."""
    return round(value + 1e-9, 2)


def exercise_score(points: float, earned: float, total: float) -> float:
    """The one scoring rule: an exercise's ``points`` times the share earned, rounded.

    A *write async code* exercise earns the points of its passed checks out of all its checks' points;
    a *write the tests* exercise earns one per chaff caught out of its chaffs. The checker scores with
    this, and the supervisor recomputes every sandbox's score with it before accepting the result."""
    return round_score(points * earned / total)
