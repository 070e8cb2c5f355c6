"""What the supervisor trusts of a sandbox: one record, on its own pipe, with its secret, scored as the
registry says, from a sandbox that left the grader's code as it found it.

Nothing else the sandboxed process does is read: not its output (it goes to /dev/null), not its files
(the scratch folder is deleted unread), not its exit status (an exit without a result record is
reported as such). Three pieces decide whether its one record is believed, each answering one attack:

1. **The result channel** (``Sender`` in the sandbox, ``Receiver`` in the supervisor): a pipe whose
   write end sits at a random descriptor number and is closed on ``exec`` (programs the learner starts
   do not inherit it); every record carries a secret drawn for this one process, and only the process
   that created the sender may send (not a ``fork`` of it). The supervisor accepts exactly one result
   record with the right secret; a line without it, a second result or an oversized record is forgery.
2. **The registry check** (``verified``): the supervisor recomputes the score from the findings and
   the exercise's registry entry (check descriptions and their points, chaff names) with the one
   scoring rule (``course.limits.exercise_score``); a record that claims anything else is not a result
   of the checks.
3. **The fingerprint** (``fingerprint``, ``changes``): checks call the learner's functions, so they
   run in the same interpreter as learner code, and that code can reach the grader's objects
   (``course.checker.check_code = lambda ...``, an exercise's checks replaced, ``pytest`` or
   ``catalog`` patched). Before the learner's cell runs, the worker has the supervisor's fingerprint of
   the modules that decide a result: which object every name of every module and class is bound to,
   the code of every function, and (for the course's own modules) the contents of registered objects
   such as an exercise's checks. After the checks it takes it again; any difference names what changed,
   and the exercise earns nothing. It takes about 10 ms, so it is taken in every sandbox.

What this does not give: the secret lives in the memory of a process that also runs learner code, so
code written against this grader can find it; the fingerprint cannot catch code that undoes its patch
before the comparison, or edits memory below Python. See "What the grader trusts" in docs/grading.md.
"""

from __future__ import annotations

import builtins
import dataclasses
import fcntl
import hmac
import json
import os
import secrets
import sys
import types
from dataclasses import dataclass, field
from typing import Any

from course.checker.results import ExerciseResult
from course.exercises import Exercise
from course.limits import RECORD_BYTES, bug_finding, exercise_score

# -- 1. The result channel -----------------------------------------------------------------------


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
        if len(self._buffer) > RECORD_BYTES:
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


# -- 2. The registry check -----------------------------------------------------------------------


def expected_score(exercise: Exercise, result: ExerciseResult) -> float:
    """The score the registry gives the findings ``result`` reports as passed."""
    passed = {f.name for f in result.findings if f.passed}
    if exercise.kind == "code":
        total = sum(c.points for c in exercise.checks)
        earned = sum(c.points for c in exercise.checks if c.description in passed)
    else:
        total = len(exercise.chaffs)
        earned = sum(1 for c in exercise.chaffs if bug_finding(c.name) in passed)
    return exercise_score(exercise.points, earned, total)


def verified(exercise: Exercise, data: dict) -> ExerciseResult | None:
    """The result, if it is well formed, for this exercise, and scored as the registry says; else None."""
    try:
        result = ExerciseResult.from_dict(data)
    except (TypeError, ValueError, AttributeError):
        return None
    if (result.exercise_id, result.kind, result.max_score) != (exercise.id, exercise.kind, float(exercise.points)):
        return None
    if not isinstance(result.score, (int, float)) or result.score != expected_score(exercise, result):
        return None
    return result


# -- 3. The fingerprint of the grader's own code -------------------------------------------------

WATCHED = ("course", "catalog", "pytest", "_pytest", "pluggy", "pytest_asyncio", "looptime", "asyncio", "json")
"""Packages whose modules are fingerprinted: the grader, the code the checks use, the test runner
that decides a learner test's outcome, the event loop machinery, and the results' encoder."""
DEEP = ("course",)
"""Packages whose objects are also fingerprinted inside: tuples and dataclasses (the exercise registry)."""

Entry = tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]  # names, object ids, code ids
Fingerprint = dict[str, Entry]
_FUNCTION = types.FunctionType


def _entry(namespace: dict[str, Any]) -> Entry:
    values = list(namespace.values())
    codes = tuple(id(v.__code__) if type(v) is _FUNCTION else 0 for v in values)
    return tuple(namespace), tuple(map(id, values)), codes


def _top(module_name: str) -> str:
    return module_name.partition(".")[0]


def _deep(name: str, value: Any, found: Fingerprint, depth: int) -> None:
    """Tuples and dataclass instances of the course's own modules, e.g. an exercise's checks."""
    if depth == 0:
        return
    if isinstance(value, tuple) and not isinstance(value, type):
        found[name] = _entry({f"[{i}]": item for i, item in enumerate(value)})
        for index, item in enumerate(value):
            _deep(f"{name}[{index}]", item, found, depth - 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
        found[name] = _entry(fields)
        for field_name, item in fields.items():
            _deep(f"{name}.{field_name}", item, found, depth - 1)


def fingerprint() -> Fingerprint:
    """The fingerprint of every watched module that is imported, and of ``builtins``."""
    found: Fingerprint = {"builtins": _entry(vars(builtins))}
    for module_name, module in list(sys.modules.items()):
        top = _top(module_name)
        if module is None or top not in WATCHED:
            continue
        namespace = vars(module)
        found[module_name] = _entry(namespace)
        for attr, value in list(namespace.items()):
            if isinstance(value, type) and value.__module__ == module_name:
                found[f"{module_name}.{attr}"] = _entry(dict(vars(value)))
            elif top in DEEP:
                _deep(f"{module_name}.{attr}", value, found, depth=4)
    return found


def changes(before: Fingerprint, after: Fingerprint) -> list[str]:
    """Names bound or defined differently, or removed, as ``module.name`` or ``module.Class.name``.
    New names are not changes: importing a watched module for the first time adds its names."""
    changed = []
    for container, (names, ids, codes) in before.items():
        now = after.get(container)
        if now == (names, ids, codes):
            continue
        if now is None:
            changed.append(container)
            continue
        current = {n: (i, c) for n, i, c in zip(*now, strict=True)}
        changed += [_join(container, n) for n, i, c in zip(names, ids, codes, strict=True) if current.get(n) != (i, c)]
    # Replacing an object also "changes" everything inside it: name the outermost change only.
    return sorted(c for c in set(changed) if not any(_inside(c, other) for other in changed))


def _join(container: str, name: str) -> str:
    return f"{container}{name}" if name.startswith("[") else f"{container}.{name}"


def _inside(name: str, other: str) -> bool:
    return name != other and (name.startswith(other + ".") or name.startswith(other + "["))
