"""Freezing the heap around checks (course.checker.frozen_heap)."""

import subprocess
import sys
import textwrap

import pytest

PROPERTY_TEST_AFTER_FREEZING = """
import warnings
warnings.simplefilter("error")
{prepare}
from hypothesis import given, settings, strategies as st

@settings(max_examples=5, database=None, derandomize=True)
@given(st.integers())
def test_equal_to_itself(number):
    assert number == number

test_equal_to_itself()
print("passed")
"""


def run_python(prepare: str) -> subprocess.CompletedProcess:
    source = textwrap.dedent(PROPERTY_TEST_AFTER_FREEZING).format(prepare=prepare)
    return subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=120)


def test_a_property_test_passes_in_a_process_frozen_for_good_with_warnings_as_errors():
    """As in the grader's sandboxes: the supervisor settled Hypothesis, then froze its heap for good."""
    done = run_python(
        "from course.checker.frozen_heap import freeze_for_good, settle_hypothesis\n"
        "settle_hypothesis()\nfreeze_for_good()"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "passed"


@pytest.mark.skipif(sys.version_info < (3, 15), reason="the reference counts Hypothesis relies on differ before 3.15")
def test_without_settling_hypothesis_a_frozen_heap_fails_the_first_property_test_on_3_15():
    """Why ``freeze_for_good`` settles Hypothesis first: the hazard it removes, shown."""
    done = run_python("import gc, hypothesis; gc.freeze()")
    assert done.returncode != 0
    assert "FlakyFailure" in done.stderr


def in_fresh_python(source: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_a_frozen_block_unfreezes_what_it_froze():
    assert in_fresh_python("""
        import gc
        from course.checker.frozen_heap import frozen_heap
        before = gc.get_freeze_count()
        with frozen_heap():
            inside = gc.get_freeze_count()
        print(before, inside > 0, gc.get_freeze_count())
    """) == ["0", "True", "0"]


def test_a_heap_frozen_for_good_stays_frozen_after_a_block():
    assert in_fresh_python("""
        import gc
        from course.checker.frozen_heap import freeze_for_good, frozen_heap
        freeze_for_good()
        frozen = gc.get_freeze_count()
        with frozen_heap():
            pass
        print(frozen > 0, gc.get_freeze_count() >= frozen)
    """) == ["True", "True"]
