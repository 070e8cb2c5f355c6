"""`course.check()` in a notebook: found answers, unknown ids, answers not run yet, hints."""

import pytest

from course import checker
from course.checker import check_in_notebook
from course.notebook_setup import EXECUTED_CELLS

SOLVED = """# exercise: 01-forgotten-await
async def needs_restock(client, sku, minimum):
    return (await client.get_product(sku)).stock < minimum
"""
UNSOLVED = """# exercise: 01-forgotten-await
async def needs_restock(client, sku, minimum):
    raise NotImplementedError
"""


@pytest.fixture
def cells(monkeypatch):
    """The kernel's record of executed cells, empty for each test; the last one is the check cell."""
    monkeypatch.setattr(checker, "_attempts", type(checker._attempts)())
    EXECUTED_CELLS.clear()
    yield EXECUTED_CELLS
    EXECUTED_CELLS.clear()


def run_check(cells, exercise_id):
    cells.append(f'course.check("{exercise_id}")')
    return check_in_notebook(exercise_id)


def test_an_unknown_id_lists_the_valid_ones(cells):
    feedback = run_check(cells, "01-nope")
    assert "There is no exercise '01-nope'. Valid ids: 01-forgotten-await, 01-concurrent-total" in repr(feedback)


def test_checking_before_running_the_answer_cell_says_to_run_it(cells):
    assert "Run the exercise cell first" in repr(run_check(cells, "01-forgotten-await"))


def test_the_latest_run_of_the_answer_cell_is_checked(cells):
    cells.extend([UNSOLVED, SOLVED])
    feedback = run_check(cells, "01-forgotten-await")
    assert feedback.result.status == "passed"
    assert "All checks pass: 2/2 points" in repr(feedback)
    assert "All checks pass" in feedback._repr_html_()


def test_each_failed_attempt_shows_the_next_hint_and_the_last_one_stays(cells):
    from course.exercises import get

    hints = get("01-forgotten-await").hints
    cells.append(UNSOLVED)
    shown = [run_check(cells, "01-forgotten-await").result.hint for _ in range(len(hints) + 1)]
    assert shown == [*hints, hints[-1]]


def test_html_escapes_what_the_learner_wrote(cells):
    cells.append('# exercise: 01-forgotten-await\nasync def needs_restock(c, s, m):\n    raise ValueError("<b>x</b>")\n')
    feedback = run_check(cells, "01-forgotten-await")
    assert "ValueError: <b>x</b>" in repr(feedback)
    assert "ValueError: &lt;b&gt;x&lt;/b&gt;" in feedback._repr_html_() and "<b>x</b>" not in feedback._repr_html_()
