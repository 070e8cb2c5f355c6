"""Reword every learner-facing message of the checker and the grader, for test_rewording.py.

``install()`` wraps each function that builds a message for people so that it returns other words
(``reword``: a mark, then the words in reverse order, so that no sentence, prefix or phrase of the
original survives), and rewords at the two places every message ends up in, ``Finding.message`` and
``ExerciseResult.problem``, whatever built it. It also rewords the ``bug: `` prefix of a chaff's
finding in the one table (``course.limits.BUG_PREFIX``), which both the checker and the verifier read.

It runs inside the grader's supervisor process, before anything is imported there: the test writes a
``sitecustomize.py`` that calls it onto the ``PYTHONPATH`` the supervisor inherits. The supervisor's
fingerprint of the grader is taken after it, so rewording is not tampering. It runs in the test's own
process too, with ``monkeypatch`` as ``patch`` (so that it is undone), for the verdicts planning makes
there without a sandbox (a missing cell, an unreadable notebook, a missing chapter). Like
``synthetic``, it imports nothing from the tests.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from typing import Any

MARK = "[reworded] "
BUG_PREFIX = "missed or caught bug named "


def reword(text: str) -> str:
    """Other words for ``text`` (idempotent: a message may pass through several wrappers)."""
    if not isinstance(text, str) or not text or text.startswith(MARK):
        return text
    return MARK + " ".join(reversed(text.split(" ")))


class Forever:
    """``monkeypatch``'s two methods, never undone: for the supervisor, which ends after the test."""

    @staticmethod
    def setattr(target: Any, name: str, value: Any) -> None:
        setattr(target, name, value)

    @staticmethod
    def setitem(mapping: dict, key: Any, value: Any) -> None:
        mapping[key] = value


def _rebind(patch: Any, original: Callable, replacement: Callable) -> None:
    """Put ``replacement`` wherever a course module has ``original`` bound (``from x import f`` copies)."""
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "course" or name.startswith("course.")):
            continue
        for attr, value in list(vars(module).items()):
            if value is original:
                patch.setattr(module, attr, replacement)


def _returning_reworded(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func``, its result reworded: a string, or the ``message`` of a dataclass such as ``Failure``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value = func(*args, **kwargs)
        if isinstance(value, str):
            return reword(value)
        if dataclasses.is_dataclass(value) and hasattr(value, "message"):
            return dataclasses.replace(value, message=reword(value.message))
        return value

    return wrapper


def _wrap_function(patch: Any, module: Any, name: str) -> None:
    original = getattr(module, name)
    _rebind(patch, original, _returning_reworded(original))


def _reword_init(patch: Any, cls: type, field_name: str) -> None:
    original = cls.__init__

    @functools.wraps(original)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        setattr(self, field_name, reword(getattr(self, field_name)))

    patch.setattr(cls, "__init__", __init__)


def install(patch: Any = Forever) -> None:
    """Reword everything; ``patch`` (``monkeypatch``, or ``Forever``) makes each change."""
    import course.checker  # every checker module, before the grader imports them
    import course.limits
    from course.checker import answer, code_checks, diagnose, guard, hints, hygiene, learner_tests, lints, results
    from course.grade import outcomes

    # The one table: the name of a chaff's finding.
    patch.setattr(course.limits, "BUG_PREFIX", BUG_PREFIX)

    # Functions that build messages, wherever they are bound.
    for module, name in [
        (guard, "hang_advice"),
        (answer, "describe_exception"),
        (code_checks, "_advice_for"),
        (diagnose, "diagnose"),
        (learner_tests, "_wall_clock_note"),
        (learner_tests, "_wheat_verdict"),
        (outcomes, "zero"),  # every verdict of the grader's own (missing cell, stopped, forged...)
        (outcomes, "sandbox_note"),
    ]:
        _wrap_function(patch, module, name)
    patch.setattr(lints.LateBinding, "note", _returning_reworded(lints.LateBinding.note))

    # Hygiene: each mistake's message, and the scoring rule stated at its end.
    patch.setattr(hygiene, "FAILS", reword(hygiene.FAILS))
    patch.setattr(hygiene, "FREE", reword(hygiene.FREE))
    add = hygiene.Observer._add
    patch.setattr(hygiene.Observer, "_add", lambda self, message, fails_check: add(self, reword(message), fails_check))

    # Hints (``check()`` and ``course check`` show them; the grade never depends on them).
    for table in (hints.PROBLEM_HINTS, hints.RAISED_HINTS):
        for key, text in list(table.items()):
            patch.setitem(table, key, reword(text))
    patch.setattr(hints, "ANSWER_LABEL", reword(hints.ANSWER_LABEL))

    # Whatever else builds a message (an exercise's own assertions, virtual time's "still waiting",
    # the checker's problems): reworded where it is stored.
    cannot_check = results.ExerciseResult.cannot_check
    patch.setattr(results.ExerciseResult, "cannot_check",
                  lambda self, kind, problem: cannot_check(self, kind, reword(problem)))
    _reword_init(patch, results.Finding, "message")
    _reword_init(patch, results.ExerciseResult, "problem")
