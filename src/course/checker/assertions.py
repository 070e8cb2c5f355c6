"""Find the learner's tests that assert nothing: they cannot catch a bug, so they earn nothing.

A test "asserts" when its body (or a module-level helper it calls) contains an ``assert`` whose
condition is not a constant, a ``pytest.raises``/``pytest.warns``/``pytest.RaisesGroup`` block, a
``pytest.fail`` call, or a mock assertion (any ``.assert_*`` call such as ``assert_awaited_once_with``).
A test that only awaits a call, or asserts ``True``, passes on every chaff that returns at all.
"""

from __future__ import annotations

import ast

_PYTEST_ASSERTERS = {"raises", "warns", "fail", "RaisesGroup", "RaisesExc", "approx_fail"}


def _is_assertion(node: ast.AST) -> bool:
    if isinstance(node, ast.Assert):
        return not isinstance(node.test, ast.Constant)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return name in _PYTEST_ASSERTERS or name.startswith("assert_")
    return False


def _called_names(func: ast.AST) -> set[str]:
    return {n.func.id for n in ast.walk(func) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def test_functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Module-level ``test*`` functions and ``test*`` methods of ``Test*`` classes, by pytest name."""
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("test"):
                    found[item.name] = item
    return found


def asserting_tests(source: str) -> dict[str, bool]:
    """Each test's name mapped to whether it asserts anything. ``SyntaxError`` propagates."""
    tree = ast.parse(source)
    helpers = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("test")
    }
    helper_asserts = {name: any(_is_assertion(n) for n in ast.walk(fn)) for name, fn in helpers.items()}
    result = {}
    for name, func in test_functions(tree).items():
        direct = any(_is_assertion(n) for n in ast.walk(func))
        via_helper = any(helper_asserts.get(called, False) for called in _called_names(func))
        result[name] = direct or via_helper
    return result


WALL_CLOCK = {"perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "time", "time_ns", "sleep"}
"""Functions of the ``time`` module that read or wait on the real clock."""


def wall_clock_uses(source: str) -> dict[str, list[str]]:
    """Each test that calls a wall-clock function of ``time`` (directly or through a module-level
    helper), mapped to those calls as written (``time.perf_counter``). ``SyntaxError`` propagates.

    The course's tests run on virtual time: ``await asyncio.sleep(1)`` takes no real time, so a
    stopwatch on the wall clock cannot tell concurrent code from sequential code, and ``time.sleep``
    blocks the event loop."""
    tree = ast.parse(source)
    from_time = {
        alias.asname or alias.name: alias.name
        for node in tree.body if isinstance(node, ast.ImportFrom) and node.module == "time"
        for alias in node.names if alias.name in WALL_CLOCK
    }

    def calls(func: ast.AST) -> list[str]:
        found = []
        for node in ast.walk(func):
            if not isinstance(node, ast.Call):
                continue
            target = node.func
            if (isinstance(target, ast.Attribute) and target.attr in WALL_CLOCK
                    and isinstance(target.value, ast.Name) and target.value.id == "time"):
                found.append(f"time.{target.attr}")
            elif isinstance(target, ast.Name) and target.id in from_time:
                found.append(f"time.{from_time[target.id]}")
        return found

    helpers = {n.name: calls(n) for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    result = {}
    for name, func in test_functions(tree).items():
        used = calls(func) + [c for called in _called_names(func) for c in helpers.get(called, [])]
        if used:
            result[name] = sorted(set(used))
    return result
