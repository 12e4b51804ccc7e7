"""/reload: administrators rebuild the index now and see what changed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_bot import replies
from bot.discord_bot.respond import defer, send
from bot.render import escape_markdown

if TYPE_CHECKING:
    from bot.discord_bot.client import CorpusBot

log = logging.getLogger(__name__)


class AdminCog(commands.Cog, name="AdminCog"):
    """Commands for server administrators."""

    def __init__(self, bot: CorpusBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="reload", description="Reload the corpus now and report what changed"
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(administrator=True)
    async def reload(self, interaction: discord.Interaction[Any]) -> None:
        """Rebuild the index from the corpus folder (the folder is also watched)."""
        # default_permissions only hides the command; server admins can change that, so the
        # permission is checked again here.
        if not interaction.permissions.administrator:
            await send(
                interaction,
                replies.notice("Only server administrators can reload the corpus."),
                ephemeral=True,
            )
            return
        await defer(interaction, ephemeral=True)
        try:
            report = await self.bot.reloader.reload()
        except Exception as error:
            cog = self.bot.get_cog("SearchCog")
            error_id = await cog.report_error(interaction, error) if cog else "-"  # type: ignore[attr-defined]
            log.error("reload failed (error %s)", error_id)
            return
        # Ids keep underscores (release_notes_v2), which Markdown would turn into italics.
        await send(interaction, replies.notice(escape_markdown(report.describe())), ephemeral=True)
