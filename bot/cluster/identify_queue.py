"""IDENTIFY turns shared by every process of a machine: one per bucket per interval.

Discord lets a bot start ``max_concurrency`` sessions every 5 seconds, one per bucket
(``shard_id % max_concurrency``); an IDENTIFY past that is refused (op 9). discord.py spaces the
shards of one process, but P processes started together would each IDENTIFY their first shard
at once. A lock file per bucket serialises the turns across processes; it holds the time of the
bucket's last IDENTIFY, so a turn waits until the interval since then has passed.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

# The IDENTIFY leaves after the turn is taken; this covers its trip, so two IDENTIFYs arrive at
# least the interval apart even when the earlier one was slower on its way.
TRIP_MARGIN_SECONDS = 0.5


class Turn(NamedTuple):
    """An IDENTIFY turn: when it was taken (wall clock) and how long it was waited for."""

    at: float
    waited: float


class IdentifyQueue:
    """Hands out IDENTIFY turns through lock files in ``folder``, shared by processes."""

    def __init__(self, folder: Path, interval_seconds: float) -> None:
        self.folder = folder
        self.interval_seconds = interval_seconds

    def lock_path(self, bucket: int) -> Path:
        """The lock file of one bucket."""
        return self.folder / f".identify-{bucket}.lock"

    async def take_turn(self, shard_id: int, max_concurrency: int) -> Turn:
        """Wait for this shard's bucket to be free, and take its turn."""
        bucket = shard_id % max(1, max_concurrency)
        return await asyncio.to_thread(self._take_turn, bucket)

    def _take_turn(self, bucket: int) -> Turn:
        self.folder.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        descriptor = os.open(self.lock_path(bucket), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the descriptor is closed
            last = _read_time(descriptor)
            spacing = self.interval_seconds + TRIP_MARGIN_SECONDS if self.interval_seconds else 0
            # The wall clock, as it is what processes share; capped, so a clock set back does
            # not stall the turn.
            wait = min(last + spacing - time.time(), spacing)
            if wait > 0:
                time.sleep(wait)
            taken = time.time()
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, f"{taken:.6f}".encode(), 0)
        finally:
            os.close(descriptor)
        return Turn(taken, time.monotonic() - started)


def _read_time(descriptor: int) -> float:
    """The time a lock file holds; 0 when it is new or unreadable."""
    try:
        return float(os.pread(descriptor, 64, 0).decode() or 0)
    except ValueError:
        return 0.0
