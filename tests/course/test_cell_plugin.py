"""The cell plugin's workaround for looptime 0.9 around sync tests (course.cell_plugin).

Each test runs a small test module the way a ``%%ipytest`` cell does (the cells' ini file, warnings
as errors, the course's plugins), in this process.
"""

from __future__ import annotations

import asyncio
import textwrap
import uuid
from pathlib import Path

import pytest

from course.notebook_setup import pytest_args_for_cells


class Outcomes:
    def __init__(self) -> None:
        self.reports: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.failed:
            self.reports.setdefault(report.head_line or report.nodeid, report.outcome)


def run_like_a_cell(tmp_path: Path, source: str) -> tuple[int, dict[str, str]]:
    # Like ipytest, a fresh module name each run: the same name twice in one process would be
    # imported once.
    module = tmp_path / f"test_cell_{uuid.uuid4().hex[:12]}.py"
    module.write_text(textwrap.dedent(source))
    outcomes = Outcomes()
    code = pytest.main(
        [*pytest_args_for_cells(tmp_path), "-p", "no:terminal", "--import-mode=importlib", str(module)],
        plugins=[outcomes],
    )
    return int(code), outcomes.reports


def test_a_sync_test_before_an_async_test_passes_with_warnings_as_errors(tmp_path):
    # On Python 3.12 and 3.13 looptime's policy.get_event_loop() warned "There is no current event
    # loop" for the sync test, and warnings are errors: a correct test failed.
    code, reports = run_like_a_cell(tmp_path, """
        import asyncio

        def test_sync_first():
            assert 1 + 1 == 2

        async def test_async_after():
            await asyncio.sleep(0)
            assert True
    """)
    assert reports == {"test_sync_first": "passed", "test_async_after": "passed"}
    assert code == 0


def test_no_event_loop_is_made_for_a_sync_test(tmp_path, monkeypatch):
    # On Python 3.11 the same call silently made an event loop and left it open: garbage-collected
    # during a later test, it failed that test with "unclosed event loop".
    made: list[asyncio.AbstractEventLoop] = []
    init = asyncio.BaseEventLoop.__init__

    def counting_init(self, *args, **kwargs):
        made.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "__init__", counting_init)
    code, reports = run_like_a_cell(tmp_path, """
        def test_one():
            assert [1, 2] == [1, 2]

        def test_two():
            assert "a" in "abc"
    """)
    assert code == 0 and reports == {"test_one": "passed", "test_two": "passed"}
    assert made == []


def test_a_sync_test_that_asks_for_the_policy_fixture_still_gets_it(tmp_path):
    code, reports = run_like_a_cell(tmp_path, """
        def test_policy(event_loop_policy):
            assert hasattr(event_loop_policy, "new_event_loop")
    """)
    assert reports == {"test_policy": "passed"} and code == 0


def test_looptime_still_runs_async_tests_on_virtual_time(tmp_path):
    code, reports = run_like_a_cell(tmp_path, """
        import asyncio
        import pytest

        def test_sync_first():
            assert True

        @pytest.mark.looptime
        async def test_a_minute_costs_nothing():
            loop = asyncio.get_running_loop()
            start = loop.time()
            await asyncio.sleep(60)
            assert loop.time() - start == 60
    """)
    assert reports == {"test_sync_first": "passed", "test_a_minute_costs_nothing": "passed"} and code == 0


def test_the_tests_in_a_tests_exercise_cell_run_on_virtual_time_as_in_the_check(tmp_path, monkeypatch):
    from course import notebook_setup

    monkeypatch.setattr(notebook_setup, "EXECUTED_CELLS", ["%%ipytest\n# exercise: 01-gather-limited-tests\n"])
    code, reports = run_like_a_cell(tmp_path, """
        import asyncio

        async def test_unmarked_but_virtual():
            loop = asyncio.get_running_loop()
            start = loop.time()
            await asyncio.sleep(60)
            assert loop.time() - start == 60
    """)
    assert reports == {"test_unmarked_but_virtual": "passed"} and code == 0


def test_other_cells_keep_the_real_clock_unless_marked(tmp_path, monkeypatch):
    from course import notebook_setup

    for cell in ("%%ipytest\nasync def test_x(): ...\n", "# exercise: 01-forgotten-await\n", "# exercise: 99-nope\n"):
        monkeypatch.setattr(notebook_setup, "EXECUTED_CELLS", [cell])
        code, reports = run_like_a_cell(tmp_path, """
            def test_not_on_virtual_time(request):
                assert request.node.get_closest_marker("looptime") is None
        """)
        assert reports == {"test_not_on_virtual_time": "passed"} and code == 0, cell


def test_a_missing_fixture_reads_as_pytest_words_it_and_the_removed_event_loop_is_explained(tmp_path):
    from course.cell_plugin import short_message

    failures: list[str] = []

    class Longrepr:
        def pytest_runtest_logreport(self, report):
            if report.failed:
                failures.append(str(report.longrepr))

    module = tmp_path / "test_cell_fixture.py"
    module.write_text("async def test_old_style(event_loop):\n    assert event_loop is not None\n")
    pytest.main([*pytest_args_for_cells(tmp_path), "-p", "no:terminal", "--import-mode=importlib", str(module)],
                plugins=[Longrepr()])
    assert failures and failures[0].startswith("fixture 'event_loop' not found")
    assert "pytest-asyncio 1.0 removed the `event_loop` fixture" in failures[0]
    assert "FixtureRequest" not in failures[0] and short_message(ValueError("x")) == "ValueError: x"
