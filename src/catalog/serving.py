"""Run an ASGI app behind a real uvicorn server on 127.0.0.1, for integration tests.

``async with serve(app) as base_url:`` starts uvicorn, waits until ``GET /health`` answers 200, yields
``http://127.0.0.1:<port>``, and on exit shuts the server down and waits until it has stopped.

Design choices, and why:

- **A free port chosen at run time, with no race.** ``serve`` binds a socket to port 0 itself (the
  kernel picks a free port), starts listening, and hands that very socket to uvicorn. Asking for a
  free port, closing it and telling the server to bind it later leaves a gap in which another
  process can take it.
- **uvicorn in a thread of this process, not a subprocess.** A test can then pass the app object
  itself: seeded with products, pointed at a temporary database, and observable afterwards
  (``app.state``: e.g. that a WebSocket subscriber was removed when its client left). A subprocess
  could only import an app by name, with no arguments. The thread runs its own event loop
  (``asyncio.run``), so the server never shares the test's loop: requests really cross a socket,
  and a call that blocks the server's loop stalls the server, as it would in production. "Nothing
  left behind" is proven by joining the thread (``serve`` raises if it did not stop) and by the
  socket being closed; there is no process to leak.
- **Real time only.** Readiness is polled with a bounded deadline and shutdown is awaited; nothing
  sleeps for a fixed time. Do not run this under virtual time (looptime): waiting on a socket
  while a timer is pending makes looptime jump the clock, so every timeout would expire at once.
- **Quiet.** uvicorn's log configuration is not applied (``log_config=None``) and the access log is
  off, so a passing test prints nothing; an error the server logs still reaches stderr, where it
  belongs.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn

from catalog._asgi import ASGIApp

HOST = "127.0.0.1"


@asynccontextmanager
async def serve(
    app: ASGIApp, *, health: str = "/health", startup_timeout: float = 10.0, shutdown_timeout: float = 10.0
) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 and a free port; yield the base URL once ``health`` answers 200.

    Raises ``RuntimeError`` if the server stops during start-up (e.g. its lifespan failed) or is not
    ready within ``startup_timeout`` seconds, and if it has not stopped ``shutdown_timeout`` seconds
    after being asked to.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((HOST, 0))
        listener.listen()
        port = listener.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                lifespan="on",  # a failing start-up stops the server instead of being ignored
                loop="asyncio",
                http="h11",
                ws="websockets-sansio",
                log_config=None,
                access_log=False,
            )
        )
        thread = threading.Thread(target=_run, args=(server, listener), name=f"uvicorn:{port}")
        thread.start()
        try:
            base_url = f"http://{HOST}:{port}"
            await _wait_until_ready(base_url + health, thread, startup_timeout)
            yield base_url
        finally:
            server.should_exit = True
            await asyncio.to_thread(thread.join, shutdown_timeout)
            if thread.is_alive():  # pragma: no cover - a server that ignores should_exit
                server.force_exit = True
                raise RuntimeError(f"the server on port {port} did not stop within {shutdown_timeout}s")
    finally:
        listener.close()


def _run(server: uvicorn.Server, listener: socket.socket) -> None:
    # uvicorn exits with SystemExit when the app's start-up fails, after logging why; in a thread that
    # exit would only end the thread anyway, and _wait_until_ready reports it to the test.
    with contextlib.suppress(SystemExit):
        server.run(sockets=[listener])


async def _wait_until_ready(url: str, thread: threading.Thread, within: float) -> None:
    """Poll ``url`` until it answers 200, the server thread ends, or ``within`` seconds pass."""
    try:
        async with asyncio.timeout(within), httpx.AsyncClient() as http:
            while thread.is_alive():
                # A transport error (e.g. no answer while the server is dying) means "not ready yet";
                # the loop condition then tells a dead server from a slow one.
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(url, timeout=min(1.0, within))).status_code == 200:
                        return
                await asyncio.sleep(0.01)  # pragma: no mutate - how often to ask, not how long to wait
    except TimeoutError:
        raise RuntimeError(f"the server did not answer 200 at {url} within {within}s") from None
    raise RuntimeError(
        f"the server stopped during start-up, before {url} answered 200: did the app's lifespan fail? "
        "(uvicorn logged the reason)"
    )
