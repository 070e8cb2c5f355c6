"""The pieces the grader's trust rests on, one at a time: the result channel, the registry check, the
tamper fingerprint, the watchdog, and what the output says when a sandbox layer is missing."""

from __future__ import annotations

import json
import os
import sys
import types

import pytest

from course.checker.answer import CELL_FILENAME
from course.checker.results import ExerciseResult, Finding
from course.exercises import get
from course.grade import trust
from course.grade.sandbox import Isolation
from course.grade.trust import Receiver, Sender, new_secret, verified
from course.grade.worker import Watchdog

RESTOCK = get("01-forgotten-await")


def full_marks() -> ExerciseResult:
    findings = [Finding(c.description, True, "", float(c.points), float(c.points)) for c in RESTOCK.checks]
    return ExerciseResult(RESTOCK.id, RESTOCK.title, RESTOCK.kind, 2.0, 2.0, findings)


def received(*lines: bytes, secret: str):
    read, write = os.pipe()
    os.write(write, b"".join(lines))
    os.close(write)
    receiver = Receiver(read, secret)
    while receiver.feed():
        pass
    os.close(read)
    return receiver.received


def test_one_record_with_the_secret_is_a_result():
    secret = new_secret()
    read, write = os.pipe()
    Sender(write, secret).send(result=full_marks().to_dict())
    os.close(write)
    receiver = Receiver(read, secret)
    while receiver.feed():
        pass
    os.close(read)
    assert receiver.received.result == full_marks().to_dict() and receiver.received.forged == []


@pytest.mark.parametrize("line", [
    b"All checks pass\n",
    json.dumps({"result": full_marks().to_dict()}).encode() + b"\n",
    json.dumps({"secret": "0" * 32, "result": full_marks().to_dict()}).encode() + b"\n",
])
def test_anything_else_on_the_channel_is_forgery(line):
    secret = new_secret()
    genuine = json.dumps({"secret": secret, "result": full_marks().to_dict()}).encode() + b"\n"
    assert received(line, genuine, secret=secret).forged


def test_a_second_result_is_forgery():
    secret = new_secret()
    genuine = json.dumps({"secret": secret, "result": full_marks().to_dict()}).encode() + b"\n"
    assert received(genuine, genuine, secret=secret).forged == ["a second result"]


def test_a_forked_copy_of_the_sandbox_cannot_send():
    secret = new_secret()
    read, write = os.pipe()
    sender = Sender(write, secret)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        sender.send(result=full_marks().to_dict())
        os._exit(0)
    os.waitpid(pid, 0)
    os.close(write)
    receiver = Receiver(read, secret)
    while receiver.feed():
        pass
    os.close(read)
    assert receiver.received.result is None


def test_the_registry_decides_the_score():
    assert verified(RESTOCK, full_marks().to_dict()) == full_marks()
    claimed = full_marks()
    claimed.findings = claimed.findings[:1]  # one check passed, but the claim is still 2 of 2
    assert verified(RESTOCK, claimed.to_dict()) is None
    assert verified(RESTOCK, {**full_marks().to_dict(), "exercise_id": "01-concurrent-total"}) is None
    assert verified(RESTOCK, {"score": 2}) is None


async def _passes_anything(answer) -> None:
    """A forged check: accepts any answer."""


def test_the_fingerprint_names_what_changed(monkeypatch):
    import course.checker

    before = trust.fingerprint()
    assert trust.changes(before, trust.fingerprint()) == []
    monkeypatch.setattr(course.checker, "check_code", lambda *a: None)
    # An async check replaced by an async body that checks nothing. (Giving it a plain function's
    # code object instead is deprecated from Python 3.13: a code object of another kind.)
    monkeypatch.setattr(RESTOCK.checks[0].run, "__code__", _passes_anything.__code__)
    monkeypatch.setattr(json.JSONEncoder, "encode", lambda self, o: "{}")
    changed = trust.changes(before, trust.fingerprint())
    assert {"course.checker.check_code", "course.exercises.ch01_async_basics._needs_restock_values",
            "json.encoder.JSONEncoder.encode"} <= set(changed)
    others = set(changed) - {"course.checker.check_code", "json.encoder.JSONEncoder.encode"}
    assert all(name.endswith(("_needs_restock_values", "checks[0].run")) for name in others), others


def _learner_function(body: str):
    namespace: dict = {}
    exec(compile(f"import time\ndef stuck():\n{body}\n", CELL_FILENAME, "exec"), namespace)
    return namespace["stuck"]


def test_the_watchdog_interrupts_blocking_code_and_names_its_line():
    watchdog = Watchdog()
    stuck: list = []
    watchdog.configure(0.1, stuck.append, on_give_up=None)  # type: ignore[arg-type]
    finished, hang = watchdog.guard(_learner_function("    time.sleep(10)"), 5.0)
    assert not finished and hang.where == "exercise cell, line 3, in stuck" and stuck == [hang]


def test_the_watchdog_gives_up_on_code_that_swallows_the_interruption():
    """In the sandbox, giving up ends the process (learner code would swallow anything raised):
    run it in a forked process, as the grader does."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child

        def give_up(hang, swallowed):
            os.write(write, f"{hang.where}|{swallowed}".encode())
            os._exit(7)

        watchdog = Watchdog(grace=0.1)
        watchdog.configure(0.1, lambda hang: None, give_up)
        body = (
            "    while True:\n        try:\n            time.sleep(10)\n        except BaseException:\n            pass"
        )
        watchdog.guard(_learner_function(body), 5.0)
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        assert pipe.read() == "exercise cell, line 5, in stuck|True"
    assert os.waitstatus_to_exitcode(status) == 7


def test_missing_sandbox_layers_are_named_with_what_they_leave_open():
    full = Isolation(namespaces=True, namespaces_error="", landlock_abi=7, landlock_error="", root=False)
    assert full.notes() == [] and full.network_blocked and full.files_confined
    bare = Isolation(namespaces=False, namespaces_error="Operation not permitted", landlock_abi=0,
                     landlock_error="Function not implemented", root=True)
    notes = " ".join(bare.notes())
    assert not bare.network_blocked and not bare.files_confined
    assert "no user namespaces (Operation not permitted): the network is NOT blocked" in notes
    assert "no Landlock (Function not implemented): code can write files outside its scratch folder" in notes
    assert "runs as root" in notes
    tcp_only = Isolation(namespaces=False, namespaces_error="x", landlock_abi=4, landlock_error="", root=False)
    assert tcp_only.network_blocked and "only TCP connections are blocked" in tcp_only.notes()[0]


def test_learner_frames_are_found_in_cell_and_test_files():
    from course.checker.locate import is_learner_file

    assert is_learner_file(CELL_FILENAME) and is_learner_file("/tmp/x/test_answer_0123456789ab.py")
    assert not is_learner_file(sys.modules[__name__].__file__) and not is_learner_file(types.__file__)
