"""Configure a Jupyter kernel so that ``%%ipytest`` cells run async tests correctly and fast.

Every course notebook starts with ``import course; course.setup()``. Without it, three things go
wrong in a notebook, each silently or slowly:

* the kernel already runs an event loop, so pytest-asyncio fails with "Runner.run() cannot be called
  from a running event loop" unless pytest runs in a worker thread;
* ipytest reports failing tests without failing the cell, so nbval (and a learner's eye scanning for
  red) sees green while tests are red;
* every cell would read the project's pyproject.toml (whose addopts run nbval) and import every
  installed pytest plugin, which costs about 3 s for the first cell and 0.3 s for each later one.

The numbers behind the choices are in ``scripts/benchmark.py``.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import warnings
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

HYPOTHESIS_PROFILE = "course"

_configured = False


def cell_config_path() -> Path:
    """The pytest ini file every cell uses, shipped inside the package."""
    return Path(str(resources.files("course").joinpath("cells.ini")))


def pytest_args_for_cells(rootdir: str | os.PathLike[str]) -> list[str]:
    """The pytest arguments shared by notebook cells and by the grader's runs of learner tests.

    ``rootdir`` is where the cell's module lives (the notebook's folder): test ids then read
    ``t_<hex>.py::test_name``, and no configuration file above it is consulted.
    """
    args = [
        "-c", str(cell_config_path()),
        "--rootdir", str(rootdir),
        # Autoload would import every installed pytest plugin in every cell, nbval among them (its
        # import chain alone costs about 1.6 s). course.cell_plugin loads the ones the course uses.
        "--disable-plugin-autoload",
        "-p", "course.cell_plugin",
        "-p", "no:cacheprovider",  # no .pytest_cache/ beside the notebooks
    ]
    return args


def register_hypothesis_profile() -> None:
    """A deterministic Hypothesis profile: the same examples every run, nothing written to disk.

    Stored notebook outputs are compared by nbval, so a property test must not find a different
    counterexample from one run to the next, and no ``.hypothesis/`` folder may appear beside a
    notebook.
    """
    from hypothesis import settings

    _define_hypothesis_profile()
    settings.load_profile(HYPOTHESIS_PROFILE)


def _define_hypothesis_profile() -> None:
    """Register the course's profile, once per process. Hypothesis deprecates registering a profile
    while an ``@settings`` decorator's settings are active (as in a test that runs the checker, or a
    learner session inside another session); registered once, it is only ever loaded after that."""
    from hypothesis import HealthCheck, settings
    from hypothesis.errors import HypothesisDeprecationWarning, InvalidArgument

    try:
        settings.get_profile(HYPOTHESIS_PROFILE)
        return
    except InvalidArgument:
        pass
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Cannot register a settings profile", HypothesisDeprecationWarning)
        settings.register_profile(
            HYPOTHESIS_PROFILE,
            derandomize=True,
            database=None,
            deadline=None,
            max_examples=50,
            print_blob=False,
            suppress_health_check=[HealthCheck.too_slow],
        )


@contextlib.contextmanager
def hypothesis_profile() -> Iterator[None]:
    """The course's Hypothesis profile for one block, then the previous one again. The checker runs a
    learner's tests with it, so that they run with the settings of the learner's own cells (the same
    examples, no database, no deadline on a loaded machine), wherever they are graded."""
    from hypothesis import settings

    previous = settings.get_current_profile_name()
    _define_hypothesis_profile()
    settings.load_profile(HYPOTHESIS_PROFILE)
    try:
        yield
    finally:
        settings.load_profile(previous)


def keep_hypothesis_files_out_of_the_course() -> None:
    """Hypothesis caches what it computed once (the characters ``st.text()`` draws from, constants
    found in the code) in ``.hypothesis/`` under the current folder, even with ``database=None``: a
    folder beside every notebook. The kernel puts it in the learner's course state folder instead
    (``course.learner_progress.state_dir``), unless ``HYPOTHESIS_STORAGE_DIRECTORY`` says where."""
    from hypothesis.configuration import set_hypothesis_home_dir

    from course.learner_progress import state_dir

    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        set_hypothesis_home_dir(state_dir() / "hypothesis")


EXECUTED_CELLS: list[str] = []
"""The source of every cell run in this kernel since ``setup()``, oldest first. ``course.check``
finds an exercise's answer here. IPython's own history is not enough: kernels driven by tools
(nbval, some front ends) run cells without storing them in it."""


def _remember(info) -> None:  # IPython's ExecutionInfo
    EXECUTED_CELLS.append(info.raw_cell)


def _report_failed_cell(shell, etype, value, tb, tb_offset=None):  # IPython's signature
    """Show a failed %%ipytest cell as one line, not as a traceback through ipytest's internals.

    The test report printed above the error is what the learner needs; ipytest's own frames
    (``run_cell_magic`` → ``run`` → ``raise Error(exit_code)``) say nothing about the tests and cost
    about 80 ms to render. The cell still fails: the kernel replies with an error, Run All stops at
    it unless the cell is tagged ``raises-exception``, and nbval sees the same error name and value.
    """
    shell.showtraceback((etype, value, None), tb_offset=tb_offset)


def _record_cells() -> None:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None and _remember not in shell.events.callbacks["pre_run_cell"]:
        shell.events.register("pre_run_cell", _remember)
    if shell is not None:
        import ipytest

        shell.set_custom_exc((ipytest.Error,), _report_failed_cell)


def setup(*, quiet: bool = False) -> None:
    """Configure ipytest for async tests in this kernel. Safe to call more than once.

    * pytest runs in a worker thread, where pytest-asyncio may start its own event loops;
    * a failing test raises in the cell, so Run All, nbval and the learner all see the failure;
    * cells use the course's own pytest configuration (``cells.ini``): asyncio auto mode,
      function loop scopes, warnings as errors;
    * only the plugins the course uses are loaded, and the kernel's heap is frozen after the
      imports so pytest's garbage collections stay cheap.
    """
    global _configured
    # Import the heavy modules now, once, so no cell pays for them.
    import ipytest

    for heavy in ("httpx", "hypothesis", "looptime", "pytest", "pytest_asyncio", "respx"):
        importlib.import_module(heavy)

    register_hypothesis_profile()
    keep_hypothesis_files_out_of_the_course()
    # pytest prints full, untruncated summaries and diffs when it sees CI or BUILD_NUMBER in the
    # environment. A cell must print the same on a learner's laptop and in CI (nbval compares the
    # two), so the kernel forgets it is on CI; nothing else in the kernel reads these variables.
    for variable in ("CI", "BUILD_NUMBER"):
        os.environ.pop(variable, None)
    ipytest.config(
        rewrite_asserts=True,
        magics=True,
        clean="[Tt]est*",
        run_in_thread=True,
        raise_on_error=True,
        addopts=["-q", "--color=no", "--tb=short", *pytest_args_for_cells(os.getcwd())],
        defopts="auto",
        display_columns=100,
        # ipytest 0.14.2's config() treats an omitted `coverage` as true and adds `--cov` to every run.
        coverage=False,
    )
    _record_cells()
    # pytest's unraisable-exception plugin collects garbage twice per run; on a kernel heap that holds
    # hypothesis and httpx that is ~100 ms per cell. Frozen objects are skipped by the collector.
    from course.checker.frozen_heap import freeze_for_good

    freeze_for_good()
    if not _configured and not quiet:
        print("Course set-up done: %%ipytest cells run pytest-asyncio tests on their own event loop.")
    _configured = True
