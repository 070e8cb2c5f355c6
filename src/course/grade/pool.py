"""The grader's side of the sandboxes: one warm supervisor process, fed jobs, returning verified results.

The process that grades (the ``course`` command, or a test) never runs learner code and never forks:
``SandboxPool`` starts ``python -m course.grade.supervisor`` with a clean environment, sends it jobs
(one exercise cell each) a few at a time, so that neither side ever blocks on a full pipe, and reads
each result as its sandbox finishes. The supervisor runs up to ``parallel`` sandboxes at once.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from course.checker.results import ExerciseResult
from course.limits import SUPERVISOR_SILENCE_SECONDS, SUPERVISOR_START_SECONDS, Limits, default_parallel


class GraderError(RuntimeError):
    """The grading machinery itself failed (not a submission): the message says what to report."""


@dataclass(frozen=True)
class Job:
    """One exercise cell to check in a sandbox."""

    key: object  # anything the caller uses to find the result again
    exercise_id: str
    source: str
    limits: Limits


@dataclass(frozen=True)
class Done:
    """A job's verified result, and what its sandbox cost."""

    job: Job
    result: ExerciseResult
    wall: float  # seconds from fork to verdict
    cpu: float  # CPU seconds the sandbox used


class SandboxPool:
    """One warm supervisor and the sandboxes it forks. Use as a context manager; ``run`` may be
    called many times."""

    def __init__(self, parallel: int | None = None) -> None:
        self.parallel = parallel or default_parallel()
        self._folder = tempfile.TemporaryDirectory(prefix="course-grader-")
        self._buffer = b""
        self._stderr = open(Path(self._folder.name) / "supervisor.log", "w+b")  # noqa: SIM115 - open for the pool's life, closed in close()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "course.grade.supervisor", "--parallel", str(self.parallel),
             "--parent", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=self._folder.name,
            env=_clean_environment(self._folder.name),
        )
        ready = self._read_line(timeout=SUPERVISOR_START_SECONDS)
        self.isolation: dict = ready["isolation"]
        self.warm_up_seconds: float = ready["warm_up"]

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def run(self, jobs: Iterable[Job], on_done: Callable[[Done], None] | None = None) -> list[Done]:
        """Grade every job, in parallel; results in the order the jobs were given."""
        queue = list(jobs)
        by_id: dict[int, Done] = {}
        sent = 0
        window = 2 * self.parallel  # enough to keep every sandbox busy; never enough to fill a pipe
        # Some sandbox finishes (or is killed) within its wall-clock limit: silence beyond that is a fault.
        timeout = max((j.limits.seconds_per_exercise for j in queue), default=0.0) + SUPERVISOR_SILENCE_SECONDS
        while len(by_id) < len(queue):
            while sent < len(queue) and sent - len(by_id) < window:
                job = queue[sent]
                self._send(
                    {"id": sent, "exercise": job.exercise_id, "source": job.source, "limits": job.limits.to_dict()}
                )
                sent += 1
            record = self._read_line(timeout)
            done = Done(queue[record["id"]], ExerciseResult.from_dict(record["result"]), record["wall"], record["cpu"])
            by_id[record["id"]] = done
            if on_done is not None:
                on_done(done)
        return [by_id[i] for i in range(len(queue))]

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self._process.stdin.close()  # type: ignore[union-attr]
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        self._process.stdout.close()  # type: ignore[union-attr]
        self._stderr.close()
        self._folder.cleanup()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the pipe ---------------------------------------------------------------------------------

    def _send(self, record: dict) -> None:
        try:
            self._process.stdin.write((json.dumps(record) + "\n").encode())  # type: ignore[union-attr]
            self._process.stdin.flush()  # type: ignore[union-attr]
        except BrokenPipeError:
            raise self._broken("stopped accepting work") from None

    def _read_line(self, timeout: float) -> dict:
        """The supervisor's next record; its output is read raw, so select() sees all of it."""
        fd = self._process.stdout.fileno()  # type: ignore[union-attr]
        while b"\n" not in self._buffer:
            with selectors.DefaultSelector() as selector:
                selector.register(fd, selectors.EVENT_READ)
                if not selector.select(timeout):
                    self._process.kill()
                    raise self._broken(f"sent nothing for {timeout:g} s")
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise self._broken("ended")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def _broken(self, what: str) -> GraderError:
        self._process.poll()
        self._stderr.seek(0)
        log = self._stderr.read().decode(errors="replace").strip().splitlines()[-15:]
        detail = ("\n" + "\n".join(log)) if log else ""
        return GraderError(f"the grading supervisor {what} (exit code {self._process.returncode}).{detail}")


def _clean_environment(folder: str) -> dict[str, str]:
    """What the supervisor (and so the sandboxes) may see of the grader's environment: little.
    Tokens and CI variables stay out; ``PYTHONPATH`` carries the grader's own import path, so the
    supervisor imports exactly this ``course`` package; ``COURSE_GRADE_WITHOUT`` turns layers off."""
    from course.grade.sandbox import TURN_OFF

    return {
        TURN_OFF: os.environ.get(TURN_OFF, ""),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": folder,
        "TMPDIR": folder,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
