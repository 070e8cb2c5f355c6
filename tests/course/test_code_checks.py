"""Checking *write async code* exercises: what the learner is told in each situation."""

from course.checker import check_source
from course.exercises import get

TOTAL = get("01-concurrent-total")

SEQUENTIAL = """
# exercise: 01-concurrent-total
async def total_stock(client, skus):
    total = 0
    for sku in skus:
        total += (await client.get_product(sku)).stock
    return total
"""


def messages(result):
    return {f.name: (f.passed, f.message) for f in result.findings}


def test_a_correct_but_sequential_answer_earns_the_checks_it_passes_and_is_told_why_not_the_rest():
    result = check_source(TOTAL, SEQUENTIAL)
    found = messages(result)
    assert found["adds up the stock of the products"] == (True, "")
    assert found["returns 0 for no skus"] == (True, "")
    passed, message = found["fetches the products concurrently"]
    assert not passed and "took 3 s (virtual time)" in message
    assert result.score == 3.0 and result.max_score == 4.0 and result.status == "partial"


def test_a_missing_function_says_what_to_define():
    result = check_source(TOTAL, "# exercise: 01-concurrent-total\nx = 1\n")
    assert result.score == 0
    assert "Define `total_stock`" in result.problem


def test_a_syntax_error_names_the_line():
    result = check_source(TOTAL, "# exercise: 01-concurrent-total\nasync def total_stock(client, skus)\n    pass\n")
    assert result.problem.startswith("The exercise cell has a syntax error on line 2")


def test_a_cell_that_raises_when_run_names_the_error_and_line():
    result = check_source(TOTAL, "# exercise: 01-concurrent-total\nimport asyncio\n1 / 0\n")
    assert "ZeroDivisionError: division by zero (exercise cell, line 3)" in result.problem


def test_an_unawaited_call_is_named_with_its_fix():
    result = check_source(get("01-forgotten-await"), """
async def needs_restock(client, sku, minimum):
    product = client.get_product(sku)
    return product.stock < minimum
""")
    passed, message = messages(result)["answers True exactly when stock is below the minimum"]
    assert not passed
    assert "`CatalogClient.get_product` was never awaited: put `await` before that call" in message


def test_waiting_forever_is_stopped_on_virtual_time_and_names_the_line():
    result = check_source(TOTAL, """
import asyncio
async def total_stock(client, skus):
    await asyncio.Event().wait()
""")
    passed, message = messages(result)["adds up the stock of the products"]
    assert not passed
    assert "still waiting after 600 s (of virtual time)" in message
    assert "exercise cell, line 4, in total_stock" in message


def test_system_exit_in_learner_code_is_a_failed_check_not_a_crash():
    result = check_source(TOTAL, "import sys\nasync def total_stock(client, skus):\n    sys.exit(3)\n")
    assert result.score == 0
    assert all("SystemExit" in f.message for f in result.findings)
