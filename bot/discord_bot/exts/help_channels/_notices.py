"""A missing permission in a help channel, told to the server's administrators once per
channel and problem (not an error per post): in the server's system channel when the bot can
post there, else privately to the administrator who enabled the forum."""

from __future__ import annotations

import logging
from typing import Literal

import discord

from bot.discord_bot.respond import NO_MENTIONS, notice
from bot.i18n.catalog import messages_for
from bot.querylog.database import LogDatabase, LogUnavailable
from bot.querylog.forums import claim_notice, forum_enabler

log = logging.getLogger(__name__)

Problem = Literal["cannot_send", "cannot_read_history"]


class PermissionNotices:
    """Tells administrators of a permission the bot lacks, once per channel and problem."""

    def __init__(self, client: discord.Client, db: LogDatabase) -> None:
        self.client = client
        self.db = db

    async def tell(self, forum: discord.ForumChannel, problem: Problem) -> None:
        """Report ``problem`` in ``forum`` unless it was reported before (this run or any)."""
        guild = forum.guild
        try:
            first = await self.db.write(
                lambda conn: claim_notice(conn, guild.id, forum.id, problem)
            )
        except LogUnavailable as error:
            log.error("could not note a permission notice: %s", error)
            return
        if not first:
            return
        words = messages_for(guild.preferred_locale.value)
        text = words(f"help.{problem}", channel=forum.mention)
        log.warning("guild %s, channel %s: %s", guild.id, forum.id, problem)
        if await self._in_system_channel(guild, text) or await self._to_enabler(forum, text):
            return
        log.warning("could not tell guild %s's administrators: %s", guild.id, text)

    async def _in_system_channel(self, guild: discord.Guild, text: str) -> bool:
        channel = guild.system_channel
        if channel is None or not channel.permissions_for(guild.me).send_messages:
            return False
        try:
            await channel.send(embeds=notice(text).embeds, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as error:
            log.warning("system channel of guild %s: %s", guild.id, error)
            return False
        return True

    async def _to_enabler(self, forum: discord.ForumChannel, text: str) -> bool:
        guild = forum.guild
        try:
            enabler = await self.db.read(lambda conn: forum_enabler(conn, guild.id, forum.id))
            if not enabler:  # not a help forum, or its administrator asked to be forgotten
                return False
            user = self.client.get_user(enabler) or await self.client.fetch_user(enabler)
            await user.send(embeds=notice(text).embeds, allowed_mentions=NO_MENTIONS)
        except (LogUnavailable, discord.HTTPException) as error:
            log.warning("could not tell the administrator of forum %s: %s", forum.id, error)
            return False
        return True
