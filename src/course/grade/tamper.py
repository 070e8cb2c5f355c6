"""Notice a submission that changed the grader's own code while it was being graded.

Checks call the learner's functions, so they run in the same interpreter as learner code, and that
code can reach the grader's objects: ``course.checker.check_code = lambda ...``, an exercise's checks
replaced, ``pytest`` or ``catalog`` patched. Before the learner's cell runs, the worker takes a
fingerprint of the modules that decide a result: which object every name of every module and class is
bound to, the code of every function, and (for the course's own modules) the contents of registered
objects such as an exercise's checks. After the checks it takes it again. Any difference names what
changed, and the exercise earns nothing.

This catches patching that is still in place when the checks end. It cannot catch code written to
undo its patch before the comparison, or to edit memory below Python: docs/grading.md says so.
The fingerprint takes about 10 ms, so it is taken in every sandbox.
"""

from __future__ import annotations

import builtins
import dataclasses
import sys
import types
from typing import Any

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
        current = {n: (i, c) for n, i, c in zip(*now)}
        changed += [_join(container, n) for n, i, c in zip(names, ids, codes) if current.get(n) != (i, c)]
    # Replacing an object also "changes" everything inside it: name the outermost change only.
    return sorted(c for c in set(changed) if not any(_inside(c, other) for other in changed))


def _join(container: str, name: str) -> str:
    return f"{container}{name}" if name.startswith("[") else f"{container}.{name}"


def _inside(name: str, other: str) -> bool:
    return name != other and (name.startswith(other + ".") or name.startswith(other + "["))
