"""A learner's first hour in a real browser: `course lab`, headless Debian Chromium, Run All.

Starts JupyterLab with the course command (127.0.0.1, a free port, a token) in a temporary copy of
notebooks/, exercises/ and solutions/ (Run All saves nothing into the repo), with an empty progress
folder and a temporary HOME and Jupyter config folder. Then it opens the start page, a chapter and an
exercise notebook, runs all cells, and checks what a learner sees: every red output belongs to a cell
tagged `raises-exception`, Run All reached the last cell, `check()` shows its card, `progress()` its
table, and no dialog (a kernel chooser, a news question) opens at any point. Screenshots go to
_build/screenshots/ (docs/browser.md).

Marked `browser`; skipped unless Playwright and /usr/bin/chromium are installed (.ci/run installs
Playwright with the `browser` extra). Playwright never downloads a browser here: it drives Debian's
chromium through `executable_path`.

JupyterLab 4 renders a long notebook "windowed": only cells near the viewport are in the page. The
test turns that off (`windowingMode: none`) in the temporary user settings, so every cell's prompt
and outputs can be read without scrolling.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "_build" / "screenshots"
# Chromium flags for a container/CI machine: --no-sandbox (the user-namespace sandbox cannot start as
# root in a container), --disable-gpu (no GPU, no display), --disable-dev-shm-usage (a small /dev/shm
# crashes tabs), and the rest keep a fresh profile from calling home (no first-run page, no component
# or sync downloads): the machine reaches only package registries.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 240_000  # generous: 2 cores shared with other work; every wait is for a condition

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")  # never fetch a browser of its own
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is missing: pip install -e '.[browser]'")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install chromium"),
]

START_PAGE = "notebooks/00_start.ipynb"
CHAPTER = "notebooks/01_async_basics.ipynb"
EXERCISE = "exercises/01_async_basics.ipynb"

# Records every dialog and toast that ever appears (not only those open at the end), from page load.
WATCH_POPUPS = """
window.__popups = [];
new MutationObserver(() => {
  for (const el of document.querySelectorAll('.jp-Dialog, .Toastify__toast')) {
    if (!el.__seen) { el.__seen = true; window.__popups.push(el.innerText.slice(0, 300)); }
  }
}).observe(document, {childList: true, subtree: true});
"""

# Run All is done: the last code cell left the queue ("[*]") and shows its count, none is queued,
# and the kernel is idle.
# Watches the last cell's prompt from before the click, so a fast run cannot slip past unseen.
WATCH_LAST_PROMPT = """() => {
  const prompts = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt');
  const last = prompts[prompts.length - 1];
  window.__lastQueued = false;
  new MutationObserver(() => { if (last.innerText.includes('*')) window.__lastQueued = true; })
    .observe(last, {childList: true, subtree: true, characterData: true});
}"""
RUN_ALL_DONE = """(n) => {
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
  if (prompts.length !== n || !window.__lastQueued) return false;
  const last = prompts[n - 1].innerText;
  const idle = document.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']");
  return /\\d/.test(last) && !prompts.some(p => p.innerText.includes('*')) && idle !== null;
}"""


# The kernel answered: the status bar reads "Python 3 (ipykernel) | Idle". (The toolbar's execution
# indicator already says idle before the kernel is connected; Run All clicked then runs nothing.)
KERNEL_IDLE = """() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
  .some(item => /\\| Idle$/.test(item.innerText.trim()))"""

FIRST_CELL_RAN = """() => {
  const prompt = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt');
  return prompt !== null && prompt.innerText.trim() === '[1]:';
}"""


def wait(page, path: str, condition: str, arg, what: str) -> None:
    """Wait for a JavaScript condition; on timeout, fail with a screenshot and what the page shows."""
    try:
        page.wait_for_function(condition, arg=arg, polling=200)
    except sync_api.TimeoutError:
        shoot(page, path, "_timeout")
        prompts = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt").all_inner_texts()
        pytest.fail(f"timed out waiting for {what} in {path}: last cell queued={page.evaluate('window.__lastQueued')}, "
                    f"prompts {[p.strip() for p in prompts]}, pop-ups {page.evaluate('window.__popups')}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def code_cells(path: str) -> list[dict]:
    return [c for c in json.loads((ROOT / path).read_text())["cells"] if c["cell_type"] == "code"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`course lab` serving a copy of the course; yields (url, token, time at start, HOME)."""
    home, work = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("course")
    for folder in ("notebooks", "exercises", "solutions"):
        shutil.copytree(ROOT / folder, work / folder)
    shutil.copy2(ROOT / "pyproject.toml", work)  # how `course` finds the course folder
    config = home / "jupyter"
    tracker = config / "lab/user-settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))  # every cell in the page (module docstring)
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "HOME": str(home), "COURSE_STATE_DIR": str(home / "state"),
           "JUPYTER_CONFIG_DIR": str(config), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
    log = (home / "lab.log").open("w")
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "course", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:  # poll the server's status API until it answers
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("JupyterLab did not start:\n" + (home / "lab.log").read_text()[-3000:])
            time.sleep(0.2)  # a poll interval, not a wait for an outcome
    yield url, token, started, home
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield chromium
        chromium.close()


def run_all(browser, url: str, path: str):
    """Open ``url`` as the learner would, Run All from the Run menu; returns the page and code cells."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.add_init_script(WATCH_POPUPS)
    page.goto(url)
    n = len(code_cells(path))
    wait(page, path, "n => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')"
                     ".length === n", n, "the notebook's cells")
    wait(page, path, KERNEL_IDLE, None, "the kernel to start")
    assert page.locator(".jp-NotebookPanel").count() == 1, "a second notebook tab is open"
    page.evaluate(WATCH_LAST_PROMPT)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
    return page, n


def outputs_by_cell(page):
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")
    return [cells.nth(i) for i in range(cells.count())]


def check_run(page, path: str, n: int) -> None:
    """Every red block is an expected failure, Run All reached the end, and no pop-up ever showed."""
    wait(page, path, RUN_ALL_DONE, n, "Run All to finish")
    code = code_cells(path)
    cells = outputs_by_cell(page)
    assert len(cells) == n
    counts = [cell.locator(".jp-InputPrompt").inner_text() for cell in cells]
    # A fresh kernel numbers cells from 1: the last cell's count is n when every cell ran once, in order.
    assert counts[-1].strip() == f"[{n}]:", f"Run All stopped early in {path}: prompts {counts}"
    for i, (cell, stored) in enumerate(zip(cells, code, strict=True)):
        red = cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count()
        expected = "raises-exception" in stored["metadata"].get("tags", [])
        assert red == 0 or expected, (
            f"code cell {i + 1} of {path} shows a red block but is not tagged raises-exception:\n"
            + cell.locator(".jp-OutputArea").inner_text()[:1000])
        if expected:  # an expected failure shows its real error
            assert red >= 1, f"code cell {i + 1} of {path} is tagged raises-exception but shows no error"
    popups = page.evaluate("window.__popups")
    assert popups == [], f"a pop-up greeted the learner in {path}: {popups}"
    assert page.locator(".jp-Dialog").count() == 0


def shoot(page, path: str, suffix: str = "") -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{Path(path).parent.name}_{Path(path).stem}{suffix}.png"))


def test_start_page_runs_and_shows_progress_table(lab, browser, record_property):
    url, _, started, home = lab
    # The page `course lab` opens in the learner's browser: JupyterLab writes it as a redirect file.
    (opener,) = (home / ".local/share/jupyter/runtime").glob("jpserver-file-to-run-*-open.html")
    assert f"/lab/tree/{START_PAGE}?token=" in opener.read_text(), "course lab does not open the start page"
    page, n = run_all(browser, opener.as_uri(), START_PAGE)
    assert page.url.startswith(f"{url}/lab/tree/{START_PAGE}")
    wait(page, START_PAGE, FIRST_CELL_RAN, None, "the first cell's run")
    seconds = time.perf_counter() - started
    record_property("seconds_from_course_lab_to_first_cell_run", round(seconds, 1))
    print(f"\n[timing] `course lab` start -> first cell run in the browser: {seconds:.1f} s")
    check_run(page, START_PAGE, n)
    table = page.locator(".jp-OutputArea-output table.course-progress")
    assert table.count() == 1, "course.progress() did not render its table"
    assert "not started" in table.inner_text()  # an empty progress folder: nothing attempted yet
    shoot(page, START_PAGE)
    table.scroll_into_view_if_needed()
    shoot(page, START_PAGE, "_progress")
    page.close()


def test_chapter_runs_to_the_end_with_only_expected_failures_red(lab, browser):
    url, token, _, _ = lab
    # `&reset`: a fresh workspace, so the tab opened by the test before is not restored beside it
    page, n = run_all(browser, f"{url}/lab/tree/{CHAPTER}?token={token}&reset", CHAPTER)
    check_run(page, CHAPTER, n)
    shoot(page, CHAPTER)
    tagged = [i for i, c in enumerate(code_cells(CHAPTER)) if "raises-exception" in c["metadata"].get("tags", [])]
    outputs_by_cell(page)[tagged[0]].scroll_into_view_if_needed()
    shoot(page, CHAPTER, "_expected_failure")
    page.close()


def test_exercise_runs_and_check_renders_its_card(lab, browser):
    url, token, _, _ = lab
    page, n = run_all(browser, f"{url}/lab/tree/{EXERCISE}?token={token}&reset", EXERCISE)
    check_run(page, EXERCISE, n)
    code = code_cells(EXERCISE)
    checks = [i for i, c in enumerate(code) if "".join(c["source"]).startswith("course.check(")]
    assert checks, "the exercise notebook has no check cell"
    cells = outputs_by_cell(page)
    for i in checks:
        exercise_id = "".join(code[i]["source"]).split('"')[1]
        card = cells[i].locator(".jp-OutputArea-output[data-mime-type='text/html']")
        assert card.count() == 1, f"course.check({exercise_id!r}) rendered no HTML card"
        text = card.inner_text()
        assert exercise_id in text and "points" in text, text
    cells[checks[0]].scroll_into_view_if_needed()
    shoot(page, EXERCISE, "_check")
    page.close()
