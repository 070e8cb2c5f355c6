"""Turn the source of a learner's exercise cell into a namespace that checks can call.

The cell is executed fresh, on its own, both by ``check()`` in the notebook and by ``grade``: the
feedback a learner sees predicts the grade, and a result never depends on which other cells happened
to run, or in what order.
"""

from __future__ import annotations

import ast
import asyncio
import itertools
import sys
import traceback
import types
from typing import Any

CELL_FILENAME = "<exercise cell>"
_counter = itertools.count(1)


class AnswerProblem(Exception):
    """The answer cannot be checked at all; the message tells the learner what to do, ``kind`` says
    why as data (``course.checker.results.ProblemKind``)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class Answer:
    """The names an exercise cell defined; a missing name says what the learner must define."""

    def __init__(self, module: types.ModuleType, exercise_id: str) -> None:
        self._module = module
        self._exercise_id = exercise_id

    def __getattr__(self, name: str) -> Any:
        try:
            return vars(self._module)[name]
        except KeyError:
            raise AnswerProblem(
                f"The exercise cell does not define `{name}`. Define it in the cell marked "
                f"`# exercise: {self._exercise_id}`, run that cell, then check again.",
                "missing-name",
            ) from None

    @property
    def namespace(self) -> dict[str, Any]:
        return vars(self._module)


def without_cell_magic(source: str) -> str:
    """The cell's Python: a first line such as ``%%ipytest`` (IPython's, not Python's) becomes blank,
    so that every other line keeps its number in messages."""
    first, newline, rest = source.partition("\n")
    return f"{newline}{rest}" if first.lstrip().startswith("%%") else source


def load_answer(source: str, exercise_id: str) -> Answer:
    """Execute the cell source in a fresh module and return its names.

    Top-level ``await`` is allowed, as in a notebook. Errors become ``AnswerProblem`` with the line
    of the cell that failed, never a traceback through the toolkit.
    """
    try:
        code = compile(source, CELL_FILENAME, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as exc:
        raise AnswerProblem(
            f"The exercise cell has a syntax error on line {exc.lineno}: {exc.msg}. Fix it and run the cell.",
            "syntax",
        ) from None
    module = types.ModuleType(f"course_answer_{next(_counter)}")
    module.__file__ = CELL_FILENAME
    sys.modules[module.__name__] = module  # dataclasses and pickling look the module up
    try:
        result = eval(code, vars(module))  # running the learner's own cell is the point
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # noqa: BLE001 - the cell may raise anything: it is feedback
        raise AnswerProblem(
            f"Running the exercise cell raised {describe_exception(exc)}. Make the cell run without errors first.",
            "name-error" if isinstance(exc, NameError) else "cell-error",
        ) from None
    return Answer(module, exercise_id)


def describe_exception(exc: BaseException) -> str:
    """``TypeError: message (cell line 3)`` — the learner's line, not the toolkit's."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    cell_lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == CELL_FILENAME]
    return f"{text} (exercise cell, line {cell_lines[-1]})" if cell_lines else text
