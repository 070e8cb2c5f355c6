"""Chapter 9, integration testing: the exercises of ``exercises/09_integration.ipynb``.

Solutions live in ``solutions/09_integration.ipynb``; this module holds everything else.

The two *write async code* exercises are checked on virtual time, like every code check: their
checks use tiny ASGI apps and an in-process httpx transport written here, never a database or a
socket (looptime would turn a wait on a thread or a socket into an instant timeout). The *write the
tests* exercise runs the learner's tests against the real service and its SQLite database, so those
tests run on real time (``@pytest.mark.looptime(False)``), which the learner-test sessions honour.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import httpx

from course.exercises.model import Check, Exercise, Variant

# --- 09-lifespan ----------------------------------------------------------------------------------


class _App:
    """A tiny ASGI app with a lifespan: its start-up and shutdown each take a second (virtual time).

    ``log`` records what happened, in order; ``problems`` what the server (the learner's code) did
    wrong by the protocol; ``returned`` is True once the app's call has ended, however it ended.
    """

    def __init__(self, *, fail: str | None = None, unsupported: bool = False) -> None:
        self.fail = fail
        self.unsupported = unsupported
        self.log: list[str] = []
        self.problems: list[str] = []
        self.returned = False
        self.scope: dict[str, Any] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            self.scope = scope
            if scope.get("type") != "lifespan":
                self.problems.append(f"the app was called with a scope of type {scope.get('type')!r}, not 'lifespan'")
                return
            if self.unsupported:
                raise RuntimeError("this app does not support the lifespan protocol")
            message = await receive()
            if message.get("type") != "lifespan.startup":
                self.problems.append(f"the app's first message was {message!r}, not {{'type': 'lifespan.startup'}}")
                return
            await asyncio.sleep(1)  # opening its database, say
            if self.fail is not None:
                await send({"type": "lifespan.startup.failed", "message": self.fail})
                return
            self.log.append("started")
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            if message.get("type") != "lifespan.shutdown":
                self.problems.append(f"after the start-up the app received {message!r}, not "
                                     "{'type': 'lifespan.shutdown'}")
                return
            await asyncio.sleep(1)  # closing its database
            self.log.append("stopped")
            await send({"type": "lifespan.shutdown.complete"})
            await asyncio.sleep(0.5)  # the last of its clean-up, after it answered
        finally:
            self.returned = True


def _manager(answer: Any, app: _App) -> Any:
    manager = answer.lifespan(app)
    if inspect.iscoroutine(manager):
        manager.close()
        raise AssertionError(
            "`lifespan(app)` returned a coroutine: it must be used as `async with lifespan(app):`. "
            "Decorate the `async def` with `@contextlib.asynccontextmanager` and `yield` where the block runs."
        )
    if not hasattr(manager, "__aenter__"):
        raise AssertionError(
            f"`lifespan(app)` returned {manager!r}, which `async with` cannot use: make it an async context "
            "manager (`@contextlib.asynccontextmanager` around an `async def` that yields once)."
        )
    return manager


def _no_problems(app: _App) -> None:
    assert not app.problems, app.problems[0] + ": that is not the lifespan protocol."


def _messages(error: BaseException) -> list[str]:
    """The messages of an error, of the errors inside it if it is a group, and of its causes."""
    found = [str(error)]
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found += _messages(inner)
    for linked in (error.__cause__, error.__context__):
        if linked is not None and linked is not error:
            found.append(str(linked))
    return found


async def _bounded(coro: Any, what: str, seconds: float = 60) -> Any:
    """Await ``coro`` for at most ``seconds`` (virtual), else fail saying ``what`` hung."""
    task = asyncio.ensure_future(coro)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        await asyncio.wait({task})
        raise AssertionError(f"{what} was still waiting {seconds:g} s later.")
    return task.result()


async def _startup_before_shutdown_after(answer: Any) -> None:
    app = _App()
    seen: list[list[str]] = []

    async def use() -> None:
        async with _manager(answer, app):
            seen.append(list(app.log))
            await asyncio.sleep(5)  # the tests run
            seen.append(list(app.log))

    await _bounded(use(), "`async with lifespan(app):` with a correct app")
    _no_problems(app)
    assert seen[0] == ["started"], (
        "The block began before the app's start-up had finished: send {'type': 'lifespan.startup'} and "
        "wait for the app to answer {'type': 'lifespan.startup.complete'} before you `yield`."
    )
    assert seen[1] == ["started"], "The app was shut down while the block was still running."
    assert app.log == ["started", "stopped"], (
        "When the block ended, the app's shutdown had not finished: send {'type': 'lifespan.shutdown'} and "
        "wait for {'type': 'lifespan.shutdown.complete'} before leaving `async with`."
    )


async def _shutdown_when_the_block_raises(answer: Any) -> None:
    app = _App()

    async def use() -> None:
        async with _manager(answer, app):
            await asyncio.sleep(1)
            raise ValueError("a test failed")

    try:
        await _bounded(use(), "`async with lifespan(app):` whose block raised")
    except ValueError:
        pass
    except BaseExceptionGroup as group:
        raise AssertionError(
            f"The block raised ValueError('a test failed'), and `async with lifespan(app):` raised "
            f"{type(group).__name__}({str(group)!r}) instead: a `yield` inside `async with asyncio.TaskGroup()` "
            "wraps the block's own error, so a failing test's AssertionError reaches pytest disguised. Run the "
            "app as a plain task and await it yourself."
        ) from None
    else:
        raise AssertionError(
            "The block raised ValueError('a test failed'), and `async with lifespan(app):` did not let it "
            "through: the test's own error must reach pytest, not be swallowed."
        )
    _no_problems(app)
    assert app.log == ["started", "stopped"], (
        "The block raised, and the app was never shut down: put the `yield` inside `try:` and the "
        "shutdown in its `finally:`, so that a failing test still closes the app (its database, its tasks)."
    )


async def _startup_failed(answer: Any) -> None:
    app = _App(fail="cannot open the database: disk full")
    ran: list[bool] = []

    async def use() -> None:
        async with _manager(answer, app):
            ran.append(True)

    try:
        await _bounded(use(), "When the app answered {'type': 'lifespan.startup.failed'}, `async with lifespan(app):`")
    except AssertionError as error:
        if "still waiting" in str(error):
            raise AssertionError(
                f"{error} The app answered {{'type': 'lifespan.startup.failed', 'message': ...}}, which is "
                "final: no 'complete' will ever come. Check the type of the app's answer and raise."
            ) from None
        raise
    except Exception as error:  # noqa: BLE001 - any error is right, if it carries the app's message
        assert "disk full" in " ".join(_messages(error)), (
            f"The app's start-up failed with the message 'cannot open the database: disk full', and "
            f"lifespan(app) raised {type(error).__name__}({str(error)!r}): put the app's message in the "
            "error, it is the only clue the test's reader gets."
        )
    else:
        raise AssertionError(
            "The app answered {'type': 'lifespan.startup.failed'}, and `async with lifespan(app):` ran "
            "its block anyway: a failed start-up must raise an error (with the app's message), so that "
            "no test runs against an app that is not there."
            if ran else
            "The app's start-up failed, and `async with lifespan(app):` neither ran its block nor raised."
        )
    assert not ran, "The block ran, although the app's start-up had failed."


async def _app_that_raises(answer: Any) -> None:
    app = _App(unsupported=True)
    ran: list[bool] = []

    async def use() -> None:
        async with _manager(answer, app):
            ran.append(True)

    try:
        await _bounded(use(), "When the app raised instead of answering the start-up, `async with lifespan(app):`")
    except AssertionError as error:
        if "still waiting" in str(error):
            raise AssertionError(
                f"{error} The app's call had already ended with RuntimeError: no answer will ever come. "
                "Wait for the app's answer *or* the end of the app's task (`asyncio.wait(..., "
                "return_when=asyncio.FIRST_COMPLETED)`), whichever comes first."
            ) from None
        raise
    except Exception as error:  # noqa: BLE001 - raising is the expected outcome, once the app was called
        assert app.scope is not None, (
            f"lifespan(app) raised {type(error).__name__}({str(error)!r}) without ever calling the app: "
            "start the app's task first, and raise when that task ends without answering."
        )
    else:
        raise AssertionError(
            "The app raised RuntimeError instead of answering the start-up (it does not support "
            "lifespan), and `async with lifespan(app):` ran its block as if it had started: raise an "
            "error instead (the app's own, or one that says the app does not support lifespan)."
        )
    assert not ran, "The block ran, although the app never started."


async def _nothing_left_running(answer: Any) -> None:
    app = _App()

    async def use() -> None:
        async with _manager(answer, app):
            await asyncio.sleep(1)

    await _bounded(use(), "`async with lifespan(app):` with a correct app")
    _no_problems(app)
    assert app.returned, (
        "When `async with lifespan(app):` ended, the app's call was still running (it had half a second "
        "of clean-up left after it answered the shutdown): await the task that runs the app before you "
        "leave, so that nothing of the app outlives the block."
    )


LIFESPAN = Exercise(
    id="09-lifespan",
    title="Run an app's lifespan around a block",
    kind="code",
    points=5,
    requires=("lifespan",),
    hints=(
        "The lifespan is a conversation with the app, which runs as a task of its own for as long as the "
        "block: you send 'lifespan.startup' and wait for its answer before the block, you send "
        "'lifespan.shutdown' and wait for its answer after it, however the block ended. Every wait must "
        "also end if the app's task ends without answering.",
        "Three ways to hang or leak: yielding before the app answered 'startup.complete', a shutdown "
        "that only runs when the block succeeds, and a wait for an answer from an app whose task has "
        "already died. A TaskGroup around the `yield` waits for the app, but it also wraps a failing "
        "test's own error in an ExceptionGroup. Give the app `receive` and `send` callables backed by two "
        "`asyncio.Queue`s, and await the app's task at the end.",
        "`asyncio.wait({answer_getter, app_task}, return_when=asyncio.FIRST_COMPLETED)` tells you which "
        "came first; `try: yield` / `finally:` sends the shutdown; 'lifespan.startup.failed' carries a "
        "'message' to raise with.",
    ),
    checks=(
        Check("starts the app before the block and shuts it down after", _startup_before_shutdown_after),
        Check("shuts the app down when the block raises", _shutdown_when_the_block_raises),
        Check("a failed start-up raises an error with the app's message", _startup_failed),
        Check("an app that raises instead of starting raises, and does not hang", _app_that_raises),
        Check("leaves nothing of the app running after the block", _nothing_left_running),
    ),
)


# --- 09-wait-until-serving ------------------------------------------------------------------------


class _Booting(httpx.AsyncBaseTransport):
    """A server as a client sees it while it starts: connections refused until ``up``, then 503
    until ``ready``, then 200 from /health. ``hang``: it accepts connections but never answers
    (honouring the request's own read timeout, as httpx's real transport does).

    ``halt()`` is the check's way to end an answer that ignores its deadline (and would swallow a
    cancellation): from then on every request answers 200 at once.
    """

    def __init__(self, *, up: float = 0.0, ready: float = 0.0, hang: bool = False) -> None:
        self.up = up
        self.ready = ready
        self.hang = hang
        self.times: list[float] = []
        self.halted = False
        self._released = asyncio.Event()

    def halt(self) -> None:
        self.halted = True
        self._released.set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        now = asyncio.get_running_loop().time()
        if not self.halted:
            self.times.append(now)
        if self.hang and not self.halted:
            read = (request.extensions.get("timeout") or {}).get("read")
            try:
                async with asyncio.timeout(read):
                    await self._released.wait()
            except TimeoutError:
                raise httpx.ReadTimeout("timed out", request=request) from None
        if self.halted:
            return httpx.Response(200, json={"status": "ok"})
        if now < self.up:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if now < self.ready:
            return httpx.Response(503, json={"status": "starting"})
        if request.url.path != "/health":
            return httpx.Response(404, json={"error": "not found"})
        return httpx.Response(200, json={"status": "ok"})


def _described(error: BaseException) -> str:
    """The error, in words (a refused connection is named so, not by its class: the grader would
    take the class name for its own sandbox's refusal)."""
    if isinstance(error, httpx.ConnectError):
        return f"httpx's error for a refused connection ({str(error)!r})"
    return f"{type(error).__name__}({str(error)!r})"


def _http(transport: _Booting) -> httpx.AsyncClient:
    # A generous read timeout, as a real client might have: waiting only for it is too long.
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000", timeout=30)


URL = "http://127.0.0.1:8000/health"


async def _poll(answer: Any, transport: _Booting, *, deadline: float, interval: float) -> tuple[Any, float]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with _http(transport) as http:
        task = asyncio.ensure_future(answer.wait_until_serving(http, URL, deadline=deadline, interval=interval))
        try:
            done, _ = await asyncio.wait({task}, timeout=60)
        except BaseException:  # the check itself is stopped (a loop that spins): end the answer first
            transport.halt()
            task.cancel()
            await asyncio.wait({task})
            if not task.cancelled():
                task.exception()  # retrieved: the answer is already judged
            raise
        took = loop.time() - start
        if not done:
            transport.halt()  # the answer gets its 200 now, whatever it swallows
            await asyncio.wait({task}, timeout=60)
            if not task.done():
                task.cancel()
                await asyncio.wait({task})
            if not task.cancelled():
                task.exception()  # retrieved: the answer is already judged
            return _STILL_WAITING, took
        return task, took


_STILL_WAITING = object()


def _not_a_bug_of_its_own(error: BaseException | None, situation: str) -> None:
    """Fail with the learner's own error when it is neither httpx's nor a timeout (a typo, a
    forgotten ``await``): the check's usual message about the server would mislead then."""
    if error is not None and not isinstance(error, httpx.HTTPError | TimeoutError):
        raise AssertionError(f"{situation}, wait_until_serving raised {_described(error)}: a mistake in "
                             "the code itself, not about the server.")


async def _already_up(answer: Any) -> None:
    transport = _Booting()
    task, took = await _poll(answer, transport, deadline=10, interval=0.5)
    assert task is not _STILL_WAITING, (
        "The server answered 200 at once, and wait_until_serving was still waiting 60 s later."
    )
    _not_a_bug_of_its_own(task.exception(), "When the server answered 200 at once")
    if task.exception() is not None:
        error = task.exception()
        raise AssertionError(
            f"The server answered 200 at once, and wait_until_serving raised {_described(error)}."
        )
    response = task.result()
    if inspect.iscoroutine(response):
        response.close()
        raise AssertionError(
            "wait_until_serving returned a coroutine object: a call to `client.get(...)` is missing its `await`."
        )
    assert isinstance(response, httpx.Response) and response.status_code == 200, (
        f"wait_until_serving should return the server's 200 response; it returned {response!r}."
    )
    assert took == 0 and len(transport.times) == 1, (
        f"The server was up from the start, and wait_until_serving took {took:g} s and {len(transport.times)} "
        "request(s): ask first, and pause only after an answer that is not yet 200 (no fixed sleep before "
        "the first try)."
    )


async def _keeps_trying(answer: Any) -> None:
    transport = _Booting(up=2.0, ready=3.0)
    task, took = await _poll(answer, transport, deadline=10, interval=0.5)
    assert task is not _STILL_WAITING, (
        "The server refused connections for 2 s, answered 503 for 1 s more, then 200; wait_until_serving "
        "was still waiting 60 s later: is the loop's exit on a 200 answer?"
    )
    _not_a_bug_of_its_own(task.exception(), "While the server was starting")
    if task.exception() is not None:
        error = task.exception()
        raise AssertionError(
            f"While the server was starting (connections refused for 2 s, then 503 for 1 s), "
            f"wait_until_serving raised {_described(error)} instead of trying again: a refused connection "
            "(an httpx.TransportError) and a 503 both mean 'not yet'."
        )
    response = task.result()
    assert isinstance(response, httpx.Response) and response.status_code == 200, (
        "The server answered 503 while it started: a 503 means 'not yet', not 'serving'. Keep polling until "
        f"it answers 200; wait_until_serving returned {response!r}"
        + (f" (status {response.status_code})." if isinstance(response, httpx.Response) else ".")
    )
    assert 3.0 <= took <= 3.5, (
        f"The server answered 200 from 3 s on and wait_until_serving, polling every 0.5 s, returned after "
        f"{took:g} s: it should return at the first poll that gets the 200."
    )
    gaps = [b - a for a, b in zip(transport.times, transport.times[1:], strict=False)]
    assert len(transport.times) <= 8 and min(gaps, default=0.5) >= 0.5 - 1e-9, (
        f"wait_until_serving sent {len(transport.times)} requests in {took:g} s with interval=0.5: pause "
        "`interval` seconds between two tries, or a starting server is flooded with requests."
    )


async def _gives_up(answer: Any) -> None:
    transport = _Booting(up=10**6)
    task, took = await _poll(answer, transport, deadline=3, interval=0.5)
    assert task is not _STILL_WAITING, (
        "The server never came up, and wait_until_serving (deadline=3) was still trying 60 s later: a "
        "readiness wait must be bounded. Put the whole polling loop inside `async with asyncio.timeout(deadline):`."
    )
    error = task.exception()
    _not_a_bug_of_its_own(error, "While the server refused every connection")
    assert isinstance(error, TimeoutError), (
        "The server never came up: after `deadline` seconds wait_until_serving must raise TimeoutError; it "
        + ("returned normally." if error is None else f"raised {_described(error)}.")
    )
    assert 3 <= took <= 3.5, (
        f"wait_until_serving raised TimeoutError after {took:g} s; the deadline was 3 s."
    )


async def _hanging_request(answer: Any) -> None:
    transport = _Booting(hang=True)
    task, took = await _poll(answer, transport, deadline=3, interval=0.5)
    assert task is not _STILL_WAITING, (
        "The server accepted the connection and never answered, and wait_until_serving (deadline=3) was still "
        "waiting 60 s later. Either the deadline counts only the pauses, not a request in flight (put "
        "`asyncio.timeout(deadline)` around the whole loop, requests included), or something catches the "
        "CancelledError the deadline sends (a bare `except:` or `except BaseException:`) and tries again."
    )
    error = task.exception()
    _not_a_bug_of_its_own(error, "While the server accepted connections and never answered")
    assert isinstance(error, TimeoutError), (
        "The server never answered: at the deadline wait_until_serving must raise TimeoutError; it "
        + ("returned normally." if error is None else f"raised {_described(error)}.")
    )
    assert took <= 3.5, (
        f"The server never answered, and wait_until_serving gave up after {took:g} s, not at its 3 s deadline: "
        "the client's own 30 s read timeout is not your deadline. Bound the requests too."
    )


WAIT_UNTIL_SERVING = Exercise(
    id="09-wait-until-serving",
    title="Wait until a server is serving",
    kind="code",
    points=4,
    requires=("wait_until_serving",),
    hints=(
        "A server that is starting says 'not yet' in two ways: the connection is refused, or it answers "
        "an error status such as 503. Neither is a reason to stop trying; only the 200 is, or the deadline, "
        "which covers everything: the pauses and a request that never comes back.",
        "A fixed sleep before the first try is either too long or too short, a loop without a pause floods "
        "the server, and a loop that checks the clock only between requests cannot stop a request that "
        "hangs. A bare `except:` also catches the cancellation the deadline sends.",
        "`async with asyncio.timeout(deadline):` around `while True:`; inside it, `try: response = await "
        "client.get(url)` / `except httpx.TransportError:`, return on 200, else `await asyncio.sleep(interval)`.",
    ),
    checks=(
        Check("returns at once when the server is already serving", _already_up),
        Check("keeps trying through refused connections and 503s", _keeps_trying),
        Check("raises TimeoutError at the deadline", _gives_up),
        Check("the deadline also stops a request that never answers", _hanging_request),
    ),
)


# --- 09-service-tests -----------------------------------------------------------------------------

_STORE_IN_PYTHON = """
class ProductStore:
    \"\"\"The same store, another way: each write in an explicit transaction, the sorting in Python.\"\"\"

    def __init__(self, connection):
        self.connection = connection

    async def create_schema(self):
        await self.connection.execute(_SCHEMA)

    async def add(self, products):
        await self.connection.execute("BEGIN")
        try:
            for p in products:
                await self.connection.execute(
                    "INSERT INTO products (sku, name, price_cents, stock) VALUES (?, ?, ?, ?)",
                    (p.sku, p.name, p.price_cents, p.stock),
                )
        except BaseException:
            await self.connection.execute("ROLLBACK")
            raise
        await self.connection.execute("COMMIT")

    async def get(self, sku):
        cursor = await self.connection.execute(
            "SELECT sku, name, price_cents, stock FROM products WHERE sku = ?", (sku,))
        rows = await cursor.fetchall()
        await cursor.close()
        return Product(*rows[0]) if rows else None

    async def all(self):
        cursor = await self.connection.execute("SELECT sku, name, price_cents, stock FROM products")
        rows = await cursor.fetchall()
        await cursor.close()
        return sorted((Product(*row) for row in rows), key=lambda product: product.sku)

    async def set_stock(self, sku, stock):
        await self.connection.execute("BEGIN IMMEDIATE")
        try:
            cursor = await self.connection.execute("UPDATE products SET stock = ? WHERE sku = ?", (stock, sku))
            changed = cursor.rowcount
            await cursor.close()
        except BaseException:
            await self.connection.execute("ROLLBACK")
            raise
        await self.connection.execute("COMMIT")
        return await self.get(sku) if changed else None
"""

SERVICE_TESTS = Exercise(
    id="09-service-tests",
    title="Integration tests for the catalog service",
    kind="tests",
    points=4,
    target="catalog.service:ProductStore",
    hints=(
        "Each bug breaks one promise of the service's HTTP contract, and each is invisible to a test that "
        "only reads back what it just wrote, on a product that had no stock: set a stock where the old "
        "value is not 0, read it back with a *second* request, and list a catalog that was not inserted "
        "in sku order and has a product out of stock.",
        "The response to a PUT is what the code meant to do; a later GET is what the database kept. A "
        "list test that inserts its products already sorted, or all in stock, cannot see a list that is "
        "not sorted or that leaves products out.",
        "After `await client.set_stock(\"apple\", 9)` on an apple that had 3, assert "
        "`(await client.get_product(\"apple\")).stock == 9`; for the list, GET /products with the "
        "`http` fixture and compare the skus with the sorted skus of every product you inserted.",
    ),
    wheats=(
        Variant("reference", "the course's ProductStore: one statement per operation, UPDATE ... RETURNING, "
                "ORDER BY sku"),
        Variant("in python", "every write in an explicit BEGIN/COMMIT, the update read back with a second "
                "SELECT, the list sorted in Python", source=_STORE_IN_PYTHON),
    ),
    chaffs=(
        Variant("adds instead of setting",
                "When the stock of a product that has 3 is set to 9, is it 9 afterwards, or 12?",
                edits=(("SET stock = ? WHERE", "SET stock = stock + ? WHERE"),)),
        Variant("never committed",
                "After a PUT, does a *later* GET see the new stock, or only the PUT's own response? A "
                "write that is never committed looks right in its own answer.",
                edits=(("        async with self.connection.execute(query, (stock, sku)) as cursor:\n"
                        "            row = await cursor.fetchone()\n",
                        "        await self.connection.execute(\"BEGIN\")\n"
                        "        async with self.connection.execute(query, (stock, sku)) as cursor:\n"
                        "            row = await cursor.fetchone()\n"
                        "        await self.connection.execute(\"ROLLBACK\")  # meant: COMMIT\n"),)),
        Variant("list not sorted",
                "Is GET /products sorted by sku when the products were inserted in another order?",
                edits=((" FROM products ORDER BY sku", " FROM products"),)),
        Variant("list leaves out what is sold out",
                "Does GET /products list a product that is out of stock?",
                edits=((" FROM products ORDER BY sku", " FROM products WHERE stock > 0 ORDER BY sku"),)),
    ),
    weak_suites=(
        # Reads back only what it just wrote, on a product that had no stock; lists a sorted shelf.
        """
import httpx
import pytest

from catalog import CatalogClient, NotFound, Product
from catalog.service import create_app

SHELF = [Product("apple", "Apple", 50, 3), Product("bread", "Bread", 250, 0)]


@pytest.fixture
async def service():
    app = create_app(products=SHELF)
    async with app.router.lifespan_context(app):
        yield app


@pytest.mark.looptime(False)
async def test_restock_answers_the_new_level(service):
    async with CatalogClient.for_app(service) as client:
        assert (await client.set_stock("bread", 5)).stock == 5


@pytest.mark.looptime(False)
async def test_an_unknown_sku_is_not_found(service):
    async with CatalogClient.for_app(service) as client:
        with pytest.raises(NotFound):
            await client.get_product("durian")


@pytest.mark.looptime(False)
async def test_the_list_has_the_apple(service):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service), base_url="http://catalog.test") as http:
        response = await http.get("/products")
    assert "apple" in [product["sku"] for product in response.json()]
""",
    ),
)

EXERCISES = (LIFESPAN, WAIT_UNTIL_SERVING, SERVICE_TESTS)
