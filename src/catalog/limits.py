"""Bounded concurrency: run many awaitables at once, but never more than ``limit`` together.

Unbounded ``asyncio.gather`` over a thousand skus opens a thousand requests at once, which
overloads the service (and earns 429s). A semaphore caps how many run together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def gather_limited(
    operations: Iterable[Callable[[], Awaitable[T]]], *, limit: int
) -> list[T]:
    """Run ``operations`` concurrently, at most ``limit`` at a time; results in input order.

    Each operation is a zero-argument callable (build them with ``functools.partial``, not a
    ``lambda`` in a loop, which would capture the loop variable late). Each callable is
    invoked only once a slot is free, so no work starts before it is allowed to run.

    Failure: the first operation to fail cancels all the others (``asyncio.TaskGroup`` does
    that, and awaits them, so nothing is left running), and its exception is raised *as
    itself*. A TaskGroup reports failures as an ``ExceptionGroup``; we unwrap it because
    callers want to write ``except NotFound``, not ``except* NotFound``, and after the first
    failure the other errors are mostly consequences of the same cause. "First" means first
    in time, which may not be the lowest index.
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1 (1 runs the operations one by one), got {limit}")
    semaphore = asyncio.Semaphore(limit)

    async def run(operation: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await operation()

    first_error: BaseException | None = None
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(run(operation)) for operation in operations]
    except BaseExceptionGroup as failures:
        first_error = failures.exceptions[0]
    if first_error is not None:
        # Raised outside the `except` block on purpose: raising inside it would chain the
        # ExceptionGroup as __context__, and the traceback would print every error twice.
        # The error keeps its own __cause__ (e.g. RetriesExhausted's last attempt).
        raise first_error
    return [task.result() for task in tasks]
