"""Run the grading worker in a sandbox: its own process group, resource limits, a scratch folder.

Learner code runs in the worker. Whatever it does (loop forever, exit, allocate 100 GiB, fill the
disk), the grader stays up: the worker is killed on the wall-clock limit, the kernel enforces the
resource limits, and each exercise's result is read as soon as the worker writes it.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    """Per-worker limits. Defaults suit the course's exercises with a wide margin."""

    seconds_per_exercise: float = 30.0  # wall clock, for one exercise including worker start-up
    memory_bytes: int = 2 * 1024**3  # address space
    cpu_seconds: int = 120
    file_bytes: int = 16 * 1024**2  # largest file the worker may write
    open_files: int = 256


def _apply_limits(limits: Limits) -> None:  # runs in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))


@dataclass
class WorkerRun:
    records: list[dict]
    timed_out: bool
    returncode: int | None


def run_worker(exercises: list[dict], limits: Limits) -> WorkerRun:
    """Run one worker over ``exercises`` (``[{"id", "source"}]``) until it finishes, dies or times out."""
    scratch = Path(tempfile.mkdtemp(prefix="course-grade-"))
    results = scratch / "results.jsonl"
    results.touch()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "LANG": "C.UTF-8",
    }
    command = [sys.executable, "-m", "course.grade.worker", str(results)]
    deadline = time.monotonic() + limits.seconds_per_exercise * max(1, len(exercises))
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=scratch,
        env=env,
        start_new_session=True,  # its own process group: killing it kills whatever it spawned
        preexec_fn=lambda: _apply_limits(limits),  # noqa: PLW1509 - the grader is single-threaded here
    )
    timed_out = False
    try:
        assert process.stdin is not None
        process.stdin.write(json.dumps({"exercises": exercises}).encode())
        process.stdin.close()
        seen = 0
        while process.poll() is None:
            records = _read(results)
            if len(records) > seen:  # progress: each exercise gets its own time budget
                seen = len(records)
                deadline = max(deadline, time.monotonic() + limits.seconds_per_exercise)
            if time.monotonic() > deadline:
                timed_out = True
                break
            time.sleep(0.01)
    except BrokenPipeError:
        pass
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
    records = _read(results)
    shutil.rmtree(scratch, ignore_errors=True)
    return WorkerRun(records, timed_out, process.returncode)


def _read(path: Path) -> list[dict]:
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a half-written last line: read it next time
    return records
