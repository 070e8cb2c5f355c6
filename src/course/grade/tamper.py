"""Notice a submission that changed the grader's own code while it was being graded.

Checks call the learner's functions, so they run in the same interpreter as learner code, and that
code can reach the grader's objects: ``course.checker.check_code = lambda ...``, an exercise's checks
replaced, ``pytest`` or ``catalog`` patched. Before the learner's cell runs, the worker takes a
fingerprint of the modules that decide a result (which object every name is bound to, and the code of
every function and method); after the checks it takes it again. Any difference names what changed,
and the exercise earns nothing.

This catches patching that is still in place when the checks end. It cannot catch code written to
undo its patch before the comparison, or to edit memory below Python: docs/grading.md says so.
"""

from __future__ import annotations

import builtins
import dataclasses
import sys
import types
from typing import Any

WATCHED_PREFIXES = ("course", "catalog", "pytest", "_pytest", "pluggy", "pytest_asyncio", "looptime", "asyncio", "json")
"""Packages whose modules are fingerprinted: the grader, the code the checks use, the test runner
that decides a learner test's outcome, the event loop machinery, and the results' encoder."""

Fingerprint = dict[str, tuple[int, ...]]


def _signature(value: Any) -> tuple[int, ...]:
    if isinstance(value, types.FunctionType):
        return (id(value), id(value.__code__), id(value.__defaults__), id(value.__kwdefaults__))
    return (id(value),)


def _walk(name: str, value: Any, found: Fingerprint, depth: int, seen: set[int]) -> None:
    found[name] = _signature(value)
    if depth == 0 or id(value) in seen:  # an object bound under several names is walked once
        return
    seen.add(id(value))
    if isinstance(value, type) and value.__module__.split(".")[0] in WATCHED_PREFIXES:
        for attr, member in list(vars(value).items()):
            _walk(f"{name}.{attr}", member, found, depth - 1, seen)
    elif isinstance(value, (staticmethod, classmethod)):
        _walk(f"{name}.__func__", value.__func__, found, depth - 1, seen)
    elif isinstance(value, property):
        for part in ("fget", "fset", "fdel"):
            _walk(f"{name}.{part}", getattr(value, part), found, depth - 1, seen)
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            _walk(f"{name}[{index}]", item, found, depth - 1, seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _walk(f"{name}.{field.name}", getattr(value, field.name, None), found, depth - 1, seen)


def _watched(module_name: str) -> bool:
    top = module_name.split(".")[0]
    return top in WATCHED_PREFIXES


def fingerprint() -> Fingerprint:
    """The current fingerprint of every watched module that is imported, and of ``builtins``."""
    found: Fingerprint = {}
    seen: set[int] = set()
    for module_name, module in sorted(sys.modules.items()):
        if module is None or not _watched(module_name):
            continue
        for attr, value in list(vars(module).items()):
            _walk(f"{module_name}.{attr}", value, found, 4, seen)
    for attr, value in vars(builtins).items():
        found[f"builtins.{attr}"] = _signature(value)
    return found


def changes(before: Fingerprint, after: Fingerprint) -> list[str]:
    """Names bound or defined differently, or removed. New names are not changes: importing a
    watched module for the first time adds its names."""
    return sorted(name for name, signature in before.items() if after.get(name) != signature)
