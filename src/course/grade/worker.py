"""The grading worker: runs inside the sandbox, checks exercises one by one, reports each at once.

``python -m course.grade.worker RESULTS`` reads a job (JSON on standard input: exercise ids and
the source of each one's cell) and appends one JSON line per event to RESULTS: ``{"started": id}``
before an exercise, then its result. The parent reads the file as the worker goes, so an exercise
that hangs or kills the process costs that exercise only: the parent restarts a worker for the rest.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    results_path = sys.argv[1]
    job = json.load(sys.stdin)
    # Learner code may print anything; keep it out of the parent's view and out of the results.
    with open("learner-output.txt", "wb") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)

    from course.checker import check_source
    from course.checker.results import ExerciseResult
    from course.exercises import get

    with open(results_path, "a", encoding="utf-8") as results:
        def emit(record: dict) -> None:
            results.write(json.dumps(record) + "\n")
            results.flush()

        for item in job["exercises"]:
            exercise = get(item["id"])
            emit({"started": exercise.id})
            if item["source"] is None:
                result = ExerciseResult(exercise.id, exercise.title, exercise.kind, 0.0, float(exercise.points))
                result.problem = (
                    f"No cell has the line `# exercise: {exercise.id}`: the exercise cell was deleted, or its "
                    "first line changed. Put the line back at the top of your answer cell."
                )
            else:
                result = check_source(exercise, item["source"])
            emit({"result": result.to_dict()})
    os._exit(0)  # do not wait for threads a hung check left behind


if __name__ == "__main__":
    main()
