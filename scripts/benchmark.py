"""Print the course's performance figures. A benchmark, not a test: it asserts nothing and never fails CI.

    python scripts/benchmark.py               # everything, including one full run of the test suite
    python scripts/benchmark.py --no-suite    # skip the suite run (about a minute)

Figures, with the targets from the foundation issue (2-core machine):
* the whole test suite's wall time (the README's test command, without the install step);
* per chapter notebook: the first and the median `%%ipytest` cell (targets: <= 300 ms, <= 80 ms), and
  the notebook's execution time against an empty notebook's (target: at most 80 ms more per
  `%%ipytest` cell);
* the same cells with ipytest's recommended defaults, for contrast;
* `course.check()` on each *write the tests* exercise (reference tests, every wheat and chaff;
  target: <= 0.5 s) and on each *write async code* exercise (target: <= 150 ms);
* a check that never finishes, in a real kernel: how long `check()` takes, and the kernel's CPU use
  afterwards (target: idle: nothing of the stuck check keeps running).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def execute(notebook: nbformat.NotebookNode, folder: Path) -> float:
    """Execute in place (kernel start included); return wall seconds."""
    start = time.perf_counter()
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    return time.perf_counter() - start


def cell_seconds(cell: nbformat.NotebookNode) -> float:
    timing = cell.metadata["execution"]
    start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


def ipytest_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("%%ipytest")]


def empty_notebook_seconds(folder: Path, repeats: int = 3) -> float:
    runs = []
    for _ in range(repeats):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
        runs.append(execute(notebook, folder))
    return min(runs)


def chapter_figures(empty: float, repeats: int = 3) -> None:
    print(f"\nChapter notebooks, best of {repeats} runs (targets: first %%ipytest cell <= 300 ms, "
          "median <= 80 ms, notebook <= empty + 80 ms per %%ipytest cell)")
    for path in sorted(ROOT.glob("notebooks/*.ipynb")):
        runs = []
        for _ in range(repeats):  # kernel start-up sometimes takes seconds longer: compare best runs
            notebook = nbformat.read(path, as_version=4)
            runs.append((execute(notebook, path.parent), notebook))
        total, notebook = min(runs, key=lambda run: run[0])
        cells = [cell_seconds(c) * 1000 for c in ipytest_cells(notebook)]
        budget = empty + 0.080 * len(cells)
        print(f"  {path.name}: {len(cells)} %%ipytest cells, first {cells[0]:.0f} ms, median "
              f"{statistics.median(cells):.0f} ms, max {max(cells):.0f} ms; notebook {total:.2f} s "
              f"(empty {empty:.2f} s + {len(cells)} x 80 ms = {budget:.2f} s budget)")


def defaults_contrast(folder: Path) -> None:
    """The same kind of cells with ipytest's documented set-up (autoload of every plugin)."""
    setup = (
        "import ipytest; ipytest.autoconfig(run_in_thread=True, raise_on_error=True, "
        "addopts=['-q', '-o', 'asyncio_default_fixture_loop_scope=function'])"
    )
    test = "%%ipytest\nimport asyncio\nasync def test_sleep():\n    await asyncio.sleep(0)\n"
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(setup)] + [nbformat.v4.new_code_cell(test) for _ in range(5)]
    )
    execute(notebook, folder)
    cells = [cell_seconds(c) * 1000 for c in ipytest_cells(notebook)]
    print(f"\nFor contrast, ipytest.autoconfig(run_in_thread=True): first cell {cells[0]:.0f} ms, "
          f"median {statistics.median(cells):.0f} ms")


def check_latency(repeats: int = 5) -> None:
    from course.checker import check_source, find_cell
    from course.exercises import all_exercises

    print("\ncourse.check() on write-the-tests exercises (target: <= 500 ms; in-process, median of "
          f"{repeats}, after one warm-up)")
    for exercise in all_exercises():
        if exercise.kind != "tests":
            continue
        solution = next(ROOT.glob(f"solutions/{exercise.chapter:02d}_*.ipynb"), None)
        if solution is None:
            continue
        sources = [c.source for c in nbformat.read(solution, as_version=4).cells if c.cell_type == "code"]
        source = find_cell(sources, exercise.id)
        check_source(exercise, source)
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            result = check_source(exercise, source)
            runs.append(time.perf_counter() - start)
        variants = len(exercise.wheats) + len(exercise.chaffs)
        print(
            f"  {exercise.id}: {statistics.median(runs) * 1000:.0f} ms (max {max(runs) * 1000:.0f} ms) "
            f"for {variants} implementations, {len(exercise.wheats)} wheats x 3 orders; "
            f"score {result.score:g}/{result.max_score:g}"
        )


def code_check_latency(repeats: int = 5) -> None:
    import gc

    from course.checker import check_source, find_cell
    from course.exercises import all_exercises

    gc.collect()
    gc.freeze()  # as course.setup() does in a kernel: collections then skip the imported modules
    print(f"\ncourse.check() on write-async-code exercises (target: <= 150 ms; median of {repeats}, heap frozen "
          "as in a kernel)")
    for exercise in all_exercises():
        solution = next(ROOT.glob(f"solutions/{exercise.chapter:02d}_*.ipynb"), None)
        if exercise.kind != "code" or solution is None:
            continue
        source = find_cell(
            [c.source for c in nbformat.read(solution, as_version=4).cells if c.cell_type == "code"], exercise.id
        )
        check_source(exercise, source)
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            result = check_source(exercise, source)
            runs.append(time.perf_counter() - start)
        print(f"  {exercise.id}: {statistics.median(runs) * 1000:.0f} ms (max {max(runs) * 1000:.0f} ms); "
              f"score {result.score:g}/{result.max_score:g}")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stuck_check_cpu(idle: float = 2.0) -> None:
    """A check whose answer keeps awaiting forever, in a real kernel; then the kernel's CPU while idle."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", cwd=str(ROOT / "exercises"))
    try:
        def run(code: str) -> None:
            client.execute_interactive(code, timeout=120, output_hook=lambda msg: None)

        run("import course; course.setup(quiet=True)")
        run("# exercise: 01-concurrent-total\nimport asyncio\nasync def total_stock(client, skus):\n"
            "    while True:\n        await asyncio.sleep(0)\n")
        start = time.perf_counter()
        run('course.check("01-concurrent-total")')
        took = time.perf_counter() - start
        pid = manager.provisioner.process.pid
        before = _cpu_seconds(pid)
        time.sleep(idle)
        used = _cpu_seconds(pid) - before
        print(f"\nA check that never finishes (a loop that keeps awaiting): check() took {took:.1f} s; "
              f"then the kernel used {used:.2f} CPU-s in {idle:g} s idle (target: about 0)")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def suite_time() -> None:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    print(
        f"\nWhole test suite (`pytest`): {elapsed:.1f} s, exit {result.returncode}: "
        f"{result.stdout.strip().splitlines()[-1]}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-suite", action="store_true", help="skip the full test-suite run")
    args = parser.parse_args()
    os.environ.pop("CI", None)
    print(f"Python {sys.version.split()[0]} on {os.cpu_count()} cores")
    folder = ROOT / "notebooks"
    empty = empty_notebook_seconds(folder)
    print(f"Empty notebook (kernel start + one cell), best of 3: {empty:.2f} s")
    chapter_figures(empty)
    defaults_contrast(folder)
    check_latency()
    code_check_latency()
    stuck_check_cpu()
    if not args.no_suite:
        suite_time()
    return 0


if __name__ == "__main__":
    sys.exit(main())
