"""Several bot processes on one machine: shards split between them, a supervisor that starts
and restarts them, and the IDENTIFY turns they share."""

from bot.cluster.identify_queue import IdentifyQueue, Turn
from bot.cluster.plan import split_shards

__all__ = ["IdentifyQueue", "Turn", "split_shards"]
