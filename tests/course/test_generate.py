"""The generator turns solution cells into exercise cells; markers are strict about their shape."""

import pytest

from course.generate import MarkerError, exercise_notebook, strip_solution

SOLUTION = """\
# exercise: 01-x
async def f(client):
    # BEGIN SOLUTION
    return await client.get()
    # END SOLUTION
    # BEGIN STUB
    # return client.get()
    # END STUB
"""


def test_the_solution_block_is_removed_and_the_stub_uncommented():
    assert strip_solution(SOLUTION) == "# exercise: 01-x\nasync def f(client):\n    return client.get()"


def test_a_solution_block_without_a_stub_is_removed():
    assert strip_solution("a = 1\n# BEGIN SOLUTION\nb = 2\n# END SOLUTION\nc = 3\n") == "a = 1\nc = 3"


def test_a_comment_inside_a_stub_keeps_one_level_of_comment():
    assert strip_solution("# BEGIN STUB\n# # write tests here\n# END STUB\n") == "# write tests here"


def test_source_without_markers_is_unchanged():
    assert strip_solution("import course; course.setup()") == "import course; course.setup()"


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("# BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n# END SOLUTION\n", "END marker without its BEGIN"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "BEGIN marker inside"),
        ("# BEGIN STUB\nx = 1\n# END STUB\n", "stub lines must be comments"),
    ],
)
def test_malformed_markers_are_reported_with_their_place(source, problem):
    with pytest.raises(MarkerError, match=problem) as caught:
        strip_solution(source, "solutions/01_x.ipynb, cell 3")
    assert "solutions/01_x.ipynb, cell 3" in str(caught.value)


def test_exercise_notebooks_start_clean():
    solution = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
            {
                "cell_type": "code",
                "execution_count": 7,
                "metadata": {"tags": ["keep-me"], "execution": {"x": 1}},
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "hi"}],
                "source": SOLUTION,
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    exercise = exercise_notebook(solution)
    code = exercise["cells"][1]
    assert code["outputs"] == [] and code["execution_count"] is None
    assert code["metadata"] == {"tags": ["keep-me"]}
    assert "BEGIN" not in code["source"] and "return client.get()" in code["source"]
    assert solution["cells"][1]["execution_count"] == 7, "the solution itself must not be modified"
