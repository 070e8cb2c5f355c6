"""Retrying an async operation with capped exponential backoff.

Two pieces, split so each can be tested on its own:

- ``backoff_delays()`` is pure arithmetic: which delays, in which order. No clock, no I/O,
  so it suits property-based tests.
- ``retry()`` is the loop. Its ``sleep`` is a parameter, so a test can record the delays
  instead of waiting for them (or run on virtual time with ``looptime``).

There is no random jitter: jitter spreads out the retries of *many* clients, but it makes
every test of *one* client non-deterministic. Add it in the caller's ``sleep`` if needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from catalog.errors import RetriesExhausted, TransientError

T = TypeVar("T")


def backoff_delays(
    attempts: int, *, base: float = 0.1, factor: float = 2.0, cap: float = 5.0
) -> list[float]:
    """The delays slept *between* ``attempts`` tries: ``attempts - 1`` of them.

    Delay ``i`` is ``base * factor**i``, capped at ``cap`` so that a long series of
    retries never waits unboundedly long. There is no delay after the last attempt:
    its failure is final, and sleeping before reporting it would only waste time.
    """
    if attempts < 1:
        raise ValueError(
            f"attempts must be >= 1 (1 means a single try, no retries), got {attempts}"
        )
    if base < 0:
        raise ValueError(f"base must be >= 0 seconds, got {base}")
    if factor < 1:
        raise ValueError(
            f"factor must be >= 1 so delays never shrink (1 gives constant delays), got {factor}"
        )
    if cap < 0:
        raise ValueError(f"cap must be >= 0 seconds, got {cap}")
    return [min(base * factor**i, cap) for i in range(attempts - 1)]


async def retry(
    operation: Callable[[], Awaitable[T]],
    *,
    attempts: int = 3,
    base: float = 0.1,
    factor: float = 2.0,
    cap: float = 5.0,
    retry_on: tuple[type[BaseException], ...] = (TransientError,),
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Await ``operation()`` up to ``attempts`` times, backing off between failures.

    ``operation`` is a zero-argument callable rather than an awaitable because a coroutine
    can be awaited only once: each attempt needs a fresh one.

    Only exceptions in ``retry_on`` are retried; anything else is a bug or a permanent
    failure and propagates at once. When every attempt fails, ``RetriesExhausted`` is
    raised *from* the last error, so the traceback still shows what actually went wrong.
    """
    if any(issubclass(asyncio.CancelledError, kind) for kind in retry_on):
        # Catching CancelledError would turn "stop now" into "try again in a moment":
        # the task could never be cancelled, and asyncio.timeout() would stop working.
        raise ValueError(
            f"retry_on={retry_on!r} would catch asyncio.CancelledError, and a cancelled "
            "operation must stop, not retry; list the specific exceptions to retry instead"
        )
    # Computed (and validated) before the first attempt: bad arguments fail immediately.
    delays = backoff_delays(attempts, base=base, factor=factor, cap=cap)
    for delay in delays:
        try:
            return await operation()
        except retry_on:
            await sleep(delay)
    try:
        return await operation()
    except retry_on as error:
        raise RetriesExhausted(attempts) from error
