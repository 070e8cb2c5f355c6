#!/usr/bin/env python3
"""A small, dependency-free mutation tester for the ``catalog`` package.

Coverage says which lines the tests *ran*; mutation testing asks whether the tests would
*notice* if a line were wrong. For each small change ("mutant") of src/catalog/*.py -- a
flipped comparison, ``+`` for ``-``, ``n`` for ``n + 1``, ``and`` for ``or``, a deleted
statement, a ``return None`` -- the catalog test suite runs against the mutated code. A
failing suite *kills* the mutant; a passing one lets it *survive*, which points at a
behaviour no test pins down.

Some mutants cannot be killed because they do not change behaviour ("equivalent mutants",
e.g. a sentinel constant whose exact value does not matter). They are listed in
``EQUIVALENT`` with a one-line reason, reported separately, and do not fail the run.

The real files are never modified: each worker copies src/ to a temporary directory,
writes the mutant there, and runs pytest with that copy first on PYTHONPATH.

Usage (from anywhere):
    python scripts/mutation_check.py                  # every mutant of every module
    python scripts/mutation_check.py --module retry   # one module
    python scripts/mutation_check.py --max 20         # the first 20 mutants only
    python scripts/mutation_check.py --jobs 4         # parallel pytest runs

Exit status: 0 if every mutant was killed or is a known equivalent, 1 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "catalog"
# The catalog suite, stopping at the first failure: one failure is enough to kill.
# `-o addopts=` drops the notebook options; `-p no:nbval` skips importing the notebook
# plugin at all, which otherwise costs more start-up time than the whole suite takes to run.
PYTEST = [
    "-m", "pytest", "tests/catalog", "-x", "-q",
    "-p", "no:cacheprovider", "-o", "addopts=", "-p", "no:nbval",
]

# (module, the original source line stripped, mutation label) -> why it is equivalent.
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("fake_server.py", "_HANG: Final = 0", "0 -> 1"):
        "any value that fail_next() refuses as a status (outside 400-599) works as the marker",
    ("fake_server.py", "@dataclass(frozen=True)", "True -> False"):
        "_Response is private and never mutated; frozen only states the intent",
    ("limits.py", 'T = TypeVar("T")', "statement -> `pass`"):
        "T appears only in annotations, which `from __future__ import annotations` never runs",
    ("backoff.py", 'T = TypeVar("T")', "statement -> `pass`"):
        "T appears only in annotations, which `from __future__ import annotations` never runs",
    ("report.py", "return dict(zip(unique, prices, strict=True))", "True -> False"):
        "gather_limited returns one result per operation, so the lengths always match",
    ("client.py", "class ClientOptions(TypedDict, total=False):", "False -> True"):
        "a TypedDict's totality matters only to type checkers; nothing reads it at runtime",
}


@dataclass(frozen=True)
class Mutant:
    module: str  # file name in src/catalog, e.g. "backoff.py"
    line: int
    label: str  # what changed, e.g. "`<` -> `<=`"
    node_index: int  # position of the mutated node in ast.walk() order
    variant: int  # which of the node's mutations

    @property
    def where(self) -> str:
        return f"{self.module}:{self.line}"


# --- the mutation operators ----------------------------------------------------------------

COMPARISONS: dict[type[ast.cmpop], tuple[type[ast.cmpop], ...]] = {
    # A boundary shift and a negation each: the first needs an edge-case test to die.
    ast.Lt: (ast.LtE, ast.GtE),
    ast.LtE: (ast.Lt, ast.Gt),
    ast.Gt: (ast.GtE, ast.LtE),
    ast.GtE: (ast.Gt, ast.Lt),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
}
BINARY: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
}
SYMBOLS: dict[type[ast.AST], str] = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
    ast.And: "and", ast.Or: "or",
}
# Statements that may be replaced by `pass`: assignments, bare calls, and `raise`.
DELETABLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Raise)

# A mutation rewrites one node in place: (label, apply).
Mutation = tuple[str, Callable[[ast.AST], None]]


def mutations_of(node: ast.AST) -> list[Mutation]:
    """Every mutation that applies to ``node``, in a fixed order."""
    found: list[Mutation] = []
    if isinstance(node, ast.Compare):
        for position, op in enumerate(node.ops):
            for replacement in COMPARISONS.get(type(op), ()):
                found.append((
                    f"`{SYMBOLS[type(op)]}` -> `{SYMBOLS[replacement]}`",
                    _set_compare(position, replacement),
                ))
    elif isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        operator = BINARY[type(node.op)]
        found.append((
            f"`{SYMBOLS[type(node.op)]}` -> `{SYMBOLS[operator]}`",
            lambda n: setattr(n, "op", operator()),
        ))
    elif isinstance(node, ast.BoolOp):
        swapped = ast.Or if isinstance(node.op, ast.And) else ast.And
        found.append((
            f"`{SYMBOLS[type(node.op)]}` -> `{SYMBOLS[swapped]}`",
            lambda n: setattr(n, "op", swapped()),
        ))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        found.append(("drop `not`", lambda n: setattr(n, "op", ast.UAdd())))
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        found.append((f"{node.value} -> {not node.value}", _set_value(not node.value)))
    elif isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        found.append((f"{node.value!r} -> {node.value + 1!r}", _set_value(node.value + 1)))
    elif isinstance(node, ast.Return) and node.value is not None and not _is_none(node.value):
        found.append(("return value -> `return None`", lambda n: setattr(n, "value", None)))
    if isinstance(node, DELETABLE) and _deletable(node):
        found.append(("statement -> `pass`", _to_pass))
    return found


def _set_compare(position: int, replacement: type[ast.cmpop]) -> Callable[[ast.AST], None]:
    def apply(node: ast.AST) -> None:
        assert isinstance(node, ast.Compare)
        node.ops[position] = replacement()

    return apply


def _set_value(value: object) -> Callable[[ast.AST], None]:
    return lambda node: setattr(node, "value", value)


def _to_pass(node: ast.AST) -> None:
    # Turn the node itself into a `pass`, so its parent's body needs no rewiring.
    node.__class__ = ast.Pass
    for field in list(vars(node)):
        if field not in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            delattr(node, field)


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _deletable(node: ast.AST) -> bool:
    if any(isinstance(inner, ast.Await) for inner in ast.walk(node)):
        return False  # as specified: only await-free statements
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Call)  # never docstrings or bare names
    if isinstance(node, ast.AnnAssign):
        return node.value is not None  # a bare annotation does nothing to delete
    return True


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """ids of nodes inside type annotations: with postponed evaluation they never run."""
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            roots.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            roots.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
    return {id(inner) for root in roots for inner in ast.walk(root)}


# --- finding and applying mutants ----------------------------------------------------------


def find_mutants(path: Path) -> Iterator[Mutant]:
    tree = ast.parse(path.read_text(), filename=str(path))
    skip = _annotation_nodes(tree)
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        for variant, (label, _) in enumerate(mutations_of(node)):
            yield Mutant(path.name, getattr(node, "lineno", 0), label, index, variant)


def mutated_source(mutant: Mutant) -> str:
    """The module's source with the one mutation applied (re-parsed: each mutant is fresh)."""
    tree = ast.parse((PACKAGE / mutant.module).read_text())
    node = next(n for i, n in enumerate(ast.walk(tree)) if i == mutant.node_index)
    _, apply = mutations_of(node)[mutant.variant]
    apply(node)
    return ast.unparse(ast.fix_missing_locations(tree))


def source_line(mutant: Mutant) -> str:
    return (PACKAGE / mutant.module).read_text().splitlines()[mutant.line - 1].strip()


def equivalence_key(mutant: Mutant) -> tuple[str, str, str]:
    return (mutant.module, source_line(mutant), mutant.label)


# --- running the suite against a mutant ----------------------------------------------------


class Workspace:
    """A private copy of src/ for one worker; mutants are written here, never in the repo."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="catalog-mutants-"))
        shutil.copytree(
            REPO / "src", self.root / "src",
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
        )
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(self.root / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
            # Never reuse bytecode: two mutants of one file can share size and mtime, and a
            # stale .pyc would silently test the previous mutant instead.
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def run(self, mutant: Mutant | None, timeout: float) -> str:
        """Run the suite with ``mutant`` applied: "survived", "killed", or "timeout"."""
        target = self.root / "src" / "catalog" / (mutant.module if mutant else "__init__.py")
        original = target.read_text()
        if mutant is not None:
            target.write_text(mutated_source(mutant))
        try:
            completed = subprocess.run(
                [sys.executable, *PYTEST], cwd=REPO, env=self.env,
                capture_output=True, timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired:
            return "timeout"  # e.g. a mutant that loops forever: the tests noticed
        finally:
            target.write_text(original)
        return "survived" if completed.returncode == 0 else "killed"

    def imports_from_here(self) -> bool:
        probe = subprocess.run(
            [sys.executable, "-c", "import catalog; print(catalog.__file__)"],
            cwd=REPO, env=self.env, capture_output=True, text=True, check=True,
        )
        return Path(probe.stdout.strip()).is_relative_to(self.root)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=int, default=None, help="try at most N mutants")
    parser.add_argument("--module", help="only mutate this module, e.g. backoff or backoff.py")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel runs")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per run before a mutant counts as killed by timeout "
                             "(default: 10x the unmutated run, at least 30)")
    args = parser.parse_args()

    modules = sorted(PACKAGE.glob("*.py"))
    if args.module:
        name = args.module if args.module.endswith(".py") else f"{args.module}.py"
        modules = [path for path in modules if path.name == name]
        if not modules:
            parser.error(f"no module {name} in {PACKAGE}; choose one of "
                         f"{', '.join(p.name for p in sorted(PACKAGE.glob('*.py')))}")
    mutants = [mutant for path in modules for mutant in find_mutants(path)]
    if args.max is not None:
        mutants = mutants[: args.max]

    started = time.monotonic()
    workspaces: queue.Queue[Workspace] = queue.Queue()
    for _ in range(max(1, args.jobs)):
        workspaces.put(Workspace())
    try:
        # The suite must pass on the unmutated copy, and must import that copy: otherwise
        # every mutant would look killed (or survived) for the wrong reason.
        baseline = workspaces.get()
        if not baseline.imports_from_here():
            print("error: the tests do not import catalog from the temporary copy; "
                  "check PYTHONPATH and how the package is installed", file=sys.stderr)
            return 2
        t0 = time.monotonic()
        if baseline.run(None, timeout=600) != "survived":
            print("error: the catalog tests fail without any mutation; fix them first:\n"
                  f"  {sys.executable} {' '.join(PYTEST)}", file=sys.stderr)
            return 2
        timeout = args.timeout or max(30.0, 10 * (time.monotonic() - t0))
        workspaces.put(baseline)

        def attempt(mutant: Mutant) -> tuple[Mutant, str]:
            workspace = workspaces.get()
            try:
                outcome = workspace.run(mutant, timeout)
            finally:
                workspaces.put(workspace)
            print({"killed": ".", "timeout": "T", "survived": "S"}[outcome], end="", flush=True)
            return mutant, outcome

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(attempt, mutants))
        print()
    finally:
        while not workspaces.empty():
            workspaces.get().remove()

    return report(results, time.monotonic() - started)


def report(results: list[tuple[Mutant, str]], seconds: float) -> int:
    killed = [m for m, outcome in results if outcome in ("killed", "timeout")]
    timeouts = [m for m, outcome in results if outcome == "timeout"]
    survivors = [m for m, outcome in results if outcome == "survived"]
    equivalent = [m for m in survivors if equivalence_key(m) in EQUIVALENT]
    unexpected = [m for m in survivors if equivalence_key(m) not in EQUIVALENT]
    stale = sorted(
        set(EQUIVALENT) - {equivalence_key(m) for m in equivalent},
        key=lambda key: key[0],
    )
    tried_keys = {equivalence_key(m) for m, _ in results}

    print(f"mutants tried:    {len(results)}")
    print(f"killed:           {len(killed)} (of which {len(timeouts)} by timeout)")
    print(f"survived:         {len(survivors)} "
          f"({len(equivalent)} known-equivalent, {len(unexpected)} unexpected)")
    scored = len(results) - len(equivalent)
    if scored:
        print(f"mutation score:   {100 * len(killed) / scored:.1f} % (equivalents excluded)")
    print(f"wall time:        {seconds:.0f} s")
    if unexpected:
        print("\nSURVIVORS -- no test notices these changes; add a test that does:")
        for mutant in unexpected:
            print(f"  {mutant.where:<20} {mutant.label:<32} {source_line(mutant)}")
    if timeouts:
        print("\nkilled by timeout (a test hung instead of failing; consider a tighter guard):")
        for mutant in timeouts:
            print(f"  {mutant.where:<20} {mutant.label:<32} {source_line(mutant)}")
    if equivalent:
        print("\nknown-equivalent (cannot be killed: behaviour is unchanged):")
        for mutant in equivalent:
            reason = EQUIVALENT[equivalence_key(mutant)]
            print(f"  {mutant.where:<20} {mutant.label:<32} {reason}")
    for key in stale:
        if key in tried_keys:  # only meaningful if this run tried that mutant
            print(f"\nnote: EQUIVALENT entry {key} was killed; remove it from the list")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
