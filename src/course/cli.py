"""The ``course`` command (also ``python -m course``).

    course check NOTEBOOK [--exercise ID]   feedback on your exercise notebook, with hints
    course grade PATH... [--format F]       grade notebooks, folders of them, or a class's submissions
    course generate [--check]               write exercises/ from solutions/
    course list                             every exercise: id, kind, points, title
    course lab                              open the course in JupyterLab (its start page)
    course progress                         every exercise: done, attempted or not started, with points
    course hint ID                          the next hint for an exercise (one more each time)

Exit codes: 0 done (for ``check``: every exercise passes; for ``grade``: every submission graded,
whatever the scores, unreadable notebooks inside folders included, as 0); 1 ``check`` found
unsolved exercises, or ``generate --check`` found stale notebooks; 2 bad input (a path that is not a
notebook or folder of them, a notebook named on the command line that cannot be graded, an unknown
exercise id, ``--format gradescope`` over several students); 3 the grading machinery itself failed
(a bug to report: the message carries the supervisor's last log lines); 130 interrupted (Ctrl-C).
docs/grading.md has more.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_UNSOLVED, EXIT_BAD_INPUT, EXIT_GRADER_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _project_root() -> Path:
    """The folder holding solutions/ and exercises/: the current one, or one above it."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "solutions").is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    return here


def _feedback_text(grades) -> str:
    from course.checker.feedback import as_text

    lines = []
    for grade in grades.notebooks:
        lines.append(f"{grade.path}: {grade.score:g}/{grade.max_score:g} points")
        for result in grade.results:
            lines += ["", as_text(result)]
    return "\n".join(lines)


def _limits(args: argparse.Namespace):
    from course.limits import Limits, MiB

    return Limits(
        check_seconds=args.check_timeout,
        tests_seconds=args.tests_timeout,
        seconds_per_exercise=args.exercise_timeout,
        memory_bytes=args.memory_mb * MiB,
        cpu_seconds=args.cpu_seconds,
        file_bytes=args.file_size_mb * MiB,
        open_files=args.open_files,
    )


def _grade(args: argparse.Namespace, *, progress: bool, limits=None):
    """Grade ``args.paths``; ``(grades, None)``, or ``(None, exit code)`` after printing why not."""
    from course.exercises import UnknownExercise, get
    from course.grade import GraderError, Limits, grade_class, shared_pool
    from course.grade.report import Progress
    from course.notebooks import NotebookError

    bar = Progress("grading") if progress else None
    try:
        if args.exercise:
            args.exercise = args.exercise.strip()
            get(args.exercise)
        jobs = getattr(args, "jobs", None)
        grades = grade_class([Path(p) for p in args.paths], limits or Limits(), parallel=jobs, only=args.exercise,
                             pool=None if jobs else shared_pool, on_progress=bar)
    except (NotebookError, UnknownExercise) as exc:
        print(f"course: {exc}", file=sys.stderr)
        return None, EXIT_BAD_INPUT
    except GraderError as exc:
        print(f"course: {exc}", file=sys.stderr)
        return None, EXIT_GRADER_FAILED
    except KeyboardInterrupt:
        print("course: interrupted; nothing was graded", file=sys.stderr)
        return None, EXIT_INTERRUPTED
    finally:
        if bar is not None:
            bar.close()
    if args.exercise and not any(r.exercise_id == args.exercise for n in grades.notebooks for r in n.results):
        held = sorted({e.id for n in grades.notebooks for e in chapter_exercises_of(n.path)})
        print(f"course: exercise {args.exercise} is not in {', '.join(str(p) for p in args.paths)}"
              + (f" (it holds: {', '.join(held)})" if held else ""), file=sys.stderr)
        return None, EXIT_BAD_INPUT
    return grades, None


def chapter_exercises_of(path: Path):
    """The exercises of the chapter a notebook's name says it is (``02_*.ipynb``); none if it says none."""
    from course.notebooks import CHAPTER_PREFIX, chapter_exercises

    match = CHAPTER_PREFIX.match(Path(path).name)
    return chapter_exercises(int(match["chapter"])) if match else ()


def cmd_check(args: argparse.Namespace) -> int:
    from course.checker.hints import failure, first_hint
    from course.exercises import get
    from course.learner_progress import record

    grades, failed = _grade(args, progress=False)
    if grades is None:
        return failed
    results = [r for n in grades.notebooks for r in n.results]
    for result in results:  # a learner at a terminal: the first hint for what failed
        result.hint = first_hint(get(result.exercise_id), result)
        record(result, None if result.status == "passed" else (failure(get(result.exercise_id), result)[0], 1))
    if args.format == "json":
        print(json.dumps({"notebooks": [g.to_dict() for g in grades.notebooks]}, indent=2))
    else:
        print(_feedback_text(grades))
    return EXIT_UNSOLVED if any(r.status != "passed" for r in results) else EXIT_OK


def cmd_grade(args: argparse.Namespace) -> int:
    from course.grade import report
    from course.grade.discovery import discover
    from course.notebooks import NotebookError

    if args.format == "gradescope":  # one student per results.json: say so before grading anyone
        try:
            count = len(discover([Path(p) for p in args.paths]))
        except NotebookError as exc:
            print(f"course: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if count != 1:
            print(f"course: {report.gradescope_problem(count)}", file=sys.stderr)
            return EXIT_BAD_INPUT
    grades, failed = _grade(args, progress=True, limits=_limits(args))
    if grades is None:
        return failed
    print(report.RENDERERS[args.format](grades))
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from course import generate

    root = _project_root()
    if args.check:
        stale = generate.stale(root)
        for path in stale:
            print(f"stale: {path.relative_to(root)} (run `course generate`)")
        return EXIT_UNSOLVED if stale else EXIT_OK
    for path in generate.write(root):
        print(f"wrote {path.relative_to(root)}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from course.exercises import all_exercises

    for e in all_exercises():
        print(f"{e.id:<28} {e.kind:<6} {e.points:>2} points  {e.title}")
    return EXIT_OK


def cmd_progress(args: argparse.Namespace) -> int:
    from course.learner_progress import report, state_path

    print(repr(report()))
    print(f"(recorded in {state_path()})")
    return EXIT_OK


def cmd_hint(args: argparse.Namespace) -> int:
    from course.learner_progress import hint

    shown = hint(args.exercise_id)
    if shown.problem:
        print(f"course: {shown.text}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(repr(shown))
    return EXIT_OK


def cmd_lab(args: argparse.Namespace) -> int:
    from course.lab import open_lab

    return open_lab(_project_root(), extra=args.jupyter_args)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="course", description="Testing Async Python: check, grade and build the course.")
    sub = p.add_subparsers(dest="command", required=True)
    check = sub.add_parser(
        "check", help="feedback on an exercise notebook, with hints (exit 1 while anything is unsolved)"
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="an exercise notebook, or a folder of them")
    check.add_argument("--exercise", metavar="ID", help="only this exercise")
    check.add_argument("--format", choices=("text", "json"), default="text")
    _grade_parser(sub)
    g = sub.add_parser("generate", help="write exercises/ from solutions/")
    g.add_argument("--check", action="store_true", help="only report stale exercise notebooks (exit 1 if any)")
    sub.add_parser("list", help="list every exercise")
    sub.add_parser("lab", help="open the course in JupyterLab (other options go to `jupyter lab`)")
    sub.add_parser("progress", help="every exercise: done, attempted or not started, with points")
    h = sub.add_parser("hint", help="the next hint for an exercise (the same tiers as check, one more each time)")
    h.add_argument("exercise_id", metavar="ID", help="the exercise, e.g. 01-forgotten-await")
    return p


def _positive(kind):  # int or float
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
        return value

    return parse


def _grade_parser(sub) -> None:  # argparse's private subparsers type
    from course.grade.report import FORMATS
    from course.limits import Limits, MiB

    d = Limits()  # every default is the table's (course.limits)
    g = sub.add_parser(
        "grade",
        help="grade exercise notebooks, folders of them, or a class (<folder>/<student>/<notebook>.ipynb)",
        description="Grade every exercise in its own sandboxed process, in parallel. Limits apply per exercise.",
    )
    g.add_argument("paths", nargs="+", metavar="PATH",
                   help="a notebook, a folder of notebooks (one submission), or a folder of student folders")
    g.add_argument("--exercise", metavar="ID", help="only this exercise")
    g.add_argument("--format", choices=FORMATS, default="text",
                   help="text (with a summary table), json, csv (one row per exercise), or gradescope "
                        "(results.json of one submission)")
    g.add_argument(
        "--jobs", type=_positive(int), default=None, metavar="N", help="sandboxes run at once (default: one per core)"
    )
    g.add_argument(
        "--check-timeout",
        type=_positive(float),
        default=d.check_seconds,
        metavar="S",
        help=f"real-time seconds for the exercise cell and for each code check (default {d.check_seconds:g})",
    )
    g.add_argument("--tests-timeout", type=_positive(float), default=d.tests_seconds, metavar="S",
                   help=f"real-time seconds for all runs of a learner's tests (default {d.tests_seconds:g})")
    g.add_argument(
        "--exercise-timeout",
        type=_positive(float),
        default=d.seconds_per_exercise,
        metavar="S",
        help=f"wall clock for one exercise's process, then it is killed (default {d.seconds_per_exercise:g})",
    )
    g.add_argument("--memory-mb", type=_positive(int), default=d.memory_bytes // MiB, metavar="MB",
                   help=f"address space per exercise (default {d.memory_bytes // MiB})")
    g.add_argument("--cpu-seconds", type=_positive(int), default=d.cpu_seconds, metavar="S",
                   help=f"CPU time per exercise (default {d.cpu_seconds})")
    g.add_argument("--file-size-mb", type=_positive(int), default=d.file_bytes // MiB, metavar="MB",
                   help=f"largest file an exercise may write (default {d.file_bytes // MiB})")
    g.add_argument("--open-files", type=_positive(int), default=d.open_files, metavar="N",
                   help=f"open file descriptors per exercise (default {d.open_files})")


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args, extra = p.parse_known_args(argv)
    if args.command == "lab":
        args.jupyter_args = extra
    elif extra:
        p.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "check":
        return cmd_check(args)
    if args.command == "grade":
        return cmd_grade(args)
    if args.command == "generate":
        return cmd_generate(args)
    if args.command == "list":
        return cmd_list(args)
    if args.command == "progress":
        return cmd_progress(args)
    if args.command == "hint":
        return cmd_hint(args)
    return cmd_lab(args)


if __name__ == "__main__":
    sys.exit(main())
