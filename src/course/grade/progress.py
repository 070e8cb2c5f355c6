"""A one-line progress bar on a terminal's standard error, and nothing at all anywhere else.

Grading a class takes a minute or two; on a terminal the instructor sees it move. Piped into a file
or run by CI, standard error stays clean (no carriage returns, no partial lines).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class Progress:
    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self.label = label
        self.start = time.monotonic()
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total == 0:
            return
        filled = WIDTH * done // total
        bar = "#" * filled + "-" * (WIDTH - filled)
        elapsed = time.monotonic() - self.start
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} exercises, {elapsed:.0f} s")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")  # erase the bar: the results follow on standard output
            self.stream.flush()
