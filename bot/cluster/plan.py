"""Which shards each process runs."""

from __future__ import annotations

from collections.abc import Sequence


def split_shards(shard_ids: Sequence[int], processes: int) -> list[list[int]]:
    """``shard_ids`` in ``processes`` contiguous runs as even as they can be (the first ones one
    longer): ``split_shards(range(5), 2)`` is ``[[0, 1, 2], [3, 4]]``."""
    if processes < 1:
        raise ValueError("--processes must be at least 1")
    if len(shard_ids) < processes:
        raise ValueError(
            f"{processes} processes need at least {processes} shards, one each; "
            f"{len(shard_ids)} given (--shard-count, --shard-ids)"
        )
    size, extra = divmod(len(shard_ids), processes)
    runs: list[list[int]] = []
    start = 0
    for index in range(processes):
        end = start + size + (1 if index < extra else 0)
        runs.append(list(shard_ids[start:end]))
        start = end
    return runs
