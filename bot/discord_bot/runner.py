"""Start the bot (``corpusbot run``) or push its commands (``corpusbot sync``)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from functools import partial

import discord

from bot.config import Settings
from bot.discord_bot.client import CorpusBot
from bot.discord_bot.endpoints import point_discord_py_at
from bot.discord_bot.full_build import BuildFailed, FullBuilds
from bot.discord_bot.sharding import make_bot
from bot.discord_bot.shards import shard_states
from bot.observability import BotMetrics, MetricsServer, Readiness, metrics_port
from bot.querylog.writer import QueryLog
from bot.search.loading import load_service, plan_service
from bot.search.service import SearchService

log = logging.getLogger(__name__)

# On SIGTERM, how long interactions being answered may take to finish before the bot
# disconnects; with the query log's own flush this stays within the 10 s that service managers
# (systemd, Docker) give before killing.
FINISH_SECONDS = 5.0

MISSING_TOKEN = """\
DISCORD_TOKEN is not set.
Create an application at https://discord.com/developers/applications, open "Bot", press
"Reset Token" and copy it; then put it in a .env file in this folder:

    DISCORD_TOKEN=your-token-here

(or export DISCORD_TOKEN in the environment). .env is ignored by git; never commit the token."""


# Gateway close codes about sharding, and what to change; Discord does not reconnect after them.
SHARDING_CLOSE_CODES = {
    4010: "Discord refused the shard (4010 Invalid shard): SHARD_IDS must be below SHARD_COUNT",
    4011: "Discord requires sharding (4011): set SHARD_COUNT, e.g. to the shards GET "
    "/gateway/bot recommends, or run `corpusbot run --shard-count N --processes P`",
}


def token_or_none(settings: Settings) -> str | None:
    """The bot token, or ``None`` with the explanation printed."""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        print(MISSING_TOKEN)
        return None
    return token


def run(settings: Settings) -> int:
    """Run the bot until SIGINT/SIGTERM; returns the exit status."""
    token = token_or_none(settings)
    if token is None:
        return 2
    port = (
        None if settings.metrics_port is None else metrics_port(settings.metrics_port, os.environ)
    )
    point_discord_py_at(settings.discord_api_base, settings.discord_gateway_url)
    return asyncio.run(_serve_observed(settings, token, port))


async def _serve_observed(settings: Settings, token: str, port: int | None) -> int:
    """Serve the metrics port (when asked for) from before the corpus loads, so ``/readyz``
    says "not ready" meanwhile, until the bot has stopped."""
    metrics, readiness = BotMetrics(), Readiness()
    server = None
    if port is not None:
        server = MetricsServer(metrics, readiness)
        await server.start(settings.metrics_host, port)
    try:
        return await _serve(settings, token, metrics, readiness)
    finally:
        if server is not None:
            await server.stop()


async def _serve(settings: Settings, token: str, metrics: BotMetrics, readiness: Readiness) -> int:
    service = await _loaded_at_start(settings)
    if service is None:
        return 0
    query_log = QueryLog(
        settings.query_log_path,
        backend=settings.log_backend,
        flush_interval=settings.query_log_flush_seconds,
        max_buffered=settings.query_log_max_buffered_rows,
    )
    await query_log.start()
    bot = make_bot(service, query_log, settings, metrics=metrics)
    _observe(bot, metrics, readiness)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stop_now() -> None:
        readiness.stopping = True  # /readyz says so from the signal on: send no new traffic
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop_now)
    status = 0
    try:
        async with bot:
            running = asyncio.create_task(bot.start(token), name="discord")
            stopping = asyncio.create_task(stop.wait(), name="stop-signal")
            done, _ = await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if stopping in done:
                log.info("stopping: closing the Gateway connection and flushing the query log")
                await bot.finish_interactions(patience=FINISH_SECONDS)
            await bot.close()
            stopping.cancel()
            if running in done:
                running.result()
    except discord.LoginFailure:
        log.error(
            "Discord rejected DISCORD_TOKEN; reset it in the developer portal and update .env"
        )
        status = 1
    except discord.ConnectionClosed as error:
        if error.code not in SHARDING_CLOSE_CODES:
            raise
        log.error("%s", SHARDING_CLOSE_CODES[error.code])
        status = 1
    finally:
        readiness.stopping = True
        await query_log.close()
        log.info("query log: %s", query_log.summary())
    return status


async def _loaded_at_start(settings: Settings) -> SearchService | None:
    """The corpus's service, before the bot connects. A corpus that must be built in full is
    built by a child process into the index cache when that is worth it (see
    :meth:`FullBuilds.wanted`, as for a reload), and the bot maps the build: it keeps the
    index's pages, not the build's memory (at a million passages 195 MB resident against 470).
    ``None`` when SIGINT or SIGTERM stopped the child's build, which is stopped with the bot."""
    builds = FullBuilds(settings)
    plan = await asyncio.to_thread(plan_service, settings)
    if not builds.wanted_for(plan):
        # Loaded at once, from the files the plan listed: not listed a second time.
        return await asyncio.to_thread(partial(load_service, settings, listing=plan.listing))
    loop = asyncio.get_running_loop()
    build = asyncio.ensure_future(builds.build())
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, build.cancel)
    try:
        await build
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
        log.info("stopped during the start-up build; its child process is stopped too")
        return None
    except (BuildFailed, OSError) as error:
        # The bot's own build then tells what is wrong with the corpus, or succeeds where
        # the child could not (no process to spare, a cache folder it could not write).
        log.warning("%s; building in the bot's own process instead", error)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    # Listed afresh: files may have changed during the child's build.
    return await asyncio.to_thread(load_service, settings)


def _observe(bot: CorpusBot, metrics: BotMetrics, readiness: Readiness) -> None:
    """Point the metrics and readiness at the running bot: its log, its index, its shards."""

    def index_size() -> tuple[int, int]:
        summary = bot.service.summary  # the current one: a reload swaps it
        return summary.documents, summary.passages

    metrics.live.query_log = bot.query_log
    metrics.live.index = index_size
    metrics.live.shards = readiness.shards = partial(shard_states, bot)
    readiness.index_loaded = True


def sync(settings: Settings, guild_id: int | None) -> int:
    """Log in over HTTP only, push the command definitions, and exit."""
    token = token_or_none(settings)
    if token is None:
        return 2
    point_discord_py_at(settings.discord_api_base, settings.discord_gateway_url)
    return asyncio.run(_sync(settings, token, guild_id))


async def _sync(settings: Settings, token: str, guild_id: int | None) -> int:
    service = await asyncio.to_thread(load_service, settings)
    query_log = QueryLog(settings.query_log_path, backend=settings.log_backend)
    await query_log.start()
    bot = CorpusBot(service, query_log, settings.model_copy(update={"auto_sync": False}))
    try:
        async with bot:
            await bot.login(token)
            count = await bot.sync_commands(guild_id)
    except discord.LoginFailure:
        log.error(
            "Discord rejected DISCORD_TOKEN; reset it in the developer portal and update .env"
        )
        return 1
    finally:
        await query_log.close()
    where = (
        f"guild {guild_id}" if guild_id else "all servers (global; may take up to an hour to show)"
    )
    print(f"synced {count} commands to {where}")
    return 0
