"""Mistakes that can be read off the learner's source, named when a check fails because of them.

A *late-binding closure* is the classic one in async code that builds work in a loop:
``[lambda: client.get_product(sku) for sku in skus]`` makes functions that look ``sku`` up when they
are *called*, after the loop has finished, so every one fetches the last sku. The check sees only a
wrong total; the note says which line and how to bind the value.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class LateBinding:
    line: int
    name: str
    kind: str  # "lambda" or "function"

    def note(self) -> str:
        what = "the lambda" if self.kind == "lambda" else "the function defined"
        return (
            f"Note: {what} at line {self.line} uses `{self.name}`, a variable of the loop around it, when it is "
            f"called, not when it was made: every call sees the loop's last value. Bind the value when you "
            f"make it: `lambda {self.name}={self.name}: ...`, or `functools.partial(...)`."
        )


def _targets(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _parameters(func: ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    args = func.args
    return {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a}


def late_binding_closures(source: str) -> list[LateBinding]:
    """Closures made inside a loop or comprehension that read its variable without binding it."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: dict[tuple[int, str], LateBinding] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.AsyncFor)):
            names, bodies = _targets(node.target), node.body
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            names = set().union(*(_targets(g.target) for g in node.generators))
            bodies = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        else:
            continue
        for body in bodies:
            for inner in ast.walk(body) if isinstance(body, ast.AST) else (n for b in body for n in ast.walk(b)):
                if not isinstance(inner, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                free = {n.id for n in ast.walk(inner) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                for name in sorted((free & names) - _parameters(inner)):
                    kind = "lambda" if isinstance(inner, ast.Lambda) else "function"
                    found.setdefault((inner.lineno, name), LateBinding(inner.lineno, name, kind))
    return sorted(found.values(), key=lambda b: (b.line, b.name))
