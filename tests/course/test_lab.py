"""`course lab`: the settings it gives JupyterLab and the command it runs."""

import json
import sys
from pathlib import Path

from course.lab import START_PAGE, lab_command, write_overrides

ROOT = Path(__file__).resolve().parents[2]


def test_overrides_turn_off_the_news_question_and_keep_other_settings(tmp_path):
    path = tmp_path / "share/jupyter/lab/settings/overrides.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}))
    assert write_overrides(tmp_path) == path
    settings = json.loads(path.read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert settings["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    write_overrides(tmp_path)  # idempotent
    assert json.loads(path.read_text()) == settings


def test_the_command_serves_the_course_folder_and_opens_the_start_page():
    command = lab_command(ROOT, ["--no-browser"], as_root=False)
    assert "--allow-root" not in command
    assert "--allow-root" in lab_command(ROOT, [], as_root=True)
    assert command[:4] == [sys.executable, "-m", "jupyter", "lab"]
    assert f"--ServerApp.root_dir={ROOT}" in command and "--no-browser" in command
    assert command[-1] == str(ROOT / START_PAGE) and (ROOT / START_PAGE).is_file()
    assert START_PAGE == "notebooks/00_start.ipynb"


def test_every_notebook_names_the_kernel_the_course_installs():
    """JupyterLab starts a notebook's kernel without asking only if the stored kernelspec is installed.

    A name it cannot find (or none) leaves JupyterLab to guess by language, and with more than one
    Python kernel on the machine it asks the learner with a "Select Kernel" chooser. The course's
    notebooks name `python3`, the kernel ipykernel installs into the course's environment.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    installed = KernelSpecManager().find_kernel_specs()
    paths = sorted(p for folder in ("notebooks", "exercises", "solutions") for p in (ROOT / folder).glob("*.ipynb"))
    assert paths
    for path in paths:
        spec = json.loads(path.read_text())["metadata"].get("kernelspec", {})
        assert spec.get("name") == "python3" and spec.get("language") == "python", f"{path.name}: {spec}"
        assert spec["name"] in installed, f"{path.name}: kernel {spec['name']!r} is not installed"
        assert Path(installed[spec["name"]]).is_relative_to(sys.prefix), "the course's own kernel, not another one"
