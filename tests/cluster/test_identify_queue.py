"""IDENTIFY turns across processes: one bucket's turns are spaced by the interval, whichever
process takes them; other buckets do not wait for it."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cluster import IdentifyQueue
from bot.cluster.identify_queue import TRIP_MARGIN_SECONDS

pytestmark = pytest.mark.timeout(60)

INTERVAL = 0.3
# Each process takes one turn for its shard and prints the wall time it got it.
TAKE_TURN = """
import asyncio, sys, time
from pathlib import Path
from bot.cluster import IdentifyQueue
folder, shard, concurrency = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
queue = IdentifyQueue(folder, float(sys.argv[4]))
print(asyncio.run(queue.take_turn(shard, concurrency)).at)
"""


def turns(folder: Path, shards: list[int], max_concurrency: int) -> list[float]:
    """The times processes, one per shard and started together, got their turns."""
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                TAKE_TURN,
                str(folder),
                str(shard),
                str(max_concurrency),
                str(INTERVAL),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for shard in shards
    ]
    return sorted(float(process.communicate(timeout=30)[0]) for process in processes)


def test_one_buckets_turns_are_spaced_across_processes(tmp_path: Path) -> None:
    times = turns(tmp_path, [0, 1, 2, 3], max_concurrency=1)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= INTERVAL + TRIP_MARGIN_SECONDS - 0.001  # the file keeps microseconds
    assert (tmp_path / ".identify-0.lock").stat().st_mode & 0o777 == 0o600


async def test_other_buckets_take_their_turns_at_once(tmp_path: Path) -> None:
    queue = IdentifyQueue(tmp_path, interval_seconds=30)
    for shard in range(4):  # four buckets, none waits 30 s for another
        assert (await queue.take_turn(shard, max_concurrency=4)).waited < 20
    # bucket 0 again, with no interval: no wait either
    assert (await IdentifyQueue(tmp_path, interval_seconds=0).take_turn(4, 4)).waited < 20
