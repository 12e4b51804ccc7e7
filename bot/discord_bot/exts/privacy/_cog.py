"""/forget-me and the retention task: members erase their rows, and old rows go by themselves."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.config import Settings
from bot.discord_bot.language import command_text, words_for
from bot.discord_bot.respond import defer, notice, send
from bot.querylog.actions import Action, record_action
from bot.querylog.clock import cutoff
from bot.querylog.database import LogDatabase, LogUnavailable
from bot.querylog.dialect import LogConnection
from bot.querylog.retention import Deleted, expire, forget

log = logging.getLogger(__name__)

RETENTION_EVERY_HOURS = 24


class PrivacyCog(commands.Cog, name="PrivacyCog"):
    """Deletes what members ask to forget and what is older than the retention period."""

    def __init__(self, settings: Settings, db: LogDatabase) -> None:
        self.settings = settings
        self.identities = settings.identities
        self.db = db

    async def cog_load(self) -> None:
        """Start the daily retention run (its first run is now, at start-up)."""
        if self.settings.query_log_retention_days > 0:
            self.retention.start()

    async def cog_unload(self) -> None:
        """Stop the retention run with the bot."""
        self.retention.cancel()

    @app_commands.command(
        name=command_text("command.forget_me.name"),
        description=command_text("command.forget_me.description"),
    )
    async def forget_me(self, interaction: discord.Interaction[Any]) -> None:
        """Delete the member's rows under every id they may be stored as; never logged itself."""
        keys = self.identities.keys_for(interaction.user.id)
        await defer(interaction, ephemeral=True)
        deleted: Deleted | None = None
        try:
            deleted = await self.db.write_flushed(lambda conn: forget(conn, keys))
        except LogUnavailable as error:
            log.error("forget-me failed: %s", error)
        words = words_for(interaction)
        if deleted is None:
            await send(interaction, notice(words("privacy.unavailable")), ephemeral=True)
            return
        log.info("forget-me: deleted %d queries and %d votes", deleted.queries, deleted.votes)
        text = words("privacy.forgotten", queries=deleted.queries, votes=deleted.votes)
        await send(interaction, notice(text), ephemeral=True)

    @tasks.loop(hours=RETENTION_EVERY_HOURS)
    async def retention(self) -> None:
        """Delete rows older than ``QUERY_LOG_RETENTION_DAYS`` and record that it happened."""
        days = self.settings.query_log_retention_days
        before = cutoff(days)

        def work(conn: LogConnection) -> Deleted:
            deleted = expire(conn, before)
            if deleted.total:
                arguments = {"days": days, "before": before}
                action = Action(
                    "system", 0, "retention", "retention", arguments, affected=deleted.total
                )
                record_action(conn, action)
            return deleted

        try:
            deleted = await self.db.write(work)
        except LogUnavailable as error:
            log.warning("retention: could not delete old rows (next try in 24 h): %s", error)
            return
        log.info(
            "retention (%d days): deleted %d queries, %d votes, %d moderator actions",
            days,
            deleted.queries,
            deleted.votes,
            deleted.actions,
        )
