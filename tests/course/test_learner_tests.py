"""Grading learner-written tests against wheats and chaffs (course.checker.learner_tests)."""

import sys
import textwrap
import threading
import time
from pathlib import Path

from course.checker import check_source
from course.exercises import get
from course.limits import TESTS_SECONDS
from course.notebooks import ExerciseNotebook, read_cells

RETRY = get("02-retry-tests")

HEADER = """
import asyncio
import pytest
from catalog.errors import RetriesExhausted, TransientError
from catalog.backoff import retry

async def no_sleep(delay):
    pass
"""


def check(body: str):
    return check_source(RETRY, HEADER + textwrap.dedent(body))


def by_name(result):
    return {f.name: f for f in result.findings}


def test_a_test_catching_only_some_chaffs_earns_their_share():
    result = check("""
        async def test_gives_up_after_three_calls():
            calls = []
            async def broken():
                calls.append(1)
                raise TransientError("down")
            with pytest.raises(RetriesExhausted):
                await retry(broken, attempts=3, sleep=no_sleep)
            assert len(calls) == 3
    """)
    caught = sorted(name for name, f in by_name(result).items() if f.passed)
    assert caught == ["bug: one attempt too few", "bug: one attempt too many"]
    assert result.score == round(6 * 2 / 6, 2)
    missed = by_name(result)["bug: backoff does not grow"]
    assert (missed.message == RETRY.chaffs[2].hint and "sleep" not in missed.message.split("(")[0]) or missed.message


def test_feedback_for_a_missed_chaff_is_its_hint_never_code():
    result = check("""
        async def test_success():
            async def ok():
                return 1
            assert await retry(ok, sleep=no_sleep) == 1
    """)
    hints = {f"bug: {c.name}": c.hint for c in RETRY.chaffs}
    for name, finding in by_name(result).items():
        assert not finding.passed
        assert finding.message == hints[name]
    assert result.score == 0


def test_a_test_that_asserts_nothing_earns_nothing_even_if_it_would_catch_a_chaff():
    # Without an assertion this test still "fails" on the chaff that retries every error (ValueError is
    # retried then exhausted), but a test that asserts nothing must not earn credit.
    result = check("""
        async def test_value_error_goes_through():
            async def bad():
                raise ValueError("no")
            try:
                await retry(bad, sleep=no_sleep)
            except ValueError:
                pass
    """)
    assert result.score == 0
    assert "None of your tests asserts anything" in result.problem
    assert by_name(result)["test_value_error_goes_through"].message.startswith("asserts nothing")


GIVES_UP = """
    async def test_gives_up_after_three_calls():
        calls = []
        async def broken():
            calls.append(1)
            raise TransientError("down")
        with pytest.raises(RetriesExhausted):
            await retry(broken, attempts=3, sleep=no_sleep)
        assert len(calls) == 3
"""

FOUR_CALLS = """
    async def test_four_calls():
        calls = []
        async def broken():
            calls.append(1)
            raise TransientError("down")
        with pytest.raises(RetriesExhausted):
            await retry(broken, attempts=3, sleep=no_sleep)
        assert len(calls) == 4
"""


def test_a_test_that_fails_on_a_correct_version_earns_nothing_and_is_named_with_its_assertion():
    # Over-specified: demands a call count that only a one-attempt-too-many implementation gives.
    result = check(FOUR_CALLS)
    assert result.score == 0 and not result.problem
    verdict = by_name(result)["test_four_calls"]
    assert not verdict.passed
    assert verdict.message.startswith("fails on the course's own code: AssertionError: assert 3 == 4")
    assert "It earns nothing: a test must pass on every correct version of the code." in verdict.message


def test_good_tests_beside_a_bad_one_keep_their_credit():
    result = check(GIVES_UP + FOUR_CALLS)
    findings = by_name(result)
    assert not findings["test_four_calls"].passed
    assert findings["bug: one attempt too many"].passed and findings["bug: one attempt too few"].passed
    assert findings["bug: one attempt too many"].message == "caught by `test_gives_up_after_three_calls`"
    assert result.score == round(6 * 2 / 6, 2)


def test_a_forgotten_await_in_a_test_is_named_with_its_line_and_the_fix():
    result = check(GIVES_UP + """
    async def test_success():
        async def ok():
            return 1
        result = retry(ok, sleep=no_sleep)
        assert result is not None
    """)
    message = by_name(result)["test_success"].message
    assert "coroutine `retry` was never awaited at exercise cell, line 22, in test_success" in message
    assert "Put `await` before the call" in message
    for noise in ("PytestUnraisableExceptionWarning", "tracemalloc", "0x", "Exception ignored"):
        assert noise not in message
    assert result.score == round(6 * 2 / 6, 2)  # the other test keeps its credit


def test_a_first_test_that_is_sync_does_not_cost_marks():
    # On Python 3.12 and 3.13, looptime's "There is no current event loop" warning failed a sync test
    # that ran before any async one (course.cell_plugin works around it).
    solution = (Path(__file__).parents[2] / "solutions" / "02_pytest_asyncio.ipynb")
    source = ExerciseNotebook(solution, read_cells(solution), (RETRY,)).answer(RETRY)
    sync_first = ("import inspect\n\n\ndef test_retry_is_a_coroutine_function():\n"
                  "    assert inspect.iscoroutinefunction(retry)\n\n\n")
    result = check_source(RETRY, source.replace("# BEGIN SOLUTION\n", "# BEGIN SOLUTION\n" + sync_first))
    assert result.score == RETRY.points, result


def test_a_warning_from_the_course_or_a_library_is_a_fault_of_the_course_not_of_the_test(monkeypatch):
    # A dependency's deprecation (as on a newer Python) must not be reported as the learner's mistake.
    import warnings

    import catalog.backoff

    real_delays = catalog.backoff.backoff_delays

    def deprecated_delays(*args, **kwargs):
        warnings.warn("backoff_delays() is deprecated", DeprecationWarning, stacklevel=2)
        return real_delays(*args, **kwargs)

    monkeypatch.setattr(catalog.backoff, "backoff_delays", deprecated_delays)
    result = check(GIVES_UP)
    assert result.problem_kind == "course-fault" and result.score == 0
    assert result.problem.startswith("Grading stopped on a fault of the course's own, not of your tests: "
                                     "DeprecationWarning: backoff_delays() is deprecated (raised inside `")
    assert "over-specif" not in result.problem and "fails on" not in result.problem


def test_a_warning_raised_by_the_learners_own_call_is_the_tests_fault():
    result = check(GIVES_UP + """
    def test_old_api():
        import warnings
        warnings.warn("use the new thing", DeprecationWarning)
        assert retry.__name__ == "retry"
    """)
    message = by_name(result)["test_old_api"].message
    assert result.problem_kind == "" and "DeprecationWarning: use the new thing (at exercise cell, line" in message
    assert "warnings are errors in this course" in message


def test_a_test_that_depends_on_the_order_of_simultaneous_timers_is_flaky_and_named():
    # Two operations finish at the same virtual instant; which one asyncio wakes first is undefined.
    result = check("""
        @pytest.mark.looptime
        async def test_order_of_equal_sleeps():
            finished = []
            async def op(name):
                await asyncio.sleep(1)
                finished.append(name)
                return name
            await asyncio.gather(retry(lambda: op("a"), sleep=no_sleep), retry(lambda: op("b"), sleep=no_sleep))
            assert finished == ["a", "b"]
    """)
    flaky = by_name(result)["test_order_of_equal_sleeps"]
    assert not flaky.passed
    assert flaky.message.startswith("passes or fails depending on the order in which tasks wake up: on the "
                                    "course's own code it failed in 1 of 3 scheduling orders (shuffled order")
    assert result.score == 0


def test_a_chaff_that_hangs_counts_as_caught():
    # The "swallows cancellation" chaff retries after cancel; with an operation that waits on an
    # event nobody sets, it never finishes: the idle limit on virtual time ends the test.
    result = check("""
        async def test_cancel_stops_it():
            calls = []
            async def wait_forever():
                calls.append(1)
                await asyncio.Event().wait()
            task = asyncio.create_task(retry(wait_forever, sleep=no_sleep))
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert calls == [1]
    """)
    assert by_name(result)["bug: swallows cancellation"].passed


def test_a_chaff_that_keeps_polling_forever_counts_as_caught_at_once():
    # Here the swallowed cancellation leaves a poller running: virtual time keeps passing, so the
    # loop is never idle. The virtual-time limit ends it, long before the real-time limit.
    started = time.perf_counter()
    result = check("""
        async def test_cancel_stops_a_poller():
            polls = []
            async def poll_forever():
                while True:
                    polls.append(1)
                    await asyncio.sleep(1)
            task = asyncio.create_task(retry(poll_forever, sleep=no_sleep))
            await asyncio.sleep(0.5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert polls == [1]
    """)
    assert result.problem == "" and by_name(result)["bug: swallows cancellation"].passed
    assert time.perf_counter() - started < TESTS_SECONDS / 2  # not stopped by the real-time limit


def test_a_test_that_never_ends_fails_with_the_virtual_time_it_ran_for():
    result = check("""
        async def test_polls_forever():
            assert retry is not None
            while True:
                await asyncio.sleep(1)
    """)
    assert by_name(result)["test_polls_forever"].message.startswith(
        "fails on the course's own code: asyncio.exceptions.CancelledError: still running after 600 s of virtual "
        "time: a loop that never ends"
    )


def test_syntax_errors_and_empty_cells_explain_themselves():
    assert "syntax error on line 2" in check_source(RETRY, "x = 1\ndef test(:\n").problem
    assert "defines no tests" in check_source(RETRY, "import asyncio\n").problem


def test_a_test_module_that_fails_to_import_is_reported():
    result = check_source(RETRY, "from catalog.backoff import no_such_name\n\ndef test_x():\n    assert 1 == 1\n")
    assert result.score == 0
    assert "could not be collected" in result.problem and "no_such_name" in result.problem


def test_a_result_asked_of_a_coroutine_is_named_a_forgotten_await():
    result = check("""
        async def test_the_wrapped_function_runs():
            async def answer():
                return 42
            outcome = retry(answer, attempts=1, sleep=no_sleep)
            assert outcome.real == 42
    """)
    verdict = by_name(result)["test_the_wrapped_function_runs"]
    assert "'coroutine' object has no attribute 'real'" in verdict.message
    assert "a call to an `async def` function is missing its `await`" in verdict.message


def test_an_attribute_error_on_anything_else_gets_no_await_advice():
    result = check("""
        async def test_the_wrapped_function_runs():
            async def answer():
                return 42
            outcome = await retry(answer, attempts=1, sleep=no_sleep)
            assert outcome.stock == 42
    """)
    verdict = by_name(result)["test_the_wrapped_function_runs"]
    assert "'int' object has no attribute 'stock'" in verdict.message
    assert "await" not in verdict.message


def test_a_deadlock_after_a_finished_timeout_is_still_seen_as_one():
    # Every finished `asyncio.timeout()` leaves a cancelled timer in the loop's heap; the deadlock
    # breaker must not take it for something that can still wake the loop.
    result = check("""
        async def test_waits_for_nothing_after_a_timeout():
            async with asyncio.timeout(5):
                await asyncio.sleep(0)
            await asyncio.Event().wait()
            assert retry is not None
    """)
    verdict = by_name(result)["test_waits_for_nothing_after_a_timeout"]
    assert verdict.message.startswith("fails on the course's own code: asyncio.exceptions.CancelledError: waited 60 s")


def check_spinning_tests_in_a_thread(monkeypatch):
    """A loop awaiting `sleep(0)` passes no virtual time: only the real-time limit (1 s here) stops
    it, mid-pytest, as ``check()`` runs it in a notebook (in a thread). A first, quick session
    imports what a session needs, as ``course.setup()`` has in a kernel: a cold import (Hypothesis,
    rewritten by pytest) can take a loaded machine longer than that 1 s."""
    from course.checker import learner_tests

    check("""
        async def test_quick():
            assert retry is not None
    """)
    monkeypatch.setattr(learner_tests, "TESTS_SECONDS", 1.0)
    return check_source(RETRY, HEADER + textwrap.dedent("""
        async def test_spins():
            assert retry is not None
            while True:
                await asyncio.sleep(0)
    """), in_thread=True)


def test_tests_stopped_at_the_real_time_limit_leave_the_kernels_streams_as_they_were(monkeypatch):
    streams = sys.stdin, sys.stdout, sys.stderr
    result = check_spinning_tests_in_a_thread(monkeypatch)
    assert result.problem_kind == "tests-hang"
    assert (sys.stdin, sys.stdout, sys.stderr) == streams


def test_tests_stopped_at_the_real_time_limit_leave_no_thread_spinning(monkeypatch):
    """Cancelling the spinning test's tasks ends only that run of it: the session must then stop, not
    start the next run (which spins again), so the kernel is left with no thread burning a core."""
    result = check_spinning_tests_in_a_thread(monkeypatch)
    assert result.problem_kind == "tests-hang"
    assert "could not be stopped" not in result.problem
    assert [t.name for t in threading.enumerate() if t.name == "course-check"] == []
