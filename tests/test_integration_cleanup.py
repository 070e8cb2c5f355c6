"""Running chapter 9 twice in a row leaves nothing behind: no process, no listening port, no database file.

The chapter starts real servers (uvicorn on 127.0.0.1) and opens SQLite databases. Each run executes the
notebook with nbval in a fresh subprocess whose kernel and everything else it starts inherit a marker
in their environment, in a temporary working directory with its own TMPDIR. Afterwards:

- no process carrying the marker is alive (a server subprocess, a kernel, a helper);
- no listening TCP socket on 127.0.0.1 that appeared during the run belongs to such a process;
- the working directory holds only the notebook, and TMPDIR no database file.

Other agents' kernels may come and go on the same machine meanwhile; the marker tells ours apart.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "09_integration.ipynb"
DATABASE_SUFFIXES = (".sqlite", ".sqlite3", ".db", ".db-journal", ".db-wal", "-journal", "-wal", "-shm")


def _marked_processes(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if f"COURSE_CLEANUP_MARKER={marker}".encode() in environ.split(b"\0"):
            found.append(f"{entry.name}: {command.strip()}")
    return found


def _loopback_listeners() -> dict[str, int]:
    """Listening TCP sockets on 127.0.0.1: inode -> port."""
    listeners = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, port = fields[1].split(":")
        if fields[3] == "0A" and address == "0100007F":  # LISTEN, 127.0.0.1 (little-endian hex)
            listeners[fields[9]] = int(port, 16)
    return listeners


def _owners(inodes: set[str]) -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = [os.readlink(fd) for fd in fd_dir.iterdir()]
        except OSError:
            continue
        for link in links:
            if link.startswith("socket:[") and link[8:-1] in inodes:
                owners.setdefault(link[8:-1], []).append(fd_dir.parent.name)
    return owners


def _environ_of(pid: str) -> bytes:
    try:
        return (Path("/proc") / pid / "environ").read_bytes()
    except OSError:
        return b""


def _run_chapter(workdir: Path, tmpdir: Path, marker: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmpdir), "COURSE_CLEANUP_MARKER": marker}
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", workdir / NOTEBOOK.name,
            "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-c", os.devnull, "--rootdir", workdir,
            "--nbval-lax", "--nbval-current-env",
        ],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=180, check=False,
    )


@pytest.mark.slow
def test_running_the_chapter_twice_leaves_nothing_behind(tmp_path: Path) -> None:
    workdir, tmpdir = tmp_path / "work", tmp_path / "tmp"
    workdir.mkdir()
    tmpdir.mkdir()
    shutil.copy(NOTEBOOK, workdir / NOTEBOOK.name)
    marker = uuid.uuid4().hex
    listening_before = _loopback_listeners()
    for run in (1, 2):
        result = _run_chapter(workdir, tmpdir, marker)
        output = f"{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
        assert result.returncode == 0, f"run {run} of the chapter failed:\n{output}"
        assert _marked_processes(marker) == [], f"run {run} left processes behind"
        new = {inode: port for inode, port in _loopback_listeners().items() if inode not in listening_before}
        ours = {
            new[inode]: pids
            for inode, pids in _owners(set(new)).items()
            if any(f"COURSE_CLEANUP_MARKER={marker}".encode() in _environ_of(pid).split(b"\0") for pid in pids)
        }
        assert ours == {}, f"run {run} left ports listening on 127.0.0.1 (port: pids): {ours}"
        assert sorted(path.name for path in workdir.iterdir()) == [NOTEBOOK.name], f"run {run} left files"
        databases = [str(path) for path in tmpdir.rglob("*") if path.name.endswith(DATABASE_SUFFIXES)]
        assert databases == [], f"run {run} left database files: {databases}"


def test_the_probes_see_a_marked_process_and_its_listening_socket() -> None:
    """The checks above can fail: a marked child that listens on 127.0.0.1 is found by both probes."""
    marker = uuid.uuid4().hex
    before = _loopback_listeners()
    code = (
        "import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
        "print(s.getsockname()[1], flush=True); sys.stdin.read()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], env={**os.environ, "COURSE_CLEANUP_MARKER": marker},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())  # it listens once it printed its port
        assert [entry.split(":")[0] for entry in _marked_processes(marker)] == [str(child.pid)]
        new = {inode: p for inode, p in _loopback_listeners().items() if inode not in before}
        assert port in new.values()
        assert str(child.pid) in [pid for pids in _owners(set(new)).values() for pid in pids]
    finally:
        child.communicate("")  # closing its stdin ends it; wait for it
    assert _marked_processes(marker) == []
