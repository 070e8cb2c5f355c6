"""Build the wheats and chaffs of a *write the tests* exercise and swap them in for the real code.

A learner's test may write ``from catalog.backoff import retry`` (binding the name when the test module
is imported) or ``import catalog.backoff`` and call ``catalog.backoff.retry`` (looking it up at call
time). Swapping an implementation in therefore replaces the target both where it is defined and in
every namespace that bound it by name: the learner's test module and the example package's modules.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from course.exercises import Exercise, Variant
from course.exercises.model import REFERENCE


class VariantError(Exception):
    """A variant could not be built: a maintainer's mistake in the registry, not the learner's."""


@dataclass(frozen=True)
class Target:
    owner: Any  # the module or class that holds the attribute
    attribute: str
    original: Any
    module: Any

    @property
    def package(self) -> str:
        return self.module.__name__.split(".")[0]


def resolve(target: str) -> Target:
    """``'catalog.backoff:retry'`` or ``'catalog.client:CatalogClient.get_product'``."""
    module_name, _, path = target.partition(":")
    module = import_module(module_name)
    owner: Any = module
    *parents, attribute = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    return Target(owner, attribute, inspect.getattr_static(owner, attribute), module)


def build(target: Target, variant: Variant) -> Any:
    """The variant's implementation: the real source with its edits applied, or its own source."""
    if variant.source is not None:
        source = textwrap.dedent(variant.source)
    else:
        source = textwrap.dedent(inspect.getsource(target.original))
        for old, new in variant.edits:
            count = source.count(old)
            if count != 1:
                raise VariantError(
                    f"variant {variant.name!r}: the edit {old!r} matches {count} places in "
                    f"{target.attribute}'s source (it must match exactly one); update the variant"
                )
            source = source.replace(old, new)
    namespace = dict(vars(target.module))
    try:
        exec(compile(source, f"<variant {variant.name}>", "exec"), namespace)
    except Exception as exc:
        raise VariantError(f"variant {variant.name!r} does not compile or run: {exc}") from exc
    if target.attribute not in namespace:
        raise VariantError(f"variant {variant.name!r} does not define {target.attribute!r}")
    return namespace[target.attribute]


def implementations(exercise: Exercise) -> dict[str, Any]:
    """Every implementation of the exercise's target by name: wheats first, then chaffs."""
    target = resolve(exercise.target)
    built: dict[str, Any] = {}
    for variant in (*exercise.wheats, *exercise.chaffs):
        built[variant.name] = target.original if variant.name == REFERENCE else build(target, variant)
    return built


def bindings(target: Target) -> list[tuple[Any, str]]:
    """Every (module, name) in the target's package bound to the original, besides its owner."""
    found = []
    for module_name, module in list(sys.modules.items()):
        if module is target.owner or not (
            module_name == target.package or module_name.startswith(target.package + ".")
        ):
            continue
        found += [(module, name) for name, value in list(vars(module).items()) if value is target.original]
    return found


@contextlib.contextmanager
def swapped(
    target: Target,
    implementation: Any,
    *namespaces: dict[str, Any],
    package_bindings: list[tuple[Any, str]] | None = None,
) -> Iterator[None]:
    """Replace the target by ``implementation`` wherever it is bound, and put everything back after.

    ``package_bindings`` (from ``bindings``) saves scanning the package's modules on every swap.
    """
    restore: list[tuple[Any, str, Any]] = []
    try:
        restore.append((target.owner, target.attribute, target.original))
        setattr(target.owner, target.attribute, implementation)
        for holder, name in bindings(target) if package_bindings is None else package_bindings:
            restore.append((holder, name, target.original))
            setattr(holder, name, implementation)
        for namespace in namespaces:
            for name, value in list(namespace.items()):
                if value is target.original:
                    restore.append((namespace, name, value))
                    namespace[name] = implementation
        yield
    finally:
        for holder, name, value in reversed(restore):
            if isinstance(holder, dict):
                holder[name] = value
            else:
                setattr(holder, name, value)
