"""retry() and backoff_delays().

Two ways to test code that sleeps, both without waiting: inject ``sleep`` and record the
delays (most tests here), or run on virtual time with ``looptime`` and assert on the clock.
"""

import asyncio
import itertools
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import NotFound, RetriesExhausted, TransientError, backoff_delays, retry


class Flaky:
    """An operation that fails with ``errors[0]``, ``errors[1]``, ... then returns "ok"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


class Recorder:
    """Stands in for ``asyncio.sleep``: records each delay, waits for none."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


# --- backoff_delays ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "options", "expected"),
    [
        (1, {}, []),
        (2, {}, [0.1]),
        (4, {}, [0.1, 0.2, 0.4]),
        (5, {"base": 1.0, "factor": 3.0, "cap": 5.0}, [1.0, 3.0, 5.0, 5.0]),
        (3, {"base": 0.5, "factor": 1.0}, [0.5, 0.5]),
        (3, {"base": 0.0}, [0.0, 0.0]),
        (3, {"base": 2.0, "cap": 2.0}, [2.0, 2.0]),
        (3, {"cap": 0.0}, [0.0, 0.0]),
    ],
)
def test_backoff_delays(attempts: int, options: dict[str, float], expected: list[float]) -> None:
    assert backoff_delays(attempts, **options) == expected


def test_default_cap_is_five_seconds() -> None:
    assert backoff_delays(10, base=1.0) == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]


@pytest.mark.parametrize(
    ("attempts", "options", "message"),
    [
        (0, {}, r"attempts must be >= 1 \(1 means a single try, no retries\), got 0"),
        (1, {"base": -0.1}, r"base must be >= 0 seconds, got -0.1"),
        (1, {"factor": 0.5}, r"factor must be >= 1 so delays never shrink .*, got 0.5"),
        (1, {"cap": -1.0}, r"cap must be >= 0 seconds, got -1.0"),
    ],
)
def test_backoff_delays_refuses_bad_settings(
    attempts: int, options: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        backoff_delays(attempts, **options)


settings_ = settings(derandomize=True, database=None)  # deterministic: same examples every run
attempts_ = st.integers(min_value=1, max_value=30)
# Normal floats only: a subnormal delay (below 2.2e-308 s) has too few digits for "grows by at most
# factor" to hold after rounding, and no schedule ever uses one.
seconds_ = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False, allow_subnormal=False)
factors_ = st.floats(min_value=1, max_value=10, allow_nan=False, allow_infinity=False)


@settings_
@given(attempts=attempts_, base=seconds_, factor=factors_, cap=seconds_)
def test_property_one_delay_between_each_pair_of_attempts_never_above_cap(
    attempts: int, base: float, factor: float, cap: float
) -> None:
    delays = backoff_delays(attempts, base=base, factor=factor, cap=cap)
    assert len(delays) == attempts - 1
    assert all(0 <= delay <= cap for delay in delays)


@settings_
@given(attempts=attempts_, base=seconds_, factor=factors_, cap=seconds_)
def test_property_delays_start_at_base_and_grow_by_at_most_factor(
    attempts: int, base: float, factor: float, cap: float
) -> None:
    delays = backoff_delays(attempts, base=base, factor=factor, cap=cap)
    if delays:
        assert delays[0] == min(base, cap)
    for earlier, later in itertools.pairwise(delays):
        assert earlier <= later  # never shrink ...
        assert later <= earlier * factor or math.isclose(later, earlier * factor)  # ... nor jump


# --- retry ---------------------------------------------------------------------------------


async def test_success_needs_no_retry() -> None:
    operation, sleep = Flaky(), Recorder()
    assert await retry(operation, sleep=sleep) == "ok"
    assert operation.calls == 1
    assert sleep.delays == []


async def test_transient_failures_are_retried_after_the_backoff_delays() -> None:
    operation, sleep = Flaky(TransientError("503"), TransientError("503")), Recorder()
    assert await retry(operation, sleep=sleep) == "ok"
    assert operation.calls == 3
    assert sleep.delays == [0.1, 0.2]


async def test_retry_passes_its_settings_to_the_backoff() -> None:
    # Every setting differs from its default, so dropping any one of them changes the delays.
    operation, sleep = Flaky(*[TransientError("503")] * 4), Recorder()
    assert await retry(operation, attempts=5, base=1.0, factor=3.0, cap=4.0, sleep=sleep) == "ok"
    assert sleep.delays == [1.0, 3.0, 4.0, 4.0]


async def test_exhausted_retries_chain_the_last_error() -> None:
    errors = [TransientError("first"), TransientError("second"), TransientError("last")]
    operation, sleep = Flaky(*errors), Recorder()
    with pytest.raises(RetriesExhausted, match=r"gave up after 3 attempt\(s\)") as caught:
        await retry(operation, sleep=sleep)
    assert caught.value.attempts == 3
    assert caught.value.__cause__ is errors[2]
    assert operation.calls == 3
    assert sleep.delays == [0.1, 0.2]  # no pointless sleep after the final failure


async def test_a_single_attempt_never_sleeps() -> None:
    error = TransientError("503")
    operation, sleep = Flaky(error), Recorder()
    with pytest.raises(RetriesExhausted) as caught:
        await retry(operation, attempts=1, sleep=sleep)
    assert (caught.value.attempts, caught.value.__cause__) == (1, error)
    assert (operation.calls, sleep.delays) == (1, [])


@pytest.mark.parametrize("error", [NotFound("apple"), ValueError("a bug")])
async def test_other_errors_propagate_at_once(error: Exception) -> None:
    operation, sleep = Flaky(error), Recorder()
    with pytest.raises(type(error)) as caught:
        await retry(operation, sleep=sleep)
    assert caught.value is error
    assert (operation.calls, sleep.delays) == (1, [])


async def test_retry_on_chooses_what_is_retried() -> None:
    operation, sleep = Flaky(ConnectionError(), KeyError()), Recorder()
    assert await retry(operation, retry_on=(ConnectionError, KeyError), sleep=sleep) == "ok"
    assert sleep.delays == [0.1, 0.2]


async def test_an_empty_retry_on_retries_nothing() -> None:
    error = TransientError("503")
    operation = Flaky(error)
    with pytest.raises(TransientError) as caught:
        await retry(operation, retry_on=())
    assert (caught.value, operation.calls) == (error, 1)


async def test_bad_settings_fail_before_the_first_attempt() -> None:
    operation = Flaky()
    with pytest.raises(ValueError, match="attempts must be >= 1"):
        await retry(operation, attempts=0)
    assert operation.calls == 0


@pytest.mark.parametrize("retry_on", [(asyncio.CancelledError,), (TransientError, BaseException)])
async def test_retry_on_must_not_catch_cancellation(
    retry_on: tuple[type[BaseException], ...],
) -> None:
    operation = Flaky()
    with pytest.raises(ValueError, match=re.escape("would catch asyncio.CancelledError, and a cancelled")):
        await retry(operation, retry_on=retry_on)
    assert operation.calls == 0


async def test_retrying_every_exception_still_lets_cancellation_through() -> None:
    # Exception does not include CancelledError (a BaseException), so this is allowed.
    operation = Flaky(asyncio.CancelledError())
    with pytest.raises(asyncio.CancelledError):
        await retry(operation, retry_on=(Exception,))
    assert operation.calls == 1


@pytest.mark.looptime
async def test_default_sleep_is_asyncio_sleep_on_the_loop_clock(looptime: float) -> None:
    operation = Flaky(TransientError("503"), TransientError("503"))
    assert await retry(operation) == "ok"
    assert looptime == 0.3  # 0.1 + 0.2 of virtual time; no wall-clock time was spent


@pytest.mark.looptime
async def test_cancelling_during_the_backoff_stops_the_retries(looptime: float) -> None:
    operation = Flaky(*[TransientError("503")] * 3)
    task = asyncio.create_task(retry(operation, base=10.0))
    await asyncio.sleep(5)  # the first attempt failed at t=0; the backoff lasts until t=10
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert operation.calls == 1
    assert looptime == 5
