"""``course lab``: open the course in JupyterLab, settled for a first-time learner.

JupyterLab asks a new user whether to fetch Jupyter news; a course's learner has no use for the
question, so the virtual environment's settings overrides answer it. The start page opens: what the
course covers, the chapter map, and how to check an exercise and see progress.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
START_PAGE = "notebooks/00_start.ipynb"


def write_overrides(prefix: Path = Path(sys.prefix)) -> Path:
    """Merge the course's settings into ``<prefix>/share/jupyter/lab/settings/overrides.json``."""
    path = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    current = json.loads(path.read_text()) if path.exists() else {}
    for plugin, values in OVERRIDES.items():
        current.setdefault(plugin, {}).update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current, indent=2) + "\n")
    return path


def lab_command(root: Path, extra: list[str], *, as_root: bool | None = None) -> list[str]:
    """``jupyter lab`` serving the course folder and opening the start page.

    As root (a container, a teaching VM), JupyterLab refuses to start without ``--allow-root``; a
    learner there has no other account to switch to, so the course passes it.
    """
    as_root = (os.geteuid() == 0) if as_root is None else as_root
    root_flag = ["--allow-root"] if as_root else []
    return [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        f"--ServerApp.root_dir={root}",
        *root_flag,
        *extra,
        str(root / START_PAGE),
    ]


def open_lab(root: Path, extra: list[str]) -> int:
    write_overrides()
    command = lab_command(root, extra)
    os.execv(command[0], command)  # JupyterLab takes over this process; Ctrl-C stops it
    return 0  # pragma: no cover - execv does not return
