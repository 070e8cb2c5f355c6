"""Print every learner attempt of tests/attempts/ with its verdict, as a Markdown table.

    python scripts/attempts_table.py [EXERCISE_ID_PREFIX]

The attempts are the exercises tried as a learner would (docs/authoring.md, "Trying it as a
learner"); tests/test_learner_attempts.py asserts each verdict. This script only shows them: the
score each earns now and the first words of the feedback, for a closing note or a review.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from course.checker import check_source  # noqa: E402 - importable only after the sys.path line above
from course.exercises import get  # noqa: E402 - importable only after the sys.path line above
from tests.test_learner_attempts import ATTEMPTS  # noqa: E402 - importable only after the sys.path line above


def first_words(result, limit: int = 110) -> str:
    failed = [f for f in result.findings if not f.passed and f.message]
    text = result.problem or (f"{failed[0].name}: {failed[0].message}" if failed else "")
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: list[str]) -> int:
    prefix = argv[0] if argv else ""
    print("| Exercise | Attempt | Score | Feedback (first words) |")
    print("| --- | --- | --- | --- |")
    for attempt in ATTEMPTS:
        if not attempt.exercise_id.startswith(prefix):
            continue
        exercise = get(attempt.exercise_id)
        result = check_source(exercise, attempt.source)
        print(f"| {attempt.exercise_id} | {attempt.kind}: {attempt.about} | {result.score:g}/{exercise.points} | "
              f"{first_words(result) if attempt.kind == 'wrong' else '—'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
