"""Grade a *write the tests* exercise: run the learner's tests against wheats and chaffs.

One pytest session runs every test of the learner once per implementation run:

* each wheat (correct implementation) three times: in asyncio's own scheduling order and in two
  shuffled orders. A test must pass on every wheat; one that fails every time over-specifies
  behaviour the exercise leaves open (score 0), one that fails only sometimes is flaky (it earns
  nothing and is named);
* each chaff (one plausible bug) once. A chaff is caught when an eligible test fails on it, including
  by hanging until the virtual-time limit.

Eligible tests assert something (``course.checker.assertions``) and passed every wheat run. The
score is the exercise's points times the share of chaffs caught.
"""

from __future__ import annotations

import ast
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from course.checker import variants
from course.checker.assertions import asserting_tests, wall_clock_uses
from course.checker.diagnose import ORIGIN_DEPTH, Failure, diagnose
from course.checker.frozen_heap import frozen_heap
from course.checker.guard import Hang, hang_advice, run_guarded, stop_requested
from course.checker.results import ExerciseResult, Finding
from course.checker.schedule import SCHEDULE, CourseLoop
from course.exercises import Exercise
from course.exercises.model import REFERENCE
from course.limits import TESTS_SECONDS, bug_finding, exercise_score

WHEAT_SEEDS: tuple[int | None, ...] = (None, 1, 2)
"""Scheduling orders each wheat runs under: FIFO, then two seeded shuffles."""


@dataclass(frozen=True)
class Run:
    key: str
    variant: str
    wheat: bool
    seed: int | None


def plan(exercise: Exercise) -> list[Run]:
    runs = [
        Run(f"{w.name}@{'fifo' if s is None else f'shuffle{s}'}", w.name, True, s)
        for w in exercise.wheats
        for s in WHEAT_SEEDS
    ]
    runs += [Run(c.name, c.name, False, None) for c in exercise.chaffs]
    return runs


@dataclass
class SessionOutcome:
    failed: dict[tuple[str, str], Failure] = field(default_factory=dict)  # (test, run key) -> failure
    ran: set[tuple[str, str]] = field(default_factory=set)
    collection_error: str = ""


class _VariantPlugin:
    """Parametrizes every learner test over the runs and swaps the implementation in for each."""

    def __init__(self, exercise: Exercise, runs: list[Run], outcome: SessionOutcome) -> None:
        self.target = variants.resolve(exercise.target)
        self.impls = variants.implementations(exercise)
        self.bindings = variants.bindings(self.target)
        self.runs = {r.key: r for r in runs}
        self.outcome = outcome

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "_course_run" in metafunc.fixturenames:
            metafunc.parametrize("_course_run", list(self.runs), indirect=True)

    @pytest.fixture(autouse=True)
    def _course_run(self, request: pytest.FixtureRequest):
        run = self.runs[request.param]
        SCHEDULE.seed = run.seed
        with variants.swapped(
            self.target, self.impls[run.variant], vars(request.module), package_bindings=self.bindings
        ):
            yield run
        SCHEDULE.seed = None

    def pytest_asyncio_loop_factories(self, config: Any, item: Any) -> dict[str, Any]:
        return {"course": CourseLoop}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        report = yield
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "_course_run" in callspec.params:
            key = (getattr(item, "originalname", item.name), callspec.params["_course_run"])
            self.outcome.ran.add(key)
            if report.failed and key not in self.outcome.failed:
                self.outcome.failed[key] = diagnose(call.excinfo.value) if call.excinfo else Failure("failed")
        return report

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        if stop_requested():  # the guard's time limit passed: run no further test
            item.session.shouldstop = "stopped by course.check at the time limit"

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and not self.outcome.collection_error:
            self.outcome.collection_error = str(report.longrepr).strip().splitlines()[-1]


def run_session(exercise: Exercise, source: str, runs: list[Run]) -> SessionOutcome:
    """Run the learner's tests in this process, in this thread, once per run."""
    from course.notebook_setup import hypothesis_profile, pytest_args_for_cells

    outcome = SessionOutcome()
    with tempfile.TemporaryDirectory(prefix="course-tests-") as tmp:
        path = Path(tmp) / f"test_answer_{uuid.uuid4().hex[:12]}.py"
        path.write_text(source)
        args = [
            *pytest_args_for_cells(tmp),
            "-p", "no:terminal",
            "--capture=sys",
            "--import-mode=importlib",
            "--looptime",
            str(path),
        ]
        plugin = _VariantPlugin(exercise, runs, outcome)
        origin_depth = sys.get_coroutine_origin_tracking_depth()
        sys.set_coroutine_origin_tracking_depth(ORIGIN_DEPTH)  # a never-awaited call is named by its line
        try:
            # pytest collects garbage twice per session to find "unraisable" errors; frozen, the heap
            # before the session is skipped (~90 ms less each in a kernel or the grader).
            with frozen_heap(), hypothesis_profile():
                pytest.main(args, plugins=[plugin])
        except Exception as exc:  # noqa: BLE001 - pytest re-raises a collected object's error: see below
            # pytest re-raises "unraisable" exceptions (an object that failed while being garbage-
            # collected) at the end of the session, outside any test. The outcome of each test was
            # already recorded; such an error after the last test must not crash the grader.
            if not outcome.ran:
                outcome.collection_error = f"pytest stopped: {type(exc).__name__}: {exc}"
        finally:
            sys.set_coroutine_origin_tracking_depth(origin_depth)
            SCHEDULE.seed = None
            sys.modules.pop(path.stem, None)
    return outcome


def _wall_clock_note(calls: list[str]) -> str:
    names = ", ".join(f"`{c}`" for c in calls)
    if calls == ["time.sleep"]:
        return (f"uses {names}, which blocks the event loop: nothing else runs while it sleeps. "
                "Use `await asyncio.sleep(...)`.")
    return (
        f"uses the wall clock ({names}). Tests here run on virtual time (as with "
        "`@pytest.mark.looptime`): `await asyncio.sleep(1)` takes no real time, so a stopwatch cannot tell "
        "concurrent code from sequential code. Measure with the event loop's clock instead: "
        "`loop = asyncio.get_running_loop()`, then `loop.time()` before and after."
    )


def _order(run: Run) -> str:
    return "asyncio's own order" if run.seed is None else f"shuffled order {run.seed}"


def _wheat_verdict(exercise: Exercise, test: str, outcome: SessionOutcome, wheat_runs: list[Run]) -> str:
    """Why ``test`` earns nothing because of the correct versions, or "" when it passed them all."""
    for wheat in exercise.wheats:
        runs = [r for r in wheat_runs if r.variant == wheat.name]
        fails = [r for r in runs if (test, r.key) in outcome.failed]
        if not fails:
            continue
        message = outcome.failed[(test, fails[0].key)].message.rstrip(".")
        version = (
            "the course's own code" if wheat.name == REFERENCE else f"a correct version ({wheat.name}: {wheat.hint})"
        )
        if len(fails) == len(runs):
            return (
                f"fails on {version}: {message}. It earns nothing: a test must pass on every "
                "correct version of the code."
            )
        return (
            f"passes or fails depending on the order in which tasks wake up: on {version} it failed in "
            f"{len(fails)} of {len(runs)} scheduling orders ({', '.join(_order(r) for r in fails)}): "
            f"{message}. It earns nothing. Two timers due at the same instant may wake in either "
            "order; assert only what the code promises (for example, sort before comparing, or wait on "
            "an event instead of on equal sleeps)."
        )
    return ""


def score(exercise: Exercise, source: str, outcome: SessionOutcome, runs: list[Run]) -> ExerciseResult:
    result = ExerciseResult.start(exercise)
    asserting = asserting_tests(source)
    if outcome.collection_error:
        return result.cannot_check("collection", f"Your tests could not be collected: {outcome.collection_error}")
    tests = sorted({test for test, _ in outcome.ran})
    if not tests:
        return result.cannot_check(
            "no-tests", "The exercise cell defines no tests. Write functions named `test_...` that assert something.")
    for test, calls in wall_clock_uses(source).items():
        result.findings.append(Finding(test, False, _wall_clock_note(calls)))
    for test in tests:
        if not asserting.get(test, True):
            result.findings.append(Finding(
                test, False, "asserts nothing (or only constants), so it cannot catch a bug: it earns nothing."))
    eligible = [t for t in tests if asserting.get(t, True)]
    if not eligible:
        return result.cannot_check(
            "asserts-nothing",
            "None of your tests asserts anything. Add `assert` statements about what the code must do.",
        )

    wheat_runs = [r for r in runs if r.wheat]
    course_fault = next((f for (test, key), f in sorted(outcome.failed.items()) if f.blame == "course"), None)
    if course_fault is not None:
        return result.cannot_check("course-fault", (
            f"Grading stopped on a fault of the course's own, not of your tests: {course_fault.message}. "
            "Your tests were not scored. Please report this to your instructor, with your cell."
        ))
    # Each test is judged on its own: one that fails on a correct version earns nothing, and the
    # others still earn the bugs they catch.
    disqualified: set[str] = set()
    for test in eligible:
        verdict = _wheat_verdict(exercise, test, outcome, wheat_runs)
        if verdict:
            disqualified.add(test)
            result.findings.append(Finding(test, False, verdict))
    trusted = [t for t in eligible if t not in disqualified]

    caught_count = 0
    for chaff in exercise.chaffs:
        catchers = [t for t in trusted if (t, chaff.name) in outcome.failed]
        if catchers:
            caught_count += 1
            result.findings.append(Finding(bug_finding(chaff.name), True, f"caught by `{catchers[0]}`", 1.0, 1.0))
        else:
            result.findings.append(Finding(bug_finding(chaff.name), False, chaff.hint, 0.0, 1.0))
    result.score = exercise_score(exercise.points, caught_count, len(exercise.chaffs))
    return result


def check_tests(exercise: Exercise, source: str, *, in_thread: bool = False) -> ExerciseResult:
    """Score the learner's test source for ``exercise``."""
    empty = ExerciseResult.start(exercise)
    try:
        ast.parse(source)
    except SyntaxError as exc:
        return empty.cannot_check(
            "syntax", f"The exercise cell has a syntax error on line {exc.lineno}: {exc.msg}. Fix it and run the cell.")
    runs = plan(exercise)
    if not in_thread:
        return score(exercise, source, run_session(exercise, source, runs), runs)
    streams = sys.stdin, sys.stdout, sys.stderr
    finished, outcome = run_guarded(lambda: run_session(exercise, source, runs), TESTS_SECONDS)
    if not finished:
        # pytest, stopped mid-session, never restored the streams it captures: every later print of
        # the learner's kernel would vanish.
        sys.stdin, sys.stdout, sys.stderr = streams
        hang = outcome if isinstance(outcome, Hang) else Hang(TESTS_SECONDS)
        return empty.cannot_check(
            "tests-hang",
            f"Your tests were still running after {hang.seconds:g} s of real time{hang.at}. {hang_advice(hang)}",
        )
    if isinstance(outcome, BaseException):
        raise outcome
    return score(exercise, source, outcome, runs)
