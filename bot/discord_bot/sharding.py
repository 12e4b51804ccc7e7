"""The bot over several shards (discord.py's ``AutoShardedBot``), for ``SHARD_COUNT``.

Each shard is one Gateway connection carrying the servers ``(guild_id >> 22) % shard_count``
puts on it; the shards of this process are ``SHARD_IDS`` (all of them when empty). Everything
else, the cogs, the service and the query log, is the unsharded bot's.
"""

from __future__ import annotations

import logging
from pathlib import Path

from discord.ext import commands

from bot.cluster import IdentifyQueue
from bot.config import Settings
from bot.discord_bot.client import CorpusBot
from bot.observability import BotMetrics
from bot.querylog.writer import QueryLog
from bot.search.service import SearchService

log = logging.getLogger(__name__)


class ShardedCorpusBot(CorpusBot, commands.AutoShardedBot):
    """:class:`CorpusBot` on the shards ``settings`` names, taking IDENTIFY turns shared with
    the machine's other bot processes."""

    def __init__(
        self,
        service: SearchService,
        query_log: QueryLog,
        settings: Settings,
        *,
        metrics: BotMetrics | None = None,
    ) -> None:
        if settings.shard_count is None:
            raise ValueError("a sharded bot needs SHARD_COUNT")
        super().__init__(
            service,
            query_log,
            settings,
            metrics=metrics,
            shard_count=settings.shard_count,
            shard_ids=settings.shard_ids or None,
        )
        self.identify_queue = IdentifyQueue(
            identify_lock_folder(settings), settings.shard_identify_seconds
        )
        self.max_concurrency = 1  # Discord's, read from GET /gateway/bot in setup_hook

    async def setup_hook(self) -> None:
        """Read how many sessions may start at once, then set up as the unsharded bot does."""
        limits = await self.fetch_session_start_limits()
        self.max_concurrency = max(1, limits.max_concurrency)
        log.info(
            "shards %s of %d; max_concurrency %d, %d of %d session starts left today",
            ",".join(map(str, self.shard_ids or range(self.shard_count or 0))),
            self.shard_count,
            self.max_concurrency,
            limits.remaining,
            limits.total,
        )
        await super().setup_hook()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait for this shard's IDENTIFY turn, across processes (instead of discord.py's
        fixed 5 s between the shards of one process)."""
        turn = await self.identify_queue.take_turn(shard_id or 0, self.max_concurrency)
        log.info("shard %s: identifying (waited %.1f s for its turn)", shard_id, turn.waited)

    async def on_shard_ready(self, shard_id: int) -> None:
        """Log each shard's READY: which shards a process serves is visible in its log."""
        log.info("shard %d of %s ready", shard_id, self.shard_count)

    async def on_shard_resumed(self, shard_id: int) -> None:
        """Log a shard's RESUME after a dropped connection."""
        log.info("shard %d of %s resumed", shard_id, self.shard_count)


def identify_lock_folder(settings: Settings) -> Path:
    """Where the IDENTIFY lock files live: the index cache folder, which a machine's bot
    processes share already, else the query log's folder."""
    return settings.index_cache_dir or settings.query_log_path.parent


def make_bot(
    service: SearchService,
    query_log: QueryLog,
    settings: Settings,
    *,
    metrics: BotMetrics | None = None,
) -> CorpusBot:
    """The sharded bot when ``SHARD_COUNT`` is set, else the unsharded one."""
    if settings.shard_count is None:
        return CorpusBot(service, query_log, settings, metrics=metrics)
    return ShardedCorpusBot(service, query_log, settings, metrics=metrics)
