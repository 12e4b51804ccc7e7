"""A one-line progress report for slow snapshot builds."""

from __future__ import annotations

import sys
import time
from typing import IO


class Progress:
    """A one-line progress report on stderr (documents, passages, rate, ETA) for slow builds.

    The documents are read as a stream, so progress and ETA are measured in text: characters
    done against ``expected_chars`` (the corpus files' size, so an estimate). Silent for the
    first second, so small corpora print nothing; on a terminal the line is redrawn in place,
    elsewhere (logs) a line is written every ten seconds.
    """

    def __init__(
        self, expected_chars: int, *, enabled: bool | None, stream: IO[str] | None = None
    ) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._enabled = self._tty if enabled is None else enabled
        self._expected = max(expected_chars, 1)
        self._documents = 0
        self._passages = 0
        self._chars = 0
        self._started = time.monotonic()
        self._shown = 0.0

    def update(self, documents: int, passages: int, chars: int) -> None:
        """Count finished documents, passages and characters of text; redraw when due."""
        self._documents += documents
        self._passages += passages
        self._chars += chars
        now = time.monotonic()
        interval = 0.5 if self._tty else 10.0
        if self._enabled and now - self._started > 1.0 and now - self._shown >= interval:
            self._shown = now
            self._draw(now)

    def _draw(self, now: float, final: bool = False) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = self._passages / elapsed
        share = min(self._chars / self._expected, 0.99)
        left = elapsed * (1 - share) / max(share, 1e-9)
        eta = f"done in {elapsed:,.0f} s" if final else f"{share:.0%}, ETA {left:,.0f} s"
        line = (
            f"indexing: {self._documents:,} documents, {self._passages:,} passages, "
            f"{rate:,.0f} passages/s, {eta}"
        )
        end = "\n" if final or not self._tty else ""
        self._stream.write(("\r" if self._tty else "") + line + end)
        self._stream.flush()

    def close(self) -> None:
        """Finish the line if anything was shown."""
        if self._shown:
            self._draw(time.monotonic(), final=True)
