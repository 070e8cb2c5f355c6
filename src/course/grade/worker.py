"""Grade one exercise inside the sandbox: the code of the forked process, from fork to ``os._exit``.

The supervisor forks one process per exercise, so whatever an answer does (patch the checker, leave
threads running, exit, exhaust memory) touches only its own exercise. The process enters the sandbox,
checks the answer exactly as ``check()`` does in a notebook, and sends the one result over the result
channel. A learner-test exercise's session runs under one time limit; a code exercise's cell and each
of its checks run under their own (``course.grade.watchdog``).
"""

from __future__ import annotations

import os
from typing import NoReturn

from course.checker import check_source
from course.checker.guard import Hang
from course.exercises import get
from course.grade import outcomes, sandbox, tamper
from course.grade.channel import Sender
from course.grade.limits import Limits
from course.grade.watchdog import WATCHDOG

def run(job: dict, write_fd: int, secret: str, isolation: sandbox.Isolation, baseline: tamper.Fingerprint,
        scratch: str, supervisor: int) -> NoReturn:
    """The forked process's whole life. Never returns."""
    try:
        limits = Limits.from_dict(job["limits"])
        fd = sandbox.quiet_descriptors(write_fd, limits)
        sandbox.enter(scratch, limits, isolation, supervisor)
        grade(job, Sender(fd, secret), limits, baseline)
    finally:
        os._exit(0)  # never return into the supervisor's code; do not wait for threads left behind


def grade(job: dict, sender: Sender, limits: Limits, baseline: tamper.Fingerprint) -> None:
    exercise = get(job["exercise"])
    source = job["source"]

    def give_up(hang: Hang, swallowed: bool) -> NoReturn:
        if exercise.kind == "tests" and not swallowed:
            result = outcomes.tests_hung(exercise, hang, limits.tests_seconds)
        else:
            result = outcomes.swallowed(exercise, hang)
        sender.send(result=result.to_dict())
        os._exit(0)

    watchdog = WATCHDOG
    watchdog.configure(
        limits.check_seconds,
        on_stuck=lambda hang: sender.send(stuck={"where": hang.where, "seconds": hang.seconds}),
        on_give_up=give_up,
    )
    try:
        if source is None:
            result = outcomes.missing_cell(exercise)
        elif exercise.kind == "tests":
            result = watchdog.limit_whole(lambda: check_source(exercise, source), limits.tests_seconds)
        else:
            result = check_source(exercise, source)
            if result.problem_kind == "load-hang" and watchdog.last_hang is not None:
                result = outcomes.load_hung(exercise, watchdog.last_hang)  # the same verdict, with the line
    except BaseException as exc:  # noqa: BLE001 - check_source never raises for learner code: tampering, or a bug
        result = outcomes.checker_failed(exercise, exc)
    changed = tamper.changes(baseline, tamper.fingerprint())
    if changed:
        result = outcomes.tampered(exercise, changed)
    sender.send(result=outcomes.annotate(result).to_dict())
