"""Async hygiene is named feedback with a stated scoring rule, in ``check()`` as in the grader."""

from __future__ import annotations

from course.checker import check_source
from course.checker.answer import load_answer
from course.checker.code_checks import check_code
from course.exercises import get

TOTAL = get("01-concurrent-total")
RESTOCK = get("01-forgotten-await")


def findings(result):
    return {f.name: (f.passed, f.message) for f in result.findings}


def test_a_task_left_pending_fails_the_check_and_says_how_to_wait_for_it():
    result = check_source(TOTAL, """
import asyncio
async def total_stock(client, skus):
    asyncio.create_task(asyncio.Event().wait())
    products = await asyncio.gather(*(client.get_product(s) for s in skus))
    return sum(p.stock for p in products)
""")
    passed, message = findings(result)["adds up the stock of the products"]
    assert not passed and result.score == 0
    assert "was still pending when the check ended" in message and "asyncio.TaskGroup()" in message
    assert message.endswith("(this check fails).")


def test_a_lost_task_exception_fails_the_check_and_names_the_error():
    result = check_source(TOTAL, """
import asyncio
async def total_stock(client, skus):
    async def log():
        raise KeyError("audit")
    asyncio.create_task(log())
    await asyncio.sleep(0)
    products = await asyncio.gather(*(client.get_product(s) for s in skus))
    return sum(p.stock for p in products)
""")
    passed, message = findings(result)["returns 0 for no skus"]
    assert not passed
    assert "`total_stock.<locals>.log` raised KeyError: 'audit'" in message
    assert "Task exception was never retrieved" in message and "(this check fails)" in message


def test_a_lost_task_exception_is_blamed_on_the_check_that_lost_it_not_on_the_one_that_frees_it():
    # The first check's failed task outlives its check (the answer keeps it); the second check lets
    # it go. Python reports a lost error when the task is freed, which would blame the second check.
    result = check_source(TOTAL, """
import asyncio
KEEP, CALLS = [], []
async def total_stock(client, skus):
    CALLS.append(None)
    if len(CALLS) == 1:
        async def log():
            raise KeyError("audit")
        KEEP.append(asyncio.create_task(log()))
        await asyncio.sleep(0)
    else:
        KEEP.clear()
    products = await asyncio.gather(*(client.get_product(s) for s in skus))
    return sum(p.stock for p in products)
""")
    first, *others = result.findings
    assert not first.passed and "raised KeyError: 'audit'" in first.message
    assert all(f.passed and "KeyError" not in f.message for f in others), [f.message for f in others]


def test_an_unclosed_httpx_client_is_a_warning_that_costs_nothing():
    result = check_source(RESTOCK, """
import httpx
async def needs_restock(client, sku, minimum):
    spare = httpx.AsyncClient()
    return (await client.get_product(sku)).stock < minimum
""")
    assert result.score == result.max_score and result.status == "passed"
    passed, message = findings(result)["answers True exactly when stock is below the minimum"]
    assert passed
    assert "`httpx.AsyncClient` created at exercise cell, line 4, in needs_restock was never closed" in message
    assert "(warning only: it costs no points)" in message


def test_a_closed_client_and_awaited_tasks_say_nothing():
    result = check_source(TOTAL, """
import asyncio, httpx
async def total_stock(client, skus):
    async with httpx.AsyncClient() as spare:
        tasks = [asyncio.create_task(client.get_product(s)) for s in skus]
        products = await asyncio.gather(*tasks)
    return sum(p.stock for p in products)
""")
    assert result.status == "passed"
    assert all(message == "" for _, message in findings(result).values())


def test_a_blocked_event_loop_names_the_line_it_is_stuck_on():
    answer = load_answer("import time\nasync def needs_restock(client, sku, minimum):\n    time.sleep(1)\n", RESTOCK.id)
    result = check_code(RESTOCK, answer, real_time_limit=0.2)
    passed, message = findings(result)["answers True exactly when stock is below the minimum"]
    assert not passed
    assert message.startswith("Still running after 0.2 s of real time at exercise cell, line 3, in needs_restock.")


def test_a_time_sleep_on_the_check_loop_fails_the_check_and_names_its_line():
    # Chapter 1's classic pitfall: the answer is right, but nothing else could run while it slept.
    result = check_source(TOTAL, """
import asyncio, time
async def total_stock(client, skus):
    products = await asyncio.gather(*(client.get_product(s) for s in skus))
    time.sleep(0.01)
    return sum(p.stock for p in products)
""")
    passed, message = findings(result)["adds up the stock of the products"]
    assert not passed and result.score < TOTAL.points
    assert message == ("`time.sleep(0.01)` at exercise cell, line 5, in total_stock blocks the event loop: nothing "
                       "else can run while it sleeps. Use `await asyncio.sleep(0.01)` (this check fails).")


def test_a_step_that_holds_the_loop_without_awaiting_fails_the_check():
    result = check_source(TOTAL, """
import asyncio, time
async def total_stock(client, skus):
    products = await asyncio.gather(*(client.get_product(s) for s in skus))
    start = time.thread_time()
    while time.thread_time() - start < 0.4:  # a long computation: 0.4 s of CPU, however loaded the machine
        pass
    return sum(p.stock for p in products)
""")
    passed, message = findings(result)["adds up the stock of the products"]
    assert not passed
    assert "held the event loop for" in message and "`await asyncio.to_thread(...)`" in message


def test_time_sleep_outside_a_running_loop_is_not_blamed():
    answer = load_answer("import time\ntime.sleep(0)\nasync def needs_restock(client, sku, minimum):\n"
                         "    return (await client.get_product(sku)).stock < minimum\n", RESTOCK.id)
    assert check_code(RESTOCK, answer).status == "passed"
