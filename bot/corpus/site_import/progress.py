"""A one-line progress report for a site import, in the style of the snapshot build's."""

from __future__ import annotations

import sys
import time
from typing import IO


class ImportProgress:
    """Pages done of those known, new/changed/failed counts, rate and ETA, on one line.

    Silent for the first second, so a small import prints nothing; on a terminal the line is
    redrawn in place, elsewhere (logs) a line is written every ten seconds."""

    def __init__(self, *, enabled: bool | None, stream: IO[str] | None = None) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._enabled = self._tty if enabled is None else enabled
        self._started = time.monotonic()
        self._shown = 0.0
        self.done = 0
        self.known = 0
        self.written = 0
        self.failed = 0

    def update(self, *, done: int, known: int, written: int, failed: int) -> None:
        """Record the counts so far; redraw when due."""
        self.done, self.known, self.written, self.failed = done, known, written, failed
        now = time.monotonic()
        interval = 0.5 if self._tty else 10.0
        if self._enabled and now - self._started > 1.0 and now - self._shown >= interval:
            self._shown = now
            self._draw(now)

    def _draw(self, now: float, final: bool = False) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        left = (self.known - self.done) / rate if rate else 0.0
        eta = f"done in {elapsed:,.0f} s" if final else f"ETA {left:,.0f} s"
        line = (
            f"importing: {self.done:,}/{self.known:,} pages, {self.written:,} written, "
            f"{self.failed:,} failed, {rate:,.1f} pages/s, {eta}"
        )
        end = "\n" if final or not self._tty else ""
        self._stream.write(("\r\x1b[K" if self._tty else "") + line + end)
        self._stream.flush()

    def close(self) -> None:
        """Finish the line if anything was shown."""
        if self._shown:
            self._draw(time.monotonic(), final=True)
