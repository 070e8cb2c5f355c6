"""The corpus of bad submissions: each case is a folder in corpus/, written once, read here.

A case folder holds ``expected.json`` and, usually, ``cells.txt``: the cells that replace a solution's
exercise cells (format: ``synthetic``, beside this module). The submission graded is the committed solution
notebooks of the case's chapters, changed that way, so every exercise the case does not touch must
still earn full marks. ``expected.json`` says, for the exercises it is about, the score and one or
more substrings of the message, and optionally: ``notebooks`` (chapters, default: those the cells
touch), ``delete`` (exercise cells to remove), ``files`` (notebooks to write verbatim), ``requires``
(sandbox layers the case needs, such as ``network_blocked``), ``no_process_left`` and ``no_file_left``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .synthetic import chapters_of, split_cells, write_submission

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
ROOT = HERE.parents[1]


@dataclass(frozen=True)
class Case:
    name: str
    about: str
    cells: list[str]
    chapters: list[str]
    expect: dict[str, dict]
    delete: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    no_process_left: str = ""
    no_file_left: str = ""

    def messages(self, exercise_id: str) -> list[str]:
        wanted = self.expect[exercise_id]["message"]
        return [wanted] if isinstance(wanted, str) else list(wanted)

    def write(self, folder: Path) -> Path:
        originals = [p for c in self.chapters for p in sorted((ROOT / "solutions").glob(f"{c}_*.ipynb"))]
        files = {name: text.encode() for name, text in self.files.items()}
        return write_submission(folder, originals, self.cells, delete=self.delete, replace_files=files)


def load(name: str) -> Case:
    folder = CORPUS / name
    spec = json.loads((folder / "expected.json").read_text())
    cells_file = folder / "cells.txt"
    cells = split_cells(cells_file.read_text()) if cells_file.exists() else []
    touched = chapters_of(cells) | {e[:2] for e in spec.get("delete", ())} | {f[:2] for f in spec.get("files", {})}
    return Case(
        name=name,
        about=spec["about"],
        cells=cells,
        chapters=sorted(spec.get("notebooks", touched)),
        expect=spec["expect"],
        delete=tuple(spec.get("delete", ())),
        files=spec.get("files", {}),
        requires=tuple(spec.get("requires", ())),
        no_process_left=spec.get("no_process_left", ""),
        no_file_left=spec.get("no_file_left", ""),
    )


def names() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if (p / "expected.json").exists())
