"""The limits every exercise is graded under. Each is a CLI flag of ``course grade``.

Every exercise runs in its own sandboxed process. The defaults suit the course's exercises with a
wide margin on a loaded 2-core machine: a correct answer's checks take milliseconds of real time
(they run on virtual time), and a learner-test exercise's whole session about 0.3 s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

MiB = 1024**2


@dataclass(frozen=True)
class Limits:
    check_seconds: float = 5.0
    """Real time for running the exercise cell, and for each check of a *write async code* exercise.
    Code that takes longer is interrupted, and the message names the line it was running."""
    tests_seconds: float = 20.0
    """Real time for all the runs of a *write the tests* exercise's tests (one pytest session)."""
    seconds_per_exercise: float = 60.0
    """Wall clock for one exercise's whole process; then the process group is killed. The backstop
    for code that the per-check interruption cannot stop (it catches it, or hangs inside C code)."""
    memory_bytes: int = 2048 * MiB
    """Address space of the exercise's process (RLIMIT_AS): a huge allocation raises MemoryError."""
    cpu_seconds: int = 60
    """CPU time of the exercise's process (RLIMIT_CPU); then the kernel kills it."""
    file_bytes: int = 16 * MiB
    """Largest file the exercise may write (RLIMIT_FSIZE); writing more raises an OSError."""
    open_files: int = 256
    """Open file descriptors (RLIMIT_NOFILE)."""
    processes: int = 64
    """Processes and threads inside the sandbox (RLIMIT_NPROC); applied only with a user namespace,
    where the kernel counts them per sandbox rather than per user."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Limits:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
