"""Build the course as a static website: chapters, exercises (never solutions) and docs.

    python scripts/build_site.py            # -> _build/site/index.html (git-ignored)
    python scripts/build_site.py --out DIR

Needs the site tools: `pip install -e '.[site]'` (Sphinx, MyST-NB, the book theme; docs/site.md says
why this stack). The pages show the notebooks' stored outputs; nothing is executed. The build copies
what the site shows into a staging folder (_build/site-src) beside a generated index page, so the
site can never pick up solutions/, the toolkit's sources or anything else in the repository, then
runs Sphinx on it. It prints the time taken, the size of the result and Sphinx's warning count.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE_CONFIG = ROOT / "site"
SECTIONS = (  # (folder, caption, pattern): what the site shows, in this order
    ("notebooks", "Chapters", "[0-9][0-9]_*.ipynb"),
    ("exercises", "Exercises", "[0-9][0-9]_*.ipynb"),
    ("docs", "Docs", "*.md"),
)
START = "notebooks/00_start"

INDEX = """# Testing Async Python

An interactive course on testing asynchronous Python code with pytest: notebooks that run, exercises
that grade themselves, and an example package worth testing. This site shows every chapter and
exercise notebook with its stored outputs, exactly as a learner first opens them. To run the cells,
check your answers and see your progress, clone the repository and run its course command (the README
says how). Cells that fail on purpose, to show a real mistake and its real error, are marked in red.

Start with [the start page]({start}.ipynb).
"""


def stage(target: Path) -> list[str]:
    """Copy the site's sources into ``target``; the documents, without suffix, in toctree order."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SITE_CONFIG, target, ignore=shutil.ignore_patterns("__pycache__"))
    documents: list[str] = []
    toctrees = []
    for folder, caption, pattern in SECTIONS:
        files = sorted((ROOT / folder).glob(pattern))
        if not files:
            continue
        (target / folder).mkdir()
        entries = []
        for path in files:
            shutil.copy2(path, target / folder / path.name)
            name = f"{folder}/{path.stem}"
            documents.append(name)
            entries.append(name)
        if folder == "notebooks" and START in entries:  # the start page heads the chapters
            entries.remove(START)
            entries.insert(0, START)
        toctrees.append(f"```{{toctree}}\n:caption: {caption}\n:maxdepth: 1\n\n" + "\n".join(entries) + "\n```\n")
    (target / "index.md").write_text(INDEX.format(start=START) + "\n" + "\n".join(toctrees), encoding="utf-8")
    return documents


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build(out: Path, *, quiet: bool = False) -> tuple[int, list[str], str]:
    """Stage and build; Sphinx's exit code, the documents built, and its warnings."""
    source = out.parent / f"{out.name}-src"
    documents = stage(source)
    if out.exists():
        shutil.rmtree(out)
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        "--keep-going",
        "-d",
        str(out.parent / f"{out.name}-doctrees"),
        str(source),
        str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if not quiet and result.stdout:
        print(result.stdout, end="")
    return result.returncode, documents, result.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "_build" / "site", help="where the site goes (default _build/site)"
    )
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    code, documents, warnings = build(out)
    seconds = time.perf_counter() - started
    if warnings:
        print(warnings, end="", file=sys.stderr)
    missing = [d for d in documents if not (out / f"{d}.html").is_file()]
    warning_count = sum(1 for line in warnings.splitlines() if "WARNING" in line or "ERROR" in line)
    print(f"site: {len(documents)} pages in {out} ({folder_size(out) / 1024**2:.1f} MiB) in {seconds:.1f} s; "
          f"{warning_count} Sphinx warnings")
    if code != 0 or missing:
        print(
            f"site: build failed (sphinx exit code {code}; missing pages: {', '.join(missing) or 'none'})",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
