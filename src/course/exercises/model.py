"""What an exercise is. Each exercise is written once, in its chapter's module in this package.

An exercise's *solution* is the cell of ``solutions/NN_*.ipynb`` that carries its marker line
(``# exercise: <id>``); the learner's notebook in ``exercises/`` is generated from it. Everything
else about the exercise lives here: its title, points, tiered hints and how it is checked.

Two kinds:

* ``code``: the learner writes async code; ``checks`` call it and assert its behaviour.
* ``tests``: the learner writes tests for ``target``; they are run against correct implementations
  (``wheats``, which every test must pass) and deliberately buggy ones (``chaffs``, each one
  plausible misconception); the score is the share of chaffs caught.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["code", "tests"]

MARKER = re.compile(r"^#\s*exercise:\s*(?P<id>\S+)\s*$", re.MULTILINE)
"""The line that ties a notebook cell to an exercise. Learners are told to keep it."""

REFERENCE = "reference"
"""The name of the variant that is the real implementation; every tests exercise has it as a wheat."""

ID_PATTERN = re.compile(r"^(?P<chapter>\d{2})-[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Check:
    """One observable behaviour of the learner's code, worth ``points``.

    ``run`` receives the learner's answer (the names the exercise cell defined) and raises
    ``AssertionError`` with a message written for the learner when the behaviour is missing. It may
    be ``async``: it then runs on a fresh event loop with virtual time, so simulated latency is free
    and elapsed time can be asserted exactly.
    """

    description: str
    run: Callable[[Any], Awaitable[None] | None]
    points: int = 1
    hint: str = ""
    """The first hint when this check is the one failing; the exercise's own tiers follow it."""
    time_scale: float = 1.0
    """Its real-time limit, as a multiple of the check limit (``course.limits.CHECK_SECONDS``, or the
    grader's ``--check-timeout``). Only for a check that does seconds of honest work with the learner's
    code, such as drawing hundreds of examples from a learner's Hypothesis strategy: on a loaded
    machine it would otherwise be stopped as if it hung."""


@dataclass(frozen=True)
class Variant:
    """An implementation of a ``tests`` exercise's target.

    Written either as ``edits`` to the target's real source, each a ``(old, new)`` pair applied once
    (a chaff is then visibly one small misconception, and stops applying loudly if the real code
    changes), or as complete ``source`` defining the target's name (an alternative correct design).
    The variant named ``reference`` is the real code itself and takes neither. ``hint`` is what a
    learner is told: for a chaff their tests missed, the misconception (never the code); for a wheat
    their tests failed on, the valid behaviour they over-specified.
    """

    name: str
    hint: str
    edits: tuple[tuple[str, str], ...] = ()
    source: str | None = None

    def __post_init__(self) -> None:
        if self.name == REFERENCE:
            if self.source is not None or self.edits:
                raise ValueError("the reference variant is the real code: give it no `edits` or `source`")
        elif (self.source is None) == (not self.edits):
            raise ValueError(f"variant {self.name!r}: give exactly one of `edits` or `source`")


@dataclass(frozen=True)
class Exercise:
    """One graded exercise. ``id`` is ``NN-slug``, NN being its chapter number."""

    id: str
    title: str
    kind: Kind
    points: int
    hints: tuple[str, ...]
    # code exercises
    requires: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    # tests exercises
    target: str = ""
    wheats: tuple[Variant, ...] = ()
    chaffs: tuple[Variant, ...] = ()
    weak_suites: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise ValueError(f"exercise {self.id!r} is malformed: " + "; ".join(problems)
                             + ' (docs/authoring.md, "Exercises")')

    def _problems(self):
        if not ID_PATTERN.match(self.id):
            yield "id must look like '01-fetch-all' (two-digit chapter, dash, lowercase slug)"
        if not self.hints:
            yield "give at least one hint"
        if self.points <= 0:
            yield "points must be positive"
        if self.kind == "code":
            if not self.checks:
                yield "a code exercise needs checks"
            if not self.requires:
                yield "a code exercise must say which names the learner defines (requires)"
        elif self.kind == "tests":
            if ":" not in self.target:
                yield "target must be 'module:name' or 'module:Class.method'"
            if not self.wheats or self.wheats[0].name != REFERENCE:
                yield f"the first wheat must be the {REFERENCE!r} variant (the real code)"
            if len(self.wheats) < 2:
                yield "a tests exercise needs at least two wheats (correct implementations)"
            if len(self.chaffs) < 4:
                yield "a tests exercise needs at least four chaffs (buggy implementations)"
            names = [v.name for v in (*self.wheats, *self.chaffs)]
            if len(set(names)) != len(names):
                yield "variant names must be unique"
        else:
            yield f"unknown kind {self.kind!r}"

    @property
    def chapter(self) -> int:
        return int(self.id[:2])
