"""Run the README's test command on every Python this machine can have, and print one table.

    python3 scripts/test_pythons.py                  # the host's python3, then 3.13, 3.14, 3.15
    python3 scripts/test_pythons.py --python 3.15    # a subset (repeat the flag, or 3.13,3.15)
    python3 scripts/test_pythons.py --worktree       # test uncommitted changes too
    python3 scripts/test_pythons.py --build-only     # only build (or refresh) the cached root

Debian's unstable release (sid) packages python3.13, python3.14 and python3.15 side by side. The
script builds a minimal sid root with ``debootstrap`` once, caches it (``--cache``, default
/var/cache/testing-async-python, or $TEST_PYTHONS_CACHE) and rebuilds it when its recipe below changes
or it is older than ``--max-age-days``. Each interpreter then gets a FRESH copy of the project (a
``git clone`` of the committed HEAD, or with ``--worktree`` the working tree with its uncommitted and
untracked, not ignored, files) and runs, inside the root entered with ``bwrap``:

    python3.X -m venv .venv && .venv/bin/pip install -e .     # the "install" column
    .venv/bin/pytest                                          # the "pytest" column
    .venv/bin/course grade solutions/*.ipynb --format json    # must give full marks
    .venv/bin/course grade exercises/*.ipynb --format json    # untouched: must give 0

The host's own python3 runs the same steps on the host. bubblewrap (not chroot) because it enters the
root with pivot_root, so the grader's sandbox (user namespaces, Landlock) keeps working inside; the
"sandbox" column shows what the grader found. pip inside the root gets the host's locally added CA
certificates (copied in, then ``update-ca-certificates``) and the host's pip configuration (its files
and PIP_* variables, and the local folders they name, bound read-only). Downloaded wheels are cached
in the cache folder, so only the first run of an interpreter downloads its packages.

Interpreters run one after another (the machine has 2 cores). Every step's output goes to one log
file per interpreter, whose path is printed under the table together with the distinct reasons of the
failed tests. Exit code: 0 when every row is green, 1 when any is red, 2 when the root cannot be built
or entered (no silent skip). Needs root (debootstrap); installs debootstrap and bubblewrap with apt-get
when they are missing. Standard library only; runs on the host's python3 (3.11 or newer).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = "/var/cache/testing-async-python"
CACHE_VARIABLE = "TEST_PYTHONS_CACHE"
MIRROR_VARIABLE = "TEST_PYTHONS_MIRROR"
FALLBACK_MIRROR = "http://deb.debian.org/debian"

# The root's recipe. Any change here (or in RECIPE_VERSION, for a change to how the root is made)
# gives it another name in the cache, so the next run builds it anew and deletes the old one.
SUITE = "sid"
VARIANT = "minbase"
ROOT_PYTHONS = ("3.13", "3.14", "3.15")
PACKAGES = (
    *(f"python{v}" for v in ROOT_PYTHONS),
    *(f"python{v}-venv" for v in ROOT_PYTHONS),
    "ca-certificates",  # update-ca-certificates, for the host's local CAs
    "git",  # tests/test_course_consistency.py lists the tracked files
)
RECIPE_VERSION = 1
HOST_PACKAGES = {"debootstrap": "debootstrap", "bwrap": "bubblewrap"}

# Seconds; a step still running then is hung, and killed (its row is red). The whole suite takes 3 to 6
# minutes here.
TIMEOUTS = {"install": 1200, "pytest": 1500, "grade": 600}
HOST_CA_FOLDER = Path("/usr/local/share/ca-certificates")
CERT_MARK = ".test-pythons-certs"
RECIPE_FILE = ".test-pythons-recipe.json"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Failure(Exception):
    """The root cannot be built or entered: exit 2 with this message."""


# --------------------------------------------------------------------------------------------- root


def recipe() -> dict:
    return {"suite": SUITE, "variant": VARIANT, "packages": sorted(PACKAGES), "version": RECIPE_VERSION}


def recipe_id() -> str:
    return hashlib.sha256(json.dumps(recipe(), sort_keys=True).encode()).hexdigest()[:12]


def apt_mirror() -> str:
    """The Debian mirror this machine's apt uses (the first ``deb`` source ending in /debian)."""
    if os.environ.get(MIRROR_VARIABLE):
        return os.environ[MIRROR_VARIABLE]
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        if not path.is_file() or path.suffix not in ("", ".list", ".sources"):
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":  # deb822 stanzas
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.M))
                if "deb" in fields.get("Types", "").split() and fields.get("Enabled", "yes") != "no":
                    for uri in fields.get("URIs", "").split():
                        if uri.rstrip("/").endswith("/debian"):
                            return uri.rstrip("/")
        else:
            for line in text.splitlines():
                words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
                if len(words) >= 3 and words[0] == "deb" and words[1].rstrip("/").endswith("/debian"):
                    return words[1].rstrip("/")
    return FALLBACK_MIRROR


def ensure_host_tools() -> None:
    missing = [package for tool, package in HOST_PACKAGES.items() if shutil.which(tool) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        raise Failure(
            f"{', '.join(missing)} missing, and installing them needs root: apt-get install {' '.join(missing)}"
        )
    say(f"installing {', '.join(missing)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *missing]):
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise Failure(f"{' '.join(command)} failed:\n{(result.stdout + result.stderr)[-3000:]}")


def host_certs() -> dict[str, bytes]:
    if not HOST_CA_FOLDER.is_dir():
        return {}
    return {str(p.relative_to(HOST_CA_FOLDER)): p.read_bytes() for p in sorted(HOST_CA_FOLDER.rglob("*.crt"))}


def sync_certs(root: Path) -> None:
    """Copy the host's locally added CA certificates into the root when they changed (about 1 s)."""
    certs = host_certs()
    mark = hashlib.sha256(json.dumps({k: hashlib.sha256(v).hexdigest() for k, v in certs.items()}).encode()).hexdigest()
    mark_file = root / CERT_MARK
    if mark_file.exists() and mark_file.read_text() == mark:
        return
    target = root / HOST_CA_FOLDER.relative_to("/")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name, data in certs.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(data)
    result = subprocess.run(
        ["bwrap", "--bind", str(root), "/", "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
         "--unshare-pid", "--die-with-parent", "--clearenv", "--setenv", "PATH", "/usr/sbin:/usr/bin:/sbin:/bin",
         "update-ca-certificates", "--fresh"],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise Failure(f"update-ca-certificates in {root} failed:\n{result.stdout}{result.stderr}")
    mark_file.write_text(mark)


def build_root(cache: Path, name: str, mirror: str) -> Path:
    if os.geteuid() != 0:
        raise Failure("building the root needs root (debootstrap); run as root, or point --cache at a built one")
    ensure_host_tools()
    building = Path(tempfile.mkdtemp(prefix="build-", dir=cache))
    building.chmod(0o755)  # it becomes the root folder
    log = cache / "build.log"
    command = ["debootstrap", f"--variant={VARIANT}", f"--include={','.join(PACKAGES)}", SUITE, str(building), mirror]
    say(f"building the {SUITE} root (about a minute; log: {log}):\n  {shlex.join(command)}")
    started = time.monotonic()
    with log.open("w") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise Failure(f"debootstrap failed (exit {result.returncode}); the root cannot be built. "
                      f"Is {mirror} reachable? Last lines of {log}:\n  " + "\n  ".join(tail))
    (building / RECIPE_FILE).write_text(json.dumps({**recipe(), "mirror": mirror, "built": time.time()}, indent=1))
    sync_certs(building)
    root = cache / name
    building.rename(root)
    say(f"built {root} in {time.monotonic() - started:.0f} s ({du(root)})")
    return root


def du(path: Path) -> str:
    result = subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True)
    return result.stdout.split()[0] if result.returncode == 0 and result.stdout else "?"


def ensure_root(cache: Path, rebuild: bool, max_age_days: float) -> Path:
    """The cached root for the current recipe: reused, or built (under the cache's lock)."""
    name = f"{SUITE}-{recipe_id()}"
    root = cache / name
    if root.exists() and (rebuild or not (root / RECIPE_FILE).is_file()):  # asked for, or not finished
        shutil.rmtree(root)
    if root.exists():
        age_days = (time.time() - json.loads((root / RECIPE_FILE).read_text())["built"]) / 86400
        if age_days > max_age_days:
            say(f"{root} is {age_days:.0f} days old (more than {max_age_days:g}): building a newer one")
            stale = root.rename(cache / f"stale-{name}")
            try:
                root = build_root(cache, name, apt_mirror())
            except Failure as exc:
                say(f"{exc}\nkeeping the old root")
                root = stale.rename(root)
            else:
                shutil.rmtree(stale)
    else:
        root = build_root(cache, name, apt_mirror())
    ensure_host_tools()  # a cached root on a machine whose bwrap was removed
    sync_certs(root)
    prepare_mountpoints(root)
    for old in cache.iterdir():  # roots of earlier recipes, builds that were interrupted
        if old != root and (old.name.startswith(f"{SUITE}-") or old.name.startswith(("build-", "stale-"))):
            say(f"removing {old}")
            shutil.rmtree(old, ignore_errors=True)
    return root


def root_pythons(root: Path) -> list[str]:
    found = [p.name.removeprefix("python") for p in (root / "usr/bin").glob("python3.*")]
    return sorted((v for v in found if re.fullmatch(r"3\.\d+", v)), key=lambda v: int(v.split(".")[1]))


# ------------------------------------------------------------------------------------- pip config


def pip_config_binds() -> list[tuple[Path, Path]]:
    """The host's pip configuration files, and the local folders it names (indexes, wheels, constraints)."""
    home = Path.home()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME", home / ".config"))
    candidates = [Path("/etc/pip.conf"), Path("/etc/xdg/pip"), xdg / "pip", home / ".pip"]
    if os.environ.get("PIP_CONFIG_FILE"):
        candidates.append(Path(os.environ["PIP_CONFIG_FILE"]))
    # Certificates are the root's own (the host's local CAs are added to its bundle), so pip's
    # ``cert`` settings name the root's bundle; every other local path a setting names is bound.
    own = ("PIP_CERT", "PIP_CLIENT_CERT", "cert", "client-cert")
    values = [value for key, value in os.environ.items() if key.startswith("PIP_") and key not in own]
    for path in candidates:
        files = sorted(path.glob("*.conf")) if path.is_dir() else [path]
        for conf in files:
            if conf.is_file():
                values += [
                    value
                    for key, value in re.findall(r"^\s*([\w-]+)\s*=\s*(.+)$", conf.read_text(errors="replace"), re.M)
                    if key not in own
                ]
    for value in values:
        for word in value.split():
            local = word.removeprefix("file://") if word.startswith(("file://", "/")) else ""
            if not local:
                continue
            folder = Path(local)
            if folder.name == "simple":  # an index whose pages link to ../../files/
                folder = folder.parent
            candidates.append(folder)
    binds: list[Path] = []
    for path in candidates:
        if path.exists() and path not in binds and not any(path.is_relative_to(b) for b in binds):
            binds.append(path)
    return [(path, Path("/root") / path.relative_to(home) if path.is_relative_to(home) else path) for path in binds]


def prepare_mountpoints(root: Path) -> None:
    """bwrap cannot create mount points in the read-only root: make them (empty) beforehand."""
    (root / INSIDE.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for path, inside in pip_config_binds():
        if inside.is_relative_to("/root"):
            continue  # /root is a tmpfs inside, where bwrap makes them itself
        point = root / str(inside).lstrip("/")
        if path.is_dir():
            point.mkdir(parents=True, exist_ok=True)
        elif not point.exists():
            point.parent.mkdir(parents=True, exist_ok=True)
            point.touch()


PASSED_VARIABLES = (
    "CI",
    "TERM",
    "TZ",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
)
CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def root_environment(root: Path) -> dict[str, str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8", "USER": "root"}
    for key, value in os.environ.items():
        if (
            key in PASSED_VARIABLES
            or key.startswith("PIP_")
            or (key in CA_VARIABLES and (root / value.lstrip("/")).exists())
        ):
            env[key] = value
    return env


INSIDE = "/work/testing-async-python"  # where the project copy appears inside the root


def bwrap_command(root: Path, project: Path, pip_cache: Path, inner: str) -> list[str]:
    command = [
        "bwrap", "--ro-bind", str(root), "/", "--proc", "/proc", "--dev", "/dev",
        "--perms", "1777", "--tmpfs", "/dev/shm", "--perms", "1777", "--tmpfs", "/tmp",
        "--perms", "1777", "--tmpfs", "/var/tmp", "--tmpfs", "/root", "--tmpfs", "/run",
        "--ro-bind", "/etc/resolv.conf", "/etc/resolv.conf",
        "--bind", str(pip_cache), "/root/.cache/pip",
        "--bind", str(project), INSIDE, "--chdir", INSIDE,
        "--unshare-pid", "--die-with-parent", "--new-session", "--clearenv",
    ]
    for path, inside in pip_config_binds():
        command += ["--ro-bind", str(path), str(inside)]
    for key, value in root_environment(root).items():
        command += ["--setenv", key, value]
    return [*command, "sh", "-c", inner]


# ----------------------------------------------------------------------------------------- project


def fresh_copy(destination: Path, worktree: bool) -> None:
    """A clone of HEAD; with ``worktree``, overlaid with the working tree as ``git add -A`` would see it."""
    git = ["git", "-c", "advice.detachedHead=false"]
    subprocess.run([*git, "clone", "--quiet", str(REPO), str(destination)], check=True, capture_output=True)
    if not worktree:
        return
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            check=True, capture_output=True).stdout.decode().split("\0")
    deleted = set(subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--deleted"],
                                 check=True, capture_output=True).stdout.decode().split("\0"))
    for relative in filter(None, listed):
        source, target = REPO / relative, destination / relative
        if relative in deleted or not os.path.lexists(source):
            if os.path.lexists(target):
                target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.is_file():
            target.unlink()
        shutil.copy2(source, target, follow_symlinks=False)
    subprocess.run(["git", "-C", str(destination), "add", "-A"], check=True, capture_output=True)


# ------------------------------------------------------------------------------------------- a row


@dataclass
class Row:
    python: str  # "3.15", or "3.11 (host)"
    version: str = ""
    log: Path | None = None
    install: str = "not run"
    install_ok: bool = False
    pytest: str = "not run"
    pytest_ok: bool = False
    solutions: str = "not run"
    solutions_ok: bool = False
    exercises: str = "not run"
    exercises_ok: bool = False
    sandbox: str = "?"
    seconds: dict[str, float] = field(default_factory=dict)
    reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def green(self) -> bool:
        return self.install_ok and self.pytest_ok and self.solutions_ok and self.exercises_ok

    @property
    def wall(self) -> float:
        return sum(self.seconds.values())


def run_step(row: Row, step: str, command: list[str], cwd: Path, env: dict | None, log, timeout: int,
             json_out: bool = False) -> tuple[int, str]:
    """Run one step, its output streamed into the log; returns its exit code (-1: timed out) and its
    output (with ``json_out``, standard output alone, kept out of the log)."""
    log.write(f"\n===== {step}: {command[-1] if command[:1] == ['bwrap'] else shlex.join(command)}\n")
    log.flush()
    start = log.tell()
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE if json_out else log,
                               stderr=log, stdin=subprocess.DEVNULL, start_new_session=True, text=True)
    try:
        out, _ = process.communicate(timeout=timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        code = -1
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        raise
    elapsed = time.monotonic() - started
    row.seconds[step] = row.seconds.get(step, 0.0) + elapsed
    log.seek(0, os.SEEK_END)
    if not json_out:
        with open(log.name, "rb") as again:
            again.seek(start)
            out = again.read().decode(errors="replace")
    log.write(f"===== {step}: {'TIMED OUT, killed' if code == -1 else f'exit {code}'} after {elapsed:.1f} s\n")
    log.flush()
    return code, out or ""


SUMMARY = re.compile(r"^=+ (?P<counts>.*?) in [\d.]+s(?: \([^)]*\))? =+$")


def pytest_summary(text: str, code: int) -> tuple[str, bool]:
    counts = None
    for line in text.splitlines():
        match = SUMMARY.match(line.strip())
        if match:
            counts = match["counts"]
    if code == -1:  # name the file it hung in: the last line of pytest's progress report
        files = re.findall(r"^(\S+\.(?:py|ipynb)) [.FEsxX]*", text, re.M)
        return f"HUNG in {files[-1]}" if files else "HUNG", False
    if counts is None:
        return f"no summary (exit {code})", False
    found = dict((kind, int(n)) for n, kind in re.findall(r"(\d+) (\w+)", counts))
    order = ("failed", "error", "errors", "passed", "skipped", "xfailed", "xpassed")
    shown = ", ".join(f"{found[k]} {k}" for k in order if k in found)
    return shown or counts, code == 0 and not found.get("failed") and not found.get("errors") and not found.get("error")


def failure_reasons(text: str, top: int = 6) -> list[tuple[str, int]]:
    """The distinct reasons of the failed tests, most frequent first: the first ``E`` line of each
    section under FAILURES / ERRORS (the exception or warning and its message), else its first line."""
    reasons: Counter[str] = Counter()
    section: list[str] | None = None
    sections: list[list[str]] = []
    inside = False
    for line in text.splitlines():
        if re.match(r"^=+ (FAILURES|ERRORS) =+$", line):
            inside = True
            continue
        if inside and re.match(r"^=+ .* =+$", line):
            inside = line.strip("= ") in ("FAILURES", "ERRORS")
            section = None
            continue
        if not inside:
            continue
        if re.match(r"^_+ .+ _+$", line):
            section = []
            sections.append(section)
        elif section is not None:
            section.append(line)
    for lines in sections:
        errors = [line[1:].strip() for line in lines if line.startswith("E ") and line[1:].strip()]
        plain = [line.strip() for line in lines if line.strip()]
        why = (errors or plain or ["(no message)"])[0]
        reasons[re.sub(r"0x[0-9a-fA-F]+", "0x…", why)[:160]] += 1
    return reasons.most_common(top)


def grade(row: Row, command, folder: str, project: Path, env: dict | None, log) -> tuple[float, float] | None:
    """``course grade`` on every notebook of a folder: (points, maximum), or None when it failed. Its
    JSON goes to a file beside the log; the log gets one line per exercise that lost points."""
    code, out = run_step(row, "grade", command(f".venv/bin/course grade {folder}/*.ipynb --format json"),
                         project, env, log, TIMEOUTS["grade"], json_out=True)
    saved = Path(log.name).with_suffix(f".{folder}.json")
    saved.write_text(out)
    try:
        data = json.loads(out)
    except ValueError:
        log.write(f"not JSON (kept in {saved}):\n{out[-3000:]}\n")
        return None
    iso = data.get("isolation", {})
    layers = []
    layers.append("userns" if iso.get("namespaces") else f"NO userns ({iso.get('namespaces_error', '?')})")
    layers.append(
        f"Landlock {iso['landlock_abi']}"
        if iso.get("files_confined")
        else f"NO Landlock ({iso.get('landlock_error', '?')})"
    )
    row.sandbox = ", ".join(layers)
    notebooks = data.get("notebooks", [])
    for notebook in notebooks:
        log.write(f"{notebook['path']}: {notebook['score']:g}/{notebook['max_score']:g}\n")
        for ex in notebook.get("exercises", []):
            if (ex["score"] < ex["max_score"]) if folder == "solutions" else ex["score"] > 0:
                why = ex.get("problem") or "; ".join(f"{f['name']}: {f['message']}" for f in ex.get("findings", [])
                                                     if not f.get("passed"))
                log.write(f"  {ex['exercise_id']} {ex['score']:g}/{ex['max_score']:g} {ex['status']}: {why[:400]}\n")
    log.write(f"(the whole report: {saved})\n")
    if code != 0 or not notebooks:
        return None
    return sum(n["score"] for n in notebooks), sum(n["max_score"] for n in notebooks)


def run_row(row: Row, interpreter: str, root: Path | None, cache: Path, logs: Path, worktree: bool,
            keep: bool, pytest_args: str) -> None:
    work = cache / "work"
    work.mkdir(exist_ok=True)
    project = Path(tempfile.mkdtemp(prefix=f"python{row.python.split()[0]}-", dir=work))
    row.log = logs / f"python{row.python.split()[0]}.log"
    with row.log.open("w") as log:
        log.write(f"# {row.python}: {interpreter}, fresh {'working-tree copy' if worktree else 'clone'} in {project}"
                  + (f", seen as {INSIDE} inside the root\n" if root else "\n"))
        started = time.monotonic()
        try:
            fresh_copy(project, worktree)
        except subprocess.CalledProcessError as exc:
            row.install = f"copy failed: {exc.stderr.decode(errors='replace')[:200]}"
            return
        finally:
            row.seconds["copy"] = time.monotonic() - started
        if root is not None:
            pip_cache = cache / "pip-cache"
            pip_cache.mkdir(exist_ok=True)
            env = None

            def command(inner: str) -> list[str]:
                return bwrap_command(root, project, pip_cache, inner)
        else:
            env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}

            def command(inner: str) -> list[str]:
                return ["sh", "-c", inner]
        try:
            code, _ = run_step(row, "install", command(f"{interpreter} -m venv .venv && .venv/bin/pip install -e ."),
                               project, env, log, TIMEOUTS["install"])
            row.install_ok = code == 0
            row.install = "ok" if code == 0 else ("timed out" if code == -1 else f"FAILED (exit {code})")
            if not row.install_ok:
                return
            code, out = run_step(row, "pytest", command(f".venv/bin/python -c 'import sys; print(sys.version)' && "
                                                        f".venv/bin/pytest {pytest_args}".rstrip()),
                                 project, env, log, TIMEOUTS["pytest"])
            row.version = out.splitlines()[0].split()[0] if out.strip() else "?"
            row.pytest, row.pytest_ok = pytest_summary(out, code)
            row.reasons = failure_reasons(out)
            for folder, attribute in (("solutions", "solutions"), ("exercises", "exercises")):
                points = grade(row, command, folder, project, env, log)
                if points is None:
                    setattr(row, attribute, "grading FAILED")
                    continue
                score, top = points
                setattr(row, attribute, f"{score:g}/{top:g}")
                setattr(row, f"{attribute}_ok", score == top if folder == "solutions" else score == 0)
        finally:
            if not keep:
                started = time.monotonic()
                shutil.rmtree(project, ignore_errors=True)
                row.seconds["cleanup"] = time.monotonic() - started
            log.write(f"\n# wall time {sum(row.seconds.values()):.1f} s: "
                      + ", ".join(f"{k} {v:.1f} s" for k, v in row.seconds.items()) + "\n")


# ----------------------------------------------------------------------------------------- output


def minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 100 else f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


def table(rows: list[Row]) -> str:
    header = ["Python", "install", "pytest", "solutions graded", "untouched exercises graded", "sandbox", "wall time"]
    lines = [header]
    for r in rows:
        mark = "" if r.green else " ✗"
        detail = ", ".join(f"{k} {minutes(v)}" for k, v in r.seconds.items() if k != "copy")
        lines.append([f"{r.version or r.python}{' (host)' if 'host' in r.python else ''}{mark}",
                      f"{r.install} ({minutes(r.seconds['install'])})" if "install" in r.seconds else r.install,
                      r.pytest, r.solutions, r.exercises, r.sandbox, f"{minutes(r.wall)} ({detail})"])
    widths = [max(len(line[c]) for line in lines) for c in range(len(header))]
    out = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |" for line in lines]
    out.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python", action="append", default=[], metavar="VERSION",
                        help="3.13, 3.14, 3.15, host (or the host's version); repeat or separate with commas "
                             "(default: the host's python3 and every Python in the root)")
    parser.add_argument("--worktree", action="store_true",
                        help="test the working tree, uncommitted and untracked (not ignored) files included, "
                             "instead of a clone of HEAD")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get(CACHE_VARIABLE, DEFAULT_CACHE)),
        help=f"where the root, the wheel cache and the logs live (default ${CACHE_VARIABLE} or {DEFAULT_CACHE})",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the root anew even if the cached one is current")
    parser.add_argument("--max-age-days", type=float, default=30,
                        help="rebuild a root older than this, to follow sid's interpreters (default 30; "
                             "the old one is kept if the mirror cannot be reached)")
    parser.add_argument("--build-only", action="store_true", help="build or refresh the root, then exit")
    parser.add_argument("--keep", action="store_true", help="keep each project copy (with its .venv) for a look")
    parser.add_argument("--pytest-args", default="",
                        help="extra arguments for pytest, to re-run a part while fixing (the table then says so)")
    args = parser.parse_args(argv)

    wanted = [v.strip() for value in args.python for v in value.split(",") if v.strip()]
    host_version = "{}.{}".format(*sys.version_info[:2]) if Path(sys.executable).name.startswith("python3") else ""
    host = subprocess.run(["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                          capture_output=True, text=True)
    host_version = host.stdout.strip() if host.returncode == 0 else host_version
    want_host = not wanted or "host" in wanted or host_version in wanted
    want_root = [v for v in wanted if v not in ("host", host_version)]
    unknown = [v for v in want_root if v not in ROOT_PYTHONS]
    if unknown:
        parser.error(f"no Python {', '.join(unknown)} here: the host has {host_version or 'none'}, "
                     f"the {SUITE} root {', '.join(ROOT_PYTHONS)} (3.12 is in no Debian suite reachable here)")

    cache = args.cache
    cache.mkdir(parents=True, exist_ok=True)
    lock = (cache / ".lock").open("w")
    root = None
    started = time.monotonic()
    try:
        if not wanted or want_root or args.build_only:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; no build while another run uses the root
            root = ensure_root(cache, args.rebuild, args.max_age_days)
            fcntl.flock(lock, fcntl.LOCK_SH)
            available = root_pythons(root)
            missing = [v for v in (want_root or ROOT_PYTHONS) if v not in available]
            if missing:
                raise Failure(f"{root} has no python{', python'.join(missing)} (it has {', '.join(available)})")
            say(f"root: {root} ({', '.join('python' + v for v in available)}), ready after "
                f"{time.monotonic() - started:.0f} s")
    except Failure as exc:
        say(f"test_pythons: {exc}")
        return 2
    if args.build_only:
        return 0

    logs = cache / "logs" / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    logs.mkdir(parents=True, exist_ok=True)
    for folder in (cache / "logs").iterdir():  # logs are kept for a week
        if time.time() - folder.stat().st_mtime > 7 * 86400:
            shutil.rmtree(folder, ignore_errors=True)
    if (cache / "work").is_dir():  # copies left by a run that was killed (no run takes a day)
        for folder in (cache / "work").iterdir():
            if time.time() - folder.stat().st_mtime > 86400:
                shutil.rmtree(folder, ignore_errors=True)
    plan: list[tuple[Row, str, Path | None]] = []
    if want_host:
        plan.append((Row(python=f"{host_version} host"), "python3", None))
    for version in want_root or ROOT_PYTHONS:
        plan.append((Row(python=version), f"python{version}", root))
    rows = []
    for row, interpreter, row_root in plan:
        say(f"[{row.python}] fresh {'working-tree copy' if args.worktree else 'clone'}, install, pytest, grade ...")
        run_row(row, interpreter, row_root, cache, logs, args.worktree, args.keep, args.pytest_args)
        say(f"[{row.python}] {'green' if row.green else 'RED'}: install {row.install}, pytest {row.pytest}, "
            f"solutions {row.solutions}, exercises {row.exercises}, {minutes(row.wall)}")
        rows.append(row)

    what = "working tree (uncommitted files included)" if args.worktree else "clone of HEAD"
    command = f"pytest {args.pytest_args}" if args.pytest_args else "pytest (the README's command)"
    print(f"\nThe README's test command on each Python, in a fresh {what}; {command}:\n")
    print(table(rows))
    print()
    for r in rows:
        print(f"{r.version or r.python}: log {r.log}")
        for why, count in r.reasons:
            print(f"    {count:>4} x {why}")
    green = sum(r.green for r in rows)
    print(f"\n{green} green, {len(rows) - green} red, in {minutes(time.monotonic() - started)}")
    # Last, pytest's counts over every row, in the plain form CI logs are read for.
    counts = Counter()
    for r in rows:
        counts.update({kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed)", r.pytest)})
    print(f"pythons: {counts['passed']} passed, {counts['failed']} failed")
    return 0 if green == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
