"""Chapter 7, cancellation and timeouts: the exercises of ``exercises/07_cancellation.ipynb``.

Solutions live in ``solutions/07_cancellation.ipynb``; this module holds everything else.
"""

from __future__ import annotations

import asyncio

from catalog import NotFound, TransientError
from course.exercises.model import Check, Exercise, Variant
from course.exercises.support import not_a_coroutine as _not_a_coroutine

# --- 07-stop-task ---------------------------------------------------------------------------------


def _worker(log: list[str], *, cleanup: float = 2.0, fail_after: float | None = None,
            cleanup_error: BaseException | None = None):
    """A background task that works until cancelled, then takes ``cleanup`` seconds to clean up."""

    async def work() -> None:
        try:
            if fail_after is not None:
                await asyncio.sleep(fail_after)
                raise NotFound("durian")
            while True:  # noqa: ASYNC110 - a worker busy until cancelled, the thing under test
                await asyncio.sleep(1)
        finally:
            await asyncio.sleep(cleanup)
            log.append("cleaned up")
            if cleanup_error is not None:
                raise cleanup_error

    return work()


async def _stop_waits(answer) -> None:
    log: list[str] = []
    task = asyncio.create_task(_worker(log))
    await asyncio.sleep(0.5)
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        got = await answer.stop(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        raise AssertionError(
            "`await stop(task)` raised CancelledError, although nobody cancelled the caller: the "
            "CancelledError that comes out of `await task` is the cancellation you asked for. Catch it "
            "there, and let only the caller's own cancellation through."
        ) from None
    _not_a_coroutine(got, "stop(task)")
    if not task.done():
        await asyncio.wait({task})
        raise AssertionError(
            "`stop(task)` returned while the task was still running its clean-up: `task.cancel()` only "
            "*asks* the task to stop. Await the task after cancelling it, so that its `finally:` blocks "
            "have run when stop() returns."
        )
    assert task.cancelled(), "After stop(task) the task should have ended by its cancellation."
    assert log == ["cleaned up"] and loop.time() - start == 2.0, (
        f"stop() returned after {loop.time() - start:g} s of a 2-second clean-up; it must wait for the "
        "clean-up to end."
    )


async def _stop_raises_the_tasks_error(answer) -> None:
    log: list[str] = []
    task = asyncio.create_task(_worker(log, fail_after=1.0, cleanup=0.0))
    await asyncio.sleep(2)  # the task has died of NotFound by now
    try:
        await answer.stop(task)
    except NotFound:
        pass
    except asyncio.CancelledError:
        raise AssertionError(
            "The task had already died of NotFound, and stop(task) raised CancelledError instead: the "
            "error that ended the task is what `await task` raises; let it through."
        ) from None
    else:
        raise AssertionError(
            "The task had died of NotFound before stop(task) was called, and stop() returned as if all "
            "was well: only the CancelledError of the cancellation you asked for is expected. An "
            "`except Exception:` or `except BaseException:` hides a dead worker."
        )
    task = asyncio.create_task(_worker(log, cleanup=1.0, cleanup_error=RuntimeError("flush failed")))
    await asyncio.sleep(0.5)
    try:
        await answer.stop(task)
    except RuntimeError:
        pass
    except asyncio.CancelledError:
        raise AssertionError(
            "The task's clean-up failed with RuntimeError, and stop(task) raised CancelledError instead: "
            "let the task's own error through."
        ) from None
    else:
        raise AssertionError(
            "The task's clean-up failed with RuntimeError('flush failed'), and stop(task) hid it: only the "
            "expected CancelledError may be caught."
        )


async def _stop_lets_the_callers_cancellation_through(answer) -> None:
    log: list[str] = []
    task = asyncio.create_task(_worker(log, cleanup=5.0))
    await asyncio.sleep(0.5)
    closer = asyncio.create_task(answer.stop(task))
    await asyncio.sleep(1)  # stop() is waiting for the 5-second clean-up
    closer.cancel()
    try:
        await closer
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError(
            "The task running `await stop(task)` was itself cancelled while it waited, and stop() returned "
            "normally: it swallowed its caller's cancellation, so whoever cancelled it can never stop it. "
            "Inside `except asyncio.CancelledError:`, `asyncio.current_task().cancelling()` is more than 0 "
            "when the cancellation is the caller's: then re-raise it."
        )
    finally:
        await asyncio.wait({task})


async def _stop_finished_task(answer) -> None:
    async def quick() -> str:
        await asyncio.sleep(1)
        return "done"

    task = asyncio.create_task(quick())
    await asyncio.sleep(2)
    try:
        await answer.stop(task)
    except BaseException as error:  # noqa: BLE001 - reported to the learner
        raise AssertionError(
            f"stop(task) on a task that had already finished with a result raised {error!r}: there is "
            "nothing to stop, so it should simply return."
        ) from None


STOP_TASK = Exercise(
    id="07-stop-task",
    title="Stop a background task",
    kind="code",
    points=5,
    requires=("stop",),
    hints=(
        "Stopping is two steps: asking (`cancel()`) and waiting until the task has finished, clean-up "
        "included. Of everything that `await task` can raise, only the cancellation you asked for is "
        "expected; the task's own error, and the cancellation of whoever called stop(), must go on.",
        "`except Exception:` does not see CancelledError, and `except BaseException:` sees everything: "
        "catch exactly `asyncio.CancelledError`, and there ask `asyncio.current_task().cancelling()`: more "
        "than 0 means the caller of stop() is being cancelled.",
        "`task.cancel()`, then `try: await task` / `except asyncio.CancelledError:` / "
        "`if asyncio.current_task().cancelling(): raise`.",
    ),
    checks=(
        Check("waits until the task has finished its clean-up", _stop_waits),
        Check("raises the error that killed the task", _stop_raises_the_tasks_error),
        Check("lets its caller's cancellation through", _stop_lets_the_callers_cancellation_through),
        Check("leaves a finished task alone", _stop_finished_task),
    ),
)


# --- 07-retry-until -------------------------------------------------------------------------------


class _Operation:
    """An async callable that fails ``failures`` times with TransientError, then returns "ok".

    ``halt`` is the check's way to end an answer that ignores its deadline or its cancellation (and
    so cannot be stopped by an exception it would swallow): from then on every call succeeds.
    """

    def __init__(self, *, failures: int = 0, latency: float = 0.75, error: BaseException | None = None,
                 hang: bool = False) -> None:
        self.failures = failures
        self.latency = latency
        self.error = error
        self.hang = hang
        self.calls = 0
        self.halt = False
        self._released = asyncio.Event()

    def stop_the_answer(self) -> None:
        self.halt = True
        self._released.set()

    async def __call__(self) -> str:
        self.calls += 1
        if self.hang and not self.halt:
            await self._released.wait()  # no answer, until the check gives up on the answer
        if self.halt:
            return "ok"
        await asyncio.sleep(self.latency)
        if self.error is not None:
            raise self.error
        if self.calls <= self.failures:
            raise TransientError("503, try again")
        return "ok"


async def _retry_succeeds(answer) -> None:
    operation = _Operation(failures=2)
    loop = asyncio.get_running_loop()
    got = await answer.retry_until(operation, deadline=30, pause=1.0)
    _not_a_coroutine(got, "retry_until(...)")
    assert got == "ok", f"The third attempt returned 'ok', and retry_until returned {got!r}."
    assert operation.calls == 3, f"Two TransientErrors then a success: expected 3 calls, got {operation.calls}."
    assert loop.time() == 4.25, (
        f"Three attempts of 0.75 s with two 1-second pauses take 4.25 s; yours took {loop.time():g} s. Pause "
        "`pause` seconds after each TransientError, and not after the success."
    )


async def _retry_other_errors(answer) -> None:
    for error in (NotFound("durian"), ValueError("bad sku")):
        operation = _Operation(error=error)
        task = asyncio.create_task(answer.retry_until(operation, deadline=30, pause=1.0))
        done, _ = await asyncio.wait({task}, timeout=60)
        if not done:
            operation.stop_the_answer()
            await asyncio.wait({task})
        outcome = None if task.cancelled() else task.exception()
        if operation.calls > 1:
            raise AssertionError(
                f"The operation raised {error!r}, which is not a TransientError, and retry_until called it "
                f"{operation.calls} times: retry only TransientError. `except Exception:` retries bugs as well."
            )
        assert isinstance(outcome, type(error)), (
            f"The operation raised {error!r}, and retry_until did not raise it"
            + (f" (it raised {outcome!r})." if outcome is not None else ".")
        )


async def _retry_deadline(answer) -> None:
    loop = asyncio.get_running_loop()
    # 0.75 s attempts and 1 s pauses: the deadline (30 s) falls in the middle of an attempt.
    for operation, what in ((_Operation(failures=10**6), "every attempt fails"),
                            (_Operation(hang=True), "the first attempt never answers")):
        start = loop.time()
        task = asyncio.create_task(answer.retry_until(operation, deadline=30, pause=1.0))
        done, _ = await asyncio.wait({task}, timeout=60)
        took = loop.time() - start
        if not done:
            operation.stop_the_answer()
            await asyncio.wait({task})
            if not task.cancelled():
                task.exception()  # retrieved: the answer is already judged
            raise AssertionError(
                f"When {what}, retry_until was still running 60 s after it started, with a deadline of 30 s. "
                "Either the deadline is not around the whole loop (attempts and pauses together), or "
                "something catches the CancelledError the deadline sends (a bare `except:`, `except "
                "BaseException:`, or `except asyncio.CancelledError:`) and turns it into one more retry."
            )
        error = None if task.cancelled() else task.exception()
        if isinstance(error, TransientError):
            raise AssertionError(
                f"When {what}, retry_until must raise TimeoutError once `deadline` seconds have passed; it "
                "raised TransientError. Put the deadline around the whole loop (`async with "
                "asyncio.timeout(deadline):`), rather than counting attempts."
            )
        if not isinstance(error, TimeoutError):
            raise AssertionError(
                f"When {what}, retry_until must raise TimeoutError at the deadline; it "
                + ("was cancelled." if task.cancelled() else
                   "returned instead." if error is None else f"raised {error!r}.")
            )
        assert abs(took - 30) < 1e-6, (
            f"When {what}, retry_until raised TimeoutError after {took:g} s; the deadline was 30 s, for "
            "the attempts and the pauses together (one `asyncio.timeout(deadline)` around the whole loop)."
        )


async def _retry_cancelled(answer) -> None:
    operation = _Operation(failures=10**6)
    task = asyncio.create_task(answer.retry_until(operation, deadline=600, pause=1.0))
    await asyncio.sleep(2.0)  # during the second attempt (0.75 s each, 1 s pauses)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    if not done:
        operation.stop_the_answer()
        await asyncio.wait({task})
        if not task.cancelled():
            task.exception()  # retrieved: the answer is already judged
        raise AssertionError(
            "retry_until was cancelled and kept on retrying: something catches the CancelledError (a bare "
            "`except:`, `except BaseException:`, or `except asyncio.CancelledError:` with a retry). "
            "Cancellation means stop now; catch only TransientError."
        )
    if not task.cancelled():
        error = task.exception()
        raise AssertionError(
            f"retry_until was cancelled, and it ended with {error!r} instead of letting the CancelledError "
            "through." if error is not None else
            "retry_until was cancelled, and it returned normally: it swallowed the CancelledError."
        )
    calls = operation.calls
    await asyncio.sleep(10)
    assert operation.calls == calls, "After the cancellation, retry_until went on calling the operation."


RETRY_UNTIL = Exercise(
    id="07-retry-until",
    title="Retry until a deadline",
    kind="code",
    points=6,
    requires=("retry_until",),
    hints=(
        "Three promises pull against each other: retry a TransientError, give up with TimeoutError when "
        "the deadline passes (whatever the attempts are doing then), and stop at once when cancelled. "
        "A deadline works by cancelling the code inside it, so whatever swallows a cancellation also "
        "breaks the deadline.",
        "Which `except` clause in your loop could catch CancelledError? A bare `except:` or `except "
        "BaseException:` does; so does catching CancelledError to try again. And is the deadline around "
        "the whole loop, or around one attempt?",
        "`async with asyncio.timeout(deadline):` around `while True:`, and inside it `try: return await "
        "operation()` / `except TransientError: await asyncio.sleep(pause)`.",
    ),
    checks=(
        Check("returns the first success, pausing after each TransientError", _retry_succeeds),
        Check("other errors are raised at once, not retried", _retry_other_errors),
        Check("gives up with TimeoutError at the deadline", _retry_deadline),
        Check("stops when cancelled", _retry_cancelled),
    ),
)


# --- 07-watcher-shutdown-tests --------------------------------------------------------------------

_WATCHER_WAIT = '''
class StockWatcher:
    """The same watcher, closed with asyncio.wait: it never catches CancelledError at all."""

    def __init__(self, client, skus, *, interval=1.0):
        if interval <= 0:
            raise ValueError(f"interval must be > 0 seconds, got {interval}")
        self._client = client
        self._skus = list(skus)
        self.interval = interval
        self.changes = asyncio.Queue()
        self.errors = 0
        self._stock = None
        self._task = None
        self._closed = False

    @property
    def task(self):
        return self._task

    def start(self):
        if self._task is not None or self._closed:
            raise RuntimeError("a StockWatcher can be started only once")
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def aclose(self):
        if self._closed:
            return
        self._closed = True
        if self._task is None:
            return
        self._task.cancel()
        # asyncio.wait never raises the task's outcome; a cancellation of our caller still propagates.
        await asyncio.wait({self._task})
        if not self._task.cancelled() and self._task.exception() is not None:
            raise self._task.exception()

    async def __aenter__(self):
        self.start()
        return self

    async def __aexit__(self, *exc_info):
        await self.aclose()

    async def _run(self):
        while True:
            try:
                products = await self._client.get_products(self._skus)
            except (TransientError, RetriesExhausted):
                self.errors += 1
            else:
                stock = {product.sku: product.stock for product in products}
                if self._stock is not None:
                    for sku, new in stock.items():
                        if new != self._stock[sku]:
                            self.changes.put_nowait(StockChange(sku, self._stock[sku], new))
                self._stock = stock
            await asyncio.sleep(self.interval)
'''

WATCHER_SHUTDOWN_TESTS = Exercise(
    id="07-watcher-shutdown-tests",
    title="Tests for a graceful shutdown",
    kind="tests",
    points=5,
    target="catalog.watcher:StockWatcher",
    hints=(
        "Each bug breaks one promise of the shutdown: the task is finished, and cancelled, when aclose() "
        "returns, even if the shutdown lands in the middle of a poll; an error that killed the task is "
        "raised; leaving `async with` by an error closes too; and a cancelled closer stays cancelled.",
        "A test that only looks at the changes cannot tell a watcher that stops from one that keeps "
        "running: look at `watcher.task` after the shutdown. A shutdown that lands between two polls cannot "
        "catch a task that swallows a cancellation during a poll: give the fake server latency. A test "
        "where nothing goes wrong cannot catch an error that is swallowed, or a clean-up that runs only on "
        "success.",
        "To test the closer's own cancellation, run `aclose()` in a task of its own, cancel that task "
        "while it waits, and expect CancelledError from it.",
    ),
    wheats=(
        Variant("reference", "the course's StockWatcher: cancel, await, and `cancelling()` to tell whose "
                "cancellation it is"),
        Variant("wait", "aclose() cancels and waits with asyncio.wait, then raises the task's error if it had "
                "one: no CancelledError is ever caught", source=_WATCHER_WAIT),
    ),
    chaffs=(
        Variant("not awaited",
                "When aclose() returns, has the polling task finished, or only been asked to stop?",
                edits=(("            await task\n", "            pass  # cancel() is enough\n"),)),
        Variant("stops quietly when cancelled mid-poll",
                "When the shutdown lands in the middle of a poll, does the task end *cancelled*, or does it "
                "swallow the CancelledError and return as if it had finished?",
                edits=(("            await self._poll()\n",
                        "            try:\n                await self._poll()\n"
                        "            except asyncio.CancelledError:\n                return  # stop quietly\n"),)),
        Variant("error swallowed",
                "When the task has died of an error (a sku that does not exist), does aclose() raise that "
                "error, or hide it?",
                edits=(("except asyncio.CancelledError:", "except BaseException:"),)),
        Variant("closed only on success",
                "When the body of `async with StockWatcher(...)` raises, is the watcher still closed?",
                edits=(("        await self.aclose()", "        if exc is None:\n            await self.aclose()"),)),
        Variant("closer's cancellation swallowed",
                "If the task that calls aclose() is itself cancelled while it waits, does it end cancelled?",
                edits=(("            if current.cancelling():\n                raise",
                        "            if current.cancelling():\n                pass"),)),
    ),
    weak_suites=(
        # Uses the watcher inside `async with` and checks the change it reports; never looks at the task.
        '''
import asyncio
import pytest
from catalog import CatalogClient, FakeCatalog, Product, StockChange, StockWatcher

@pytest.mark.looptime
async def test_reports_a_change():
    server = FakeCatalog([Product("apple", "Apple", 50, 3)])
    async with CatalogClient.for_app(server) as client:
        async with StockWatcher(client, ["apple"], interval=1.0) as watcher:
            await asyncio.sleep(0.5)  # after the first poll, which only records the levels
            await client.set_stock("apple", 9)
            async with asyncio.timeout(10):
                change = await watcher.changes.get()
    assert change == StockChange("apple", 3, 9)
''',
        # Stops the task by hand instead of through aclose().
        '''
import asyncio
import pytest
from catalog import CatalogClient, FakeCatalog, Product, StockChange, StockWatcher

@pytest.mark.looptime
async def test_polls_until_cancelled():
    server = FakeCatalog([Product("apple", "Apple", 50, 3)])
    async with CatalogClient.for_app(server) as client:
        watcher = StockWatcher(client, ["apple"], interval=1.0)
        watcher.start()
        await asyncio.sleep(2.5)
        watcher.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await watcher.task
    assert server.requests == [("GET", "/products/apple")] * 3
''',
    ),
)

EXERCISES = (STOP_TASK, RETRY_UNTIL, WATCHER_SHUTDOWN_TESTS)
