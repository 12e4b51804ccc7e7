"""Each Gateway shard's state, for readiness and metrics, with one shard or several."""

from __future__ import annotations

import discord

from bot.observability import ShardState


def shard_states(client: discord.Client) -> dict[int, ShardState]:
    """Every shard this process runs, by shard id: an :class:`discord.AutoShardedClient`'s
    shards, or a plain client's one connection (shard 0 unless it was given another)."""
    ready = client.is_ready() and not client.is_closed()
    if isinstance(client, discord.AutoShardedClient):
        return {
            shard_id: ShardState(ready and not shard.is_closed(), shard.latency)
            for shard_id, shard in client.shards.items()
        }
    ws = client.ws
    if ws is None:
        return {}
    return {client.shard_id or 0: ShardState(ready and ws.open, ws.latency)}
