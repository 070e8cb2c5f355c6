"""gather_limited(): concurrency, order, and failure, proven on virtual time.

With ``looptime``, ``asyncio.sleep(1)`` costs no wall-clock time but advances the loop's
clock by exactly 1 s. So the total loop time says how much ran in parallel: 6 one-second
operations with limit 3 take exactly 2 s; sequentially they would take 6 s.
"""

import asyncio
import functools
from collections.abc import Awaitable, Callable

import pytest

from catalog import NotFound, RetriesExhausted, TransientError, gather_limited

pytestmark = pytest.mark.looptime


class Tracker:
    """Operations that sleep, and a record of how many ran at once and how each ended."""

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.started: list[str] = []
        self.finished: list[str] = []
        self.cancelled: list[str] = []

    async def op(self, name: str, seconds: float, error: Exception | None = None) -> str:
        self.started.append(name)
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            self.cancelled.append(name)
            raise
        finally:
            self.running -= 1
        if error is not None:
            raise error
        self.finished.append(name)
        return name

    def ops(self, *specs: tuple[str, float]) -> list[Callable[[], Awaitable[str]]]:
        return [functools.partial(self.op, name, seconds) for name, seconds in specs]


@pytest.mark.parametrize(
    ("count", "limit", "duration"),
    [(6, 3, 2), (7, 3, 3), (3, 3, 1), (2, 5, 1), (4, 1, 4)],
)
async def test_never_more_than_limit_at_once(
    looptime: float, count: int, limit: int, duration: int
) -> None:
    tracker = Tracker()
    ops = tracker.ops(*[(f"op{i}", 1.0) for i in range(count)])
    await gather_limited(ops, limit=limit)
    assert tracker.peak == min(limit, count)  # exactly the limit: no less parallelism either
    assert looptime == duration  # ceil(count / limit) rounds of one second


async def test_results_keep_input_order_not_completion_order(looptime: float) -> None:
    tracker = Tracker()
    ops = tracker.ops(("slow", 3.0), ("medium", 2.0), ("fast", 1.0))
    assert await gather_limited(ops, limit=3) == ["slow", "medium", "fast"]
    assert tracker.finished == ["fast", "medium", "slow"]
    assert looptime == 3


async def test_accepts_any_iterable_and_an_empty_one() -> None:
    tracker = Tracker()
    generator = (op for op in tracker.ops(("a", 0), ("b", 0)))
    assert await gather_limited(generator, limit=1) == ["a", "b"]
    assert await gather_limited([], limit=1) == []


@pytest.mark.parametrize("limit", [0, -1])
async def test_limit_must_be_positive(limit: int) -> None:
    tracker = Tracker()
    with pytest.raises(ValueError, match=rf"limit must be >= 1 \(1 runs .*\), got {limit}"):
        # Bounded: without the check, Semaphore(0) would make this wait forever, not fail.
        async with asyncio.timeout(1):
            await gather_limited(tracker.ops(("a", 0)), limit=limit)
    assert tracker.started == []


async def test_the_first_failure_cancels_the_rest_and_is_raised_as_itself(looptime: float) -> None:
    tracker = Tracker()
    error = NotFound("pear")
    ops = [
        functools.partial(tracker.op, "apple", 1.0),
        functools.partial(tracker.op, "pear", 2.0, error),
        functools.partial(tracker.op, "kiwi", 3.0),  # takes apple's slot at t=1
        functools.partial(tracker.op, "fig", 1.0),  # waits for a slot until t=2
    ]
    with pytest.raises(NotFound) as caught:  # NotFound itself, not an ExceptionGroup
        await gather_limited(ops, limit=2)
    assert caught.value is error
    assert tracker.finished == ["apple"]
    # fig got the slot that pear freed by failing, an instant before the TaskGroup
    # noticed the failure and cancelled it: it started but never finished.
    assert tracker.started == ["apple", "pear", "kiwi", "fig"]
    assert sorted(tracker.cancelled) == ["fig", "kiwi"]
    assert tracker.running == 0  # everything was awaited before the error was raised
    assert looptime == 2  # nobody waited for kiwi's remaining 2 seconds


async def test_first_means_first_in_time_not_lowest_index(looptime: float) -> None:
    tracker = Tracker()
    late, early = TransientError("late"), TransientError("early")
    ops = [
        functools.partial(tracker.op, "a", 2.0, late),
        functools.partial(tracker.op, "b", 1.0, early),
    ]
    with pytest.raises(TransientError) as caught:
        await gather_limited(ops, limit=2)
    assert caught.value is early
    assert tracker.cancelled == ["a"]
    assert looptime == 1


async def test_the_raised_error_keeps_its_own_cause_and_no_exception_group_context() -> None:
    cause = TransientError("503")

    async def exhausted() -> None:
        raise RetriesExhausted(3) from cause

    with pytest.raises(RetriesExhausted) as caught:
        await gather_limited([exhausted], limit=1)
    assert caught.value.__cause__ is cause
    # Raised outside the `except` block, so the traceback does not repeat the group.
    assert not isinstance(caught.value.__context__, BaseExceptionGroup)


async def test_cancelling_the_caller_cancels_every_operation(looptime: float) -> None:
    tracker = Tracker()
    task = asyncio.create_task(gather_limited(tracker.ops(("a", 5.0), ("b", 5.0)), limit=2))
    await asyncio.sleep(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(tracker.cancelled) == ["a", "b"]  # TaskGroup cancels in no set order
    assert tracker.running == 0
    assert looptime == 1
