"""The ``course`` command (also ``python -m course``).

    course check NOTEBOOK [--exercise ID]   feedback on your exercise notebook, with hints
    course grade PATH...                    grade notebooks or folders of submissions
    course generate [--check]               write exercises/ from solutions/
    course list                             every exercise: id, kind, points, title
    course lab                              open the course in JupyterLab

Exit codes: 0 done (for ``check``: every exercise passes); 1 ``check`` found unsolved exercises,
or ``generate --check`` found stale notebooks; 2 bad input (not a notebook, unknown exercise id).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_UNSOLVED, EXIT_BAD_INPUT = 0, 1, 2


def _project_root() -> Path:
    """The folder holding solutions/ and exercises/: the current one, or one above it."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "solutions").is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    return here


def _grades_text(grades, *, feedback: bool) -> str:
    from course.checker.feedback import as_text

    lines = []
    for grade in grades:
        lines.append(f"{grade.path}: {grade.score:g}/{grade.max_score:g} points")
        for result in grade.results:
            if feedback:
                lines.append("")
                lines.append(as_text(result))
            else:
                note = f"  {result.problem}" if result.problem else ""
                lines.append(
                    f"  {result.exercise_id:<28} {result.score:>5g}/{result.max_score:<5g} {result.status:<8}{note}"
                )
    return "\n".join(lines)


def cmd_grade(args: argparse.Namespace, *, feedback: bool) -> int:
    from course.exercises import UnknownExercise, get
    from course.grade import grade_notebook, find_notebooks
    from course.notebooks import NotebookError

    grades = []
    try:
        if args.exercise:
            get(args.exercise)
        for path in args.paths:
            notebooks = find_notebooks(Path(path))
            if not notebooks:
                raise NotebookError(f"{path}: no notebooks found")
            for notebook in notebooks:
                grade = grade_notebook(notebook)
                if feedback:  # a learner at a terminal: the first hint for anything unsolved
                    for result in grade.results:
                        if result.status != "passed":
                            result.hint = get(result.exercise_id).hints[0]
                if args.exercise:
                    grade.results = [r for r in grade.results if r.exercise_id == args.exercise]
                grades.append(grade)
    except (NotebookError, UnknownExercise) as exc:
        print(f"course: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "json":
        print(json.dumps({"notebooks": [g.to_dict() for g in grades]}, indent=2))
    else:
        print(_grades_text(grades, feedback=feedback))
    if feedback and any(r.status != "passed" for g in grades for r in g.results):
        return EXIT_UNSOLVED
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


def cmd_lab(args: argparse.Namespace) -> int:
    from course.lab import open_lab

    return open_lab(_project_root(), extra=args.jupyter_args)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="course", description="Testing Async Python: check, grade and build the course.")
    sub = p.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("check", "feedback on an exercise notebook, with hints (exit 1 while anything is unsolved)"),
        ("grade", "grade exercise notebooks, or folders of them"),
    ):
        c = sub.add_parser(name, help=help_text)
        c.add_argument("paths", nargs="+", metavar="PATH", help="an exercise notebook, or a folder of them")
        c.add_argument("--exercise", metavar="ID", help="only this exercise")
        c.add_argument("--format", choices=("text", "json"), default="text")
    g = sub.add_parser("generate", help="write exercises/ from solutions/")
    g.add_argument("--check", action="store_true", help="only report stale exercise notebooks (exit 1 if any)")
    sub.add_parser("list", help="list every exercise")
    sub.add_parser("lab", help="open the course in JupyterLab (other options go to `jupyter lab`)")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args, extra = p.parse_known_args(argv)
    if args.command == "lab":
        args.jupyter_args = extra
    elif extra:
        p.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "check":
        return cmd_grade(args, feedback=True)
    if args.command == "grade":
        return cmd_grade(args, feedback=False)
    if args.command == "generate":
        return cmd_generate(args)
    if args.command == "list":
        return cmd_list(args)
    return cmd_lab(args)


if __name__ == "__main__":
    sys.exit(main())
