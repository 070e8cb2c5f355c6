"""Which learner tests assert something: each rule shown both ways."""

import pytest

from course.checker.assertions import asserting_tests


@pytest.mark.parametrize(
    "body",
    [
        "assert await f() == 1",
        "with pytest.raises(ValueError):\n        await f()",
        "mock = AsyncMock()\n    await f(mock)\n    mock.assert_awaited_once_with(1)",
        "pytest.fail('never')",
        "check(await f())",  # a module-level helper that asserts
    ],
)
def test_asserting_tests_are_recognised(body):
    source = f"def check(x):\n    assert x == 1\n\nasync def test_it():\n    {body}\n"
    assert asserting_tests(source) == {"test_it": True}


@pytest.mark.parametrize(
    "body",
    [
        "await f()",
        "assert True",
        "result = await f()\n    print(result)",
        "helper(await f())",  # a helper that asserts nothing
    ],
)
def test_tests_that_assert_nothing_are_recognised(body):
    source = f"def helper(x):\n    return x\n\nasync def test_it():\n    {body}\n"
    assert asserting_tests(source) == {"test_it": False}


def test_test_methods_of_test_classes_count_and_helpers_do_not():
    source = "class TestThing:\n    def test_a(self):\n        assert 1 < 2\n\ndef make():\n    assert 1\n"
    assert asserting_tests(source) == {"test_a": True}
