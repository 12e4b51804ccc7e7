"""Readiness: the index is loaded and every Gateway shard is connected."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ShardState:
    """One Gateway shard as the bot sees it: connected or not, and its heartbeat latency."""

    connected: bool
    latency_seconds: float


def no_shards() -> Mapping[int, ShardState]:
    """Before the bot exists there is no Gateway connection at all."""
    return {}


@dataclass(slots=True)
class Readiness:
    """What ``/readyz`` answers from; the runner updates it as the process starts and stops."""

    index_loaded: bool = False
    stopping: bool = False
    shards: Callable[[], Mapping[int, ShardState]] = field(default=no_shards)

    def problems(self) -> list[str]:
        """Why the process should not be sent traffic yet; empty when it is ready."""
        if self.stopping:
            return ["stopping"]
        if not self.index_loaded:
            return ["index not loaded"]
        shards = self.shards()
        if not shards:
            return ["gateway not connected"]
        return [
            f"shard {shard_id} not connected"
            for shard_id, state in sorted(shards.items())
            if not state.connected
        ]
