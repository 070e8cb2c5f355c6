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
    monkeypatch.setattr(checker, "_hints", type(checker._hints)())
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


def test_the_same_failure_again_shows_the_next_hint_and_the_answer_last_labelled(cells):
    from course.checker.hints import ANSWER_LABEL
    from course.exercises import get

    hints = get("01-forgotten-await").hints
    cells.append(UNSOLVED)
    shown = [run_check(cells, "01-forgotten-await").result.hint for _ in range(len(hints) + 1)]
    assert shown == [*hints[:-1], ANSWER_LABEL + hints[-1], ANSWER_LABEL + hints[-1]]


def test_an_error_unrelated_to_the_exercise_gets_a_hint_about_that_error_however_often(cells):
    from course.checker.hints import PROBLEM_HINTS, RAISED_HINTS

    cells.append("# exercise: 01-forgotten-await\nasync def needs_restock(client, sku, minimum):\n"
                 "    product = await client.get_prodcut(sku)\n    return product.stock < minimum\n")
    for _ in range(3):
        assert run_check(cells, "01-forgotten-await").result.hint == RAISED_HINTS["AttributeError"]
    cells.append("# exercise: 01-forgotten-await\nasync def needs_restok(client, sku, minimum):\n    pass\n")
    assert run_check(cells, "01-forgotten-await").result.hint == PROBLEM_HINTS["missing-name"]
    cells.append("# exercise: 01-forgotten-await\nasync def needs_restock(client, sku, minimum)\n    pass\n")
    for _ in range(3):
        assert run_check(cells, "01-forgotten-await").result.hint == PROBLEM_HINTS["syntax"]
    cells.append("# exercise: 01-forgotten-await\nx = undefined_name\n")
    assert run_check(cells, "01-forgotten-await").result.hint == PROBLEM_HINTS["name-error"]


def test_a_new_failure_starts_again_at_the_first_hint_of_its_check():
    from course.checker.hints import HintState
    from course.checker.results import ExerciseResult, Finding
    from course.exercises import Check, Exercise

    exercise = Exercise("09-demo", "Demo", "code", 2, hints=("general", "more", "answer"), requires=("f",),
                        checks=(Check("first", lambda a: None, hint="about first"), Check("second", lambda a: None)))

    def failing(name):
        result = ExerciseResult.start(exercise)
        result.findings = [Finding(n, n != name) for n in ("first", "second")]
        return result

    state = HintState()
    assert [state.next_hint(exercise, failing("first")) for _ in range(2)] == ["about first", "general"]
    assert state.next_hint(exercise, failing("second")) == "general"  # a different mistake: from the start
    assert state.next_hint(exercise, failing("second")) == "more"


def test_check_without_an_id_says_how_to_call_it(cells):
    cells.append(SOLVED)
    feedback = run_check(cells, "")
    assert 'Say which exercise to check, in quotes: course.check("01-forgotten-await")' in repr(feedback)
    assert "Say which exercise" in repr(check_in_notebook())


def test_ids_are_trimmed(cells):
    cells.append(SOLVED)
    assert run_check(cells, " 01-forgotten-await ").result.status == "passed"


def test_a_check_inside_the_answer_cell_says_where_it_belongs(cells):
    cells.append(SOLVED + 'course.check("01-forgotten-await")\n')
    feedback = check_in_notebook("01-forgotten-await")
    assert "is inside the answer cell. Put it in a cell of its own, below the answer cell" in repr(feedback)
    from course.checker import check_source
    from course.exercises import get

    graded = check_source(get("01-forgotten-await"), SOLVED + 'course.check("01-forgotten-await")\n')
    assert graded.problem_kind == "misplaced-check" and graded.score == 0


def test_html_escapes_what_the_learner_wrote(cells):
    cells.append(
        '# exercise: 01-forgotten-await\nasync def needs_restock(c, s, m):\n    raise ValueError("<b>x</b>")\n'
    )
    feedback = run_check(cells, "01-forgotten-await")
    assert "ValueError: <b>x</b>" in repr(feedback)
    assert "ValueError: &lt;b&gt;x&lt;/b&gt;" in feedback._repr_html_() and "<b>x</b>" not in feedback._repr_html_()
