"""Alerts for the team chat: the collaborator the catalog's business logic reports to.

Three pieces, each of them something a test usually replaces:

- ``Notifier`` is the interface business logic depends on: one coroutine method,
  ``send(channel, text)``. Code that receives a ``Notifier`` as an argument can be tested with
  any object that has that method (an ``AsyncMock``, a fake that records what it was sent),
  without patching anything.
- ``WebhookNotifier`` is the real one: it POSTs each alert as JSON to a chat webhook with
  httpx, under a timeout, retrying what may pass (a 429, a 5xx, a timeout, a dropped
  connection) like ``CatalogClient`` does. It owns its ``httpx.AsyncClient`` and is an async
  context manager, so closing the notifier closes the connections.
- ``notifier_from_env()`` builds a ``WebhookNotifier`` from the ``CATALOG_ALERT_URL``
  environment variable: what a scheduled job calls. Code that calls it *by name* is the case
  where a test needs ``unittest.mock.patch``.

A webhook that refuses an alert (any other 4xx) raises ``NotifyError`` at once: sending the
same refused alert again would be refused again.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Protocol, Self

import httpx

from catalog.backoff import backoff_delays, retry
from catalog.errors import CatalogError, TransientError

ALERT_URL_VARIABLE = "CATALOG_ALERT_URL"
"""The environment variable ``notifier_from_env()`` reads the webhook's URL from."""


class NotifyError(CatalogError):
    """An alert cannot be sent, and trying again will not help: fix the URL, channel or setup.

    A ``CatalogError``, so that ``except CatalogError`` still catches every failure this package
    raises on purpose.
    """


class Notifier(Protocol):
    """What business logic needs from a notifier: one coroutine method."""

    async def send(self, channel: str, text: str) -> None:
        """Post ``text`` to the chat channel ``channel``."""
        ...  # pragma: no cover - a Protocol's method has no body to run


class WebhookNotifier:
    """Posts alerts to a chat webhook as ``{"channel": ..., "text": ...}``, with retries.

    Use it as an async context manager, so its connections are closed even on errors::

        async with WebhookNotifier(httpx.AsyncClient(), url) as notifier:
            await notifier.send("purchasing", "Pear is running low")

    ``timeout`` bounds each attempt; ``attempts`` and ``base_delay`` shape the retries (delays
    ``base_delay``, then doubling); ``sleep`` is what the retries wait with, so that tests can
    record the delays instead of waiting for them.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        *,
        timeout: float = 5.0,
        attempts: int = 3,
        base_delay: float = 0.1,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        # Validate now, so a bad setting fails where it was written, not at the first alert.
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds (the limit for each attempt), got {timeout}")
        backoff_delays(attempts, base=base_delay)  # raises ValueError on a bad attempts/base_delay
        self._http = http
        self.url = url
        self.timeout = timeout
        self.attempts = attempts
        self.base_delay = base_delay
        self._sleep = sleep

    @property
    def closed(self) -> bool:
        """True once ``aclose()`` has run (or the underlying httpx client was closed)."""
        return self._http.is_closed

    async def aclose(self) -> None:
        """Close the connections. Safe to call more than once."""
        if not self.closed:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def send(self, channel: str, text: str) -> None:
        """Post one alert. Retries transient failures; ``NotifyError`` if the webhook refuses it.

        When every attempt fails, ``RetriesExhausted`` is raised from the last failure.
        """

        async def attempt() -> None:
            try:
                # asyncio's timeout, like CatalogClient's: one deadline for the whole exchange,
                # on the event loop's clock (so tests can run it on virtual time).
                async with asyncio.timeout(self.timeout):
                    response = await self._http.post(self.url, json={"channel": channel, "text": text})
            except TimeoutError as error:
                raise TransientError(
                    f"the alert webhook gave no answer within {self.timeout}s: worth retrying"
                ) from error
            except httpx.TransportError as error:
                raise TransientError(
                    f"the alert could not be sent ({error!r}): worth retrying; "
                    "if it persists, check the webhook URL"
                ) from error
            status = response.status_code
            if status == 429 or status >= 500:
                raise TransientError(f"the alert webhook answered {status}: worth retrying")
            if response.is_error:
                raise NotifyError(
                    f"the alert webhook refused the alert with {status}: {response.text}; "
                    "check the URL and the channel, retrying will not help"
                )

        await retry(attempt, attempts=self.attempts, base=self.base_delay, sleep=self._sleep)


def notifier_from_env(
    *, timeout: float = 5.0, attempts: int = 3, base_delay: float = 0.1
) -> WebhookNotifier:
    """A ``WebhookNotifier`` for the URL in ``CATALOG_ALERT_URL``; use it with ``async with``.

    Raises ``NotifyError`` at once when the variable is unset or empty: a job that cannot alert
    anyone should fail at its start, not after it has done its work.
    """
    url = os.environ.get(ALERT_URL_VARIABLE, "")  # pragma: no mutate - unset and empty are refused alike
    if not url:
        raise NotifyError(
            f"no alert webhook is configured: set the environment variable {ALERT_URL_VARIABLE} "
            "to the chat webhook's URL"
        )
    return WebhookNotifier(
        httpx.AsyncClient(), url, timeout=timeout, attempts=attempts, base_delay=base_delay
    )
