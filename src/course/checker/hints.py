"""Choose the hint for a failed check: about the mistake in front of the learner, and more specific
only while that same mistake persists.

A hint belongs to what failed. When the cell does not even run (a syntax error, a misspelled name),
the exercise's hints would answer a question the learner is not asking yet, so the hint is about that
error. Otherwise the failure's *key* is the first thing that failed (a check's description, or a bug
the tests missed); its tiers are that check's own hint, if it has one, then the exercise's hints. A
learner who fixes one thing and hits another starts again at the first tier of the new one. The last
tier of every exercise gives the answer away: it is labelled as such and never shown first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from course.checker.results import ExerciseResult
from course.exercises import Exercise

ANSWER_LABEL = "Last hint, it gives the answer away: "

PROBLEM_HINTS = {
    "syntax": "Python could not read the cell. Look at the line the message names (and the one above it): a "
              "missing colon, bracket or quote is the usual cause.",
    "name-error": "A name in your cell is not defined when it runs. Check its spelling, and import or define "
                  "it inside the exercise cell itself: the check runs that cell on its own.",
    "cell-error": "Your cell raised an error while it ran, before any check. Run the cell, read the last line "
                  "of the error, and fix that first.",
    "missing-name": "Define the function with exactly the name the exercise gives (and the same parameters), "
                    "in the exercise cell, then run the cell.",
    "no-cell": "Keep the line `# exercise: <id>` at the top of your answer cell and run that cell before "
               "checking.",
    "load-hang": "Your cell runs something at the top level that never finishes. Define functions in the cell; "
                 "do not call them there.",
    "no-tests": "pytest collects functions whose names start with `test`: write at least one `async def "
                "test_...():` in the cell.",
    "asserts-nothing": "A test catches a bug only by failing: give each test an `assert` about the result (or "
                       "`pytest.raises(...)` for an error).",
    "collection": "pytest could not import your tests: run the cell and fix the error it shows first.",
    "course-fault": "This is not a mistake of yours: tell your instructor, and go on with the next exercise.",
    "misplaced-check": "The answer cell holds your code only; `course.check(...)` goes in the cell below it.",
}

RAISED_HINTS = {
    "NameError": PROBLEM_HINTS["name-error"],
    "AttributeError": "Your code asks an object for an attribute or method it does not have: check the spelling "
                      "against the exercise text (and that you awaited the call that gives you the object).",
    "ImportError": "An import in your cell fails: check the module and the name you import from it.",
    "ModuleNotFoundError": "An import in your cell fails: check the module's name.",
}
"""Errors that say the code did not get as far as the exercise's question: a hint about the error."""


@dataclass
class HintState:
    """What each exercise's last failure was and how many times in a row it was seen."""

    last: dict[str, tuple[str, int]] = field(default_factory=dict)

    def next_hint(self, exercise: Exercise, result: ExerciseResult) -> str:
        """The hint for this result; escalates while the same failure repeats."""
        if result.status == "passed":
            self.last.pop(exercise.id, None)
            return ""
        key, tiers = failure(exercise, result)
        previous_key, times = self.last.get(exercise.id, ("", 0))
        times = times + 1 if previous_key == key else 1
        self.last[exercise.id] = (key, times)
        return tier(tiers, times)


def failure(exercise: Exercise, result: ExerciseResult) -> tuple[str, tuple[str, ...]]:
    """The key of what failed first, and its hint tiers (easiest first, the answer last)."""
    if result.problem_kind in PROBLEM_HINTS:
        return f"problem:{result.problem_kind}", (PROBLEM_HINTS[result.problem_kind],)
    first = next((f for f in result.findings if not f.passed), None)
    if first is None:
        return "problem:other", exercise.hints
    if first.raised in RAISED_HINTS:
        return f"raised:{first.raised}", (RAISED_HINTS[first.raised],)
    own = next((c.hint for c in exercise.checks if c.description == first.name and c.hint), "")
    return first.name, ((own, *exercise.hints) if own else exercise.hints)


def tier(tiers: tuple[str, ...], times: int) -> str:
    """The hint for the ``times``-th failure in a row: tier by tier, then the last one again."""
    index = min(times, len(tiers)) - 1
    if len(tiers) > 1 and index == len(tiers) - 1:
        return ANSWER_LABEL + tiers[index]
    return tiers[index]


def first_hint(exercise: Exercise, result: ExerciseResult) -> str:
    """The hint for a first attempt (``course check`` at a terminal has no memory of attempts)."""
    return HintState().next_hint(exercise, result)
