"""Grading throughput on this machine: one full submission, and a class. Prints numbers; asserts nothing.

    python scripts/benchmark_grading.py [--students 100] [--jobs N]

Generates a class in a temporary folder: each student submits every exercise notebook of the course.
Most submit the committed solutions, every tenth the untouched exercises, and some a broken variant
(cells taken from tests/grading/corpus: a syntax error, a forgotten await, a faked pass, a patched
checker, os._exit, tests that assert nothing...), one of which blocks in time.sleep and costs its
checks' full time limits, as a real class would. Then it measures, with the default limits:

1. ``course grade <one submission>`` as a fresh command: supervisor start-up included;
2. the same submission on a warm grader (what each submission costs within a class);
3. ``course grade <class>`` as a fresh command, and where the time goes per kind of exercise.

Targets (issue 3): one full submission within 2 s, a class of 100 within 2 min, on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course.grade import Limits, SandboxPool, grade_class

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "tests"))  # the corpus's submission builder, tests/grading/synthetic.py
from grading.synthetic import split_cells, write_submission  # noqa: E402 - importable only after the sys.path line above

CORPUS = ROOT / "tests" / "grading" / "corpus"
BROKEN = ("syntax-error", "name-error", "never-awaited", "fake-pass-printed", "os-exit", "patch-the-checker",
          "test-asserts-nothing", "forged-result-channel", "cells-run-out-of-order", "task-left-pending")
HANGING = "time-sleep-in-coroutine"


def make_class(folder: Path, students: int) -> list[Path]:
    solutions = sorted((ROOT / "solutions").glob("*.ipynb"))
    exercises = sorted((ROOT / "exercises").glob("*.ipynb"))
    made = []
    for n in range(students):
        student = folder / f"student{n:03d}"
        if n == students // 2:
            cells = split_cells((CORPUS / HANGING / "cells.txt").read_text())
            made.append(write_submission(student, solutions, cells))
        elif n % 10 == 0:
            made.append(write_submission(student, exercises))
        elif n % 10 in (3, 7):
            case = BROKEN[(n // 10 * 2 + (n % 10 == 7)) % len(BROKEN)]
            made.append(write_submission(student, solutions, split_cells((CORPUS / case / "cells.txt").read_text())))
        else:
            made.append(write_submission(student, solutions))
    return made


def command(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "course", "grade", *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="sandboxes run at once")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, {args.jobs} parallel sandboxes, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        folder = Path(tmp) / "class"
        submissions = make_class(folder, args.students)
        one = submissions[1]  # a complete, correct submission: every check runs

        print("\n1. one full submission (every exercise notebook), fresh `course grade` command:")
        times = [command([str(one), "--jobs", str(args.jobs)]) for _ in range(3)]
        print(f"   {min(times):.2f} s best, {statistics.median(times):.2f} s median of 3 (target <= 2 s)")

        with SandboxPool(args.jobs) as pool:
            print(f"\n2. the supervisor starts in {pool.warm_up_seconds:.2f} s of warm-up (imports not included);"
                  " then, one submission on the warm grader:")
            warm = []
            for _ in range(5):
                start = time.perf_counter()
                grades = grade_class([one], Limits(), pool=lambda: pool)
                warm.append(time.perf_counter() - start)
            exercises = len(grades.sandboxes)
            print(f"   {statistics.median(warm):.2f} s median of 5, {exercises} exercises, "
                  f"{grades.submissions[0].score:g}/{grades.submissions[0].max_score:g} points")

        print(f"\n3. a class of {args.students} submissions, fresh `course grade` command:")
        total = command([str(folder), "--jobs", str(args.jobs), "--format", "csv"])
        print(f"   {total:.1f} s in all (target <= 120 s), {total / args.students:.2f} s per submission")
        grades = grade_class([folder], Limits(), parallel=args.jobs)
        by_kind: dict[str, list[float]] = {}
        for done in grades.sandboxes:
            kind = "hanging" if done.wall > 2 else done.result.kind
            by_kind.setdefault(kind, []).append(done.cpu)
        print(f"   (again through the API: {grades.seconds:.1f} s; {len(grades.sandboxes)} sandboxes)")
        for kind, cpu in sorted(by_kind.items()):
            print(f"   {kind:>8}: {len(cpu):4d} sandboxes, CPU median {statistics.median(cpu) * 1000:.0f} ms, "
                  f"total {sum(cpu):.1f} s")
        scores = sorted(s.score for s in grades.submissions)
        print(f"   scores: min {scores[0]:g}, median {statistics.median(scores):g}, max {scores[-1]:g}")


if __name__ == "__main__":
    main()
