"""The exercise registry: every chapter module is registered, and a missing one says where to add it."""

from __future__ import annotations

import pytest

import course.exercises as registry


def test_a_chapter_module_missing_from_the_registry_says_where_to_add_it(monkeypatch):
    monkeypatch.setattr(registry, "CHAPTER_MODULES", registry.CHAPTER_MODULES[1:])
    registry.all_exercises.cache_clear()
    try:
        with pytest.raises(
            ValueError,
            match=r"course\.exercises\.ch01_async_basics defines exercises but is not "
            r"registered: add it to CHAPTER_MODULES in src/course/exercises/__init__\.py",
        ):
            registry.all_exercises()
    finally:
        monkeypatch.undo()
        registry.all_exercises.cache_clear()
    assert registry.all_exercises()


def test_a_malformed_exercise_names_its_problems_and_the_guide():
    with pytest.raises(ValueError, match=r"exercise 'x' is malformed: id must look like .* \(docs/authoring\.md"):
        registry.Exercise("x", "X", "code", 1, hints=("h",), requires=("f",), checks=(registry.Check("c", print),))
