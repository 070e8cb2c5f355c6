"""Freeze the heap around a check, so that its garbage collections scan only what the check made.

pytest collects garbage twice per session (to find "unraisable" errors) and every code check ends
with a full collection. In a kernel holding pytest, Hypothesis and httpx, or in a long test process,
each collection would scan the whole heap: ~100 ms, which a real-time limit would count against the
learner. ``gc.freeze()`` moves every object to a generation the collector skips. The course freezes
for good where a process is set up (``course.setup()`` in a kernel, the grader's supervisor before
it forks) and for the length of a check elsewhere (``frozen_heap``).

**Hypothesis and a frozen heap.** The first Hypothesis test a thread runs creates the thread's
random generator and registers it with ``hypothesis.register_random``, which warns when it finds no
object referring to the generator (``gc.get_referrers``) and few references (``sys.getrefcount``).
``gc.get_referrers`` does not look at frozen objects, and on Python 3.15 the count is low enough:
if the thread's storage was frozen, the warning is raised as an error inside the learner's first
property test, which fails once and passes when Hypothesis replays it ("FlakyFailure: Inconsistent
results"). The correct solution of 08-backoff-properties scored 3/5 in the grader on 3.15. So the
grader's supervisor runs one trivial Hypothesis test in its main thread, where every sandbox runs its
checks, before it freezes its heap (``settle_hypothesis``, at the end of its warm-up: after pytest
has loaded Hypothesis's plugin, which warns about Hypothesis work done before it was loaded). A
kernel needs nothing: its tests and checks run in threads started after ``course.setup()``.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_settled = threading.local()


def settle_hypothesis() -> None:
    """Let Hypothesis create and register this thread's random generator now, while the heap is not
    frozen (see the module docstring). Once per thread; a few milliseconds. Call it after a pytest
    session has run in this process, not before: Hypothesis's pytest plugin, once loaded, warns
    about Hypothesis work done before it."""
    if getattr(_settled, "done", False):
        return
    from hypothesis import Phase, given, settings
    from hypothesis import strategies as st

    @settings(database=None, max_examples=1, phases=[Phase.generate], deadline=None)
    @given(st.none())
    def first_hypothesis_test_of_this_thread(_: None) -> None:
        pass

    first_hypothesis_test_of_this_thread()
    _settled.done = True


def freeze_for_good() -> None:
    """Freeze what this process holds now, for the rest of its life (a kernel after set-up, the
    grader's supervisor before it forks its sandboxes)."""
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """The heap as it is now stays frozen for the block; then it is unfrozen again, unless it was
    already frozen for good."""
    already_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not already_frozen:
            gc.unfreeze()
