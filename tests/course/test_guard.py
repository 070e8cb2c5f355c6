"""A check that hangs is named for how it hangs, and stops: nothing of it keeps running
(course.checker.guard)."""

from __future__ import annotations

import threading

from course.checker.answer import load_answer
from course.checker.code_checks import check_code
from course.checker.guard import thread_guard
from course.exercises import get

RESTOCK = get("01-forgotten-await")


def checker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "course-check" and t.is_alive()]


def check(body: str, limit: float = 0.3):
    answer = load_answer(f"import asyncio, time\nasync def needs_restock(client, sku, minimum):\n{body}\n", RESTOCK.id)
    return check_code(RESTOCK, answer, real_time_limit=limit)


def test_a_loop_that_never_ends_on_virtual_time_is_stopped_by_its_step_count():
    result = check("    while True:\n        await asyncio.sleep(0)", limit=60)
    first, *others = result.findings
    assert first.message.startswith("The code kept awaiting but never finished: 20,000 steps of the event loop and no "
                                    "time passed. It was at exercise cell, line 4, in needs_restock.")
    assert [f.message for f in others] == ["Not checked: a check above got stuck. Fix that first."]
    assert checker_threads() == []


def test_a_loop_that_keeps_awaiting_is_named_as_one_and_stopped():
    # Virtual time advances, but by so little that the virtual-time limit is far away: the real-time
    # limit stops it, and the loop's heartbeat says it was cycling, not blocked.
    result = check("    while True:\n        await asyncio.sleep(0.000001)")
    first, second = result.findings
    assert first.message.startswith(
        "Still running after 0.3 s of real time at exercise cell, line 4, in needs_restock."
    )
    assert "keeps awaiting but never finishes" in first.message and "blocks the event loop" not in first.message
    assert second.message == "Not checked: a check above got stuck. Fix that first."
    assert result.score == 0 and checker_threads() == []


def test_a_blocking_call_is_named_as_one_and_stopped():
    result = check("    while True:\n        time.sleep(0.01)")
    message = result.findings[0].message
    assert "at exercise cell, line 4, in needs_restock" in message
    assert "blocks the event loop" in message and "keeps awaiting" not in message
    assert checker_threads() == []


def test_a_busy_loop_without_await_is_stopped():
    result = check("    n = 0\n    while True:\n        n += 1")
    assert "blocks the event loop" in result.findings[0].message
    assert checker_threads() == []


def test_code_that_swallows_the_stop_is_reported_as_still_running():
    source = (
        "import threading, time\n"
        "RELEASE = threading.Event()\n"
        "async def needs_restock(client, sku, minimum):\n"
        "    while not RELEASE.is_set():\n"
        "        try:\n"
        "            time.sleep(0.01)\n"
        "        except BaseException:\n"
        "            pass\n"
    )
    answer = load_answer(source, RESTOCK.id)
    try:
        result = check_code(RESTOCK, answer, real_time_limit=0.2)
        message = result.findings[0].message
        assert "at exercise cell, line 6, in needs_restock" in message
        assert "could not be stopped" in message and "restart the kernel" in message
    finally:
        answer.RELEASE.set()  # let it go, so that no thread outlives this test
        for thread in checker_threads():
            thread.join(2)
    assert checker_threads() == []


def test_a_check_that_finishes_is_left_alone():
    assert thread_guard(lambda: 42, 1.0) == (True, 42)
    error = ValueError("x")

    def raising() -> None:
        raise error

    assert thread_guard(raising, 1.0) == (True, error)
