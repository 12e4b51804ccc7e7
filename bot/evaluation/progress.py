"""A one-line progress report on stderr for long evaluation runs (no extra dependency)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``label: done/total (rate/s)``, redrawn in place on a terminal, a few lines otherwise."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self._last_draw = 0.0
        self._last_quarter = 0
        self._tty = self.stream.isatty()

    def __call__(self, done: int) -> None:
        """Report ``done`` items finished; cheap enough to call for every item."""
        now = time.perf_counter()
        if self._tty:
            if now - self._last_draw >= 0.2 or done == self.total:
                self._last_draw = now
                end = "\n" if done == self.total else ""
                print(f"\r{self._line(done, now)}", end=end, file=self.stream, flush=True)
            return
        quarter = 4 * done // max(1, self.total)
        if quarter > self._last_quarter:
            self._last_quarter = quarter
            print(self._line(done, now), file=self.stream, flush=True)

    def _line(self, done: int, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        return f"{self.label}: {done}/{self.total} ({done / elapsed:,.0f}/s)"
