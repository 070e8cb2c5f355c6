"""The one way a result leaves the sandbox: a pipe, records tagged with a secret, read by the supervisor.

Nothing else the sandboxed process does is read: not its output (it goes to /dev/null), not its
files (the scratch folder is deleted unread), not its exit status (an exit without a result record is
reported as such). The pipe's write end sits at a random descriptor number, is closed on ``exec``
(programs the learner starts do not inherit it), and every record carries a secret drawn for this one
process; the supervisor accepts exactly one result record with the right secret, from the sandbox's
first process, and treats anything else on the pipe as tampering.

What this does not give: the secret lives in the memory of a process that also runs learner code, so
code written against this grader can find it. See "What the grader trusts" in docs/grading.md.
"""

from __future__ import annotations

import fcntl
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

MAX_RECORD = 4 * 1024**2  # a result is a few kB; more than this on the pipe is not a result


def new_secret() -> str:
    return secrets.token_hex(16)


def move_to_random_fd(fd: int, below: int) -> int:
    """Duplicate ``fd`` to an unpredictable number in [64, below), close-on-exec; close ``fd``."""
    target = 64 + secrets.randbelow(max(1, below - 64))
    os.dup2(fd, target, inheritable=False)
    if target != fd:
        os.close(fd)
    fcntl.fcntl(target, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
    return target


class Sender:
    """The sandbox's end. Only the process that created it may send (not a ``fork`` of it)."""

    def __init__(self, fd: int, secret: str) -> None:
        self._fd, self._secret, self._pid = fd, secret, os.getpid()
        self._write, self._dumps, self._getpid = os.write, json.dumps, os.getpid  # bound before learner code runs

    def send(self, **record: Any) -> None:
        if self._getpid() != self._pid:
            return
        data = (self._dumps({"secret": self._secret, **record}) + "\n").encode()
        while data:
            data = data[self._write(self._fd, data):]


@dataclass
class Received:
    """What the supervisor made of one sandbox's pipe."""

    result: dict | None = None
    stuck: dict | None = None
    forged: list[str] = field(default_factory=list)


class Receiver:
    """The supervisor's end: parses lines as they arrive and checks every record."""

    def __init__(self, fd: int, secret: str) -> None:
        self.fd, self._secret = fd, secret
        self._buffer = b""
        self.received = Received()

    def feed(self) -> bool:
        """Read what is available; False at end of file."""
        try:
            chunk = os.read(self.fd, 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._accept(line)
        if len(self._buffer) > MAX_RECORD:
            self.received.forged.append("an oversized record")
            self._buffer = b""
        return True

    def _accept(self, line: bytes) -> None:
        received = self.received
        try:
            record = json.loads(line)
        except ValueError:
            received.forged.append("a line that is not a record")
            return
        if not isinstance(record, dict) or not hmac.compare_digest(str(record.get("secret", "")), self._secret):
            received.forged.append("a record without the secret")
        elif "result" in record and isinstance(record["result"], dict) and received.result is None:
            received.result = record["result"]
        elif "stuck" in record and isinstance(record["stuck"], dict):
            received.stuck = record["stuck"]
        else:
            received.forged.append("a second result")
