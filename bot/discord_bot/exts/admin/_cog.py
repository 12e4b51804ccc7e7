"""/reload: administrators rebuild the index now and see what changed."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_bot.access import is_administrator
from bot.discord_bot.language import command_text, words_for
from bot.discord_bot.reloader import CorpusReloader, ReloadRefused, ReloadReport, ReloadTimeout
from bot.discord_bot.respond import defer, notice, report_error, send
from bot.present.markdown import escape_markdown

log = logging.getLogger(__name__)


class AdminCog(commands.Cog, name="AdminCog"):
    """Commands for server administrators."""

    def __init__(self, reloader: CorpusReloader) -> None:
        self.reloader = reloader

    @app_commands.command(
        name=command_text("command.reload.name"),
        description=command_text("command.reload.description"),
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(administrator=True)
    async def reload(self, interaction: discord.Interaction[Any]) -> None:
        """Rebuild the index from the corpus folder (the folder is also watched)."""
        # default_permissions only hides the command; server admins can change that, so the
        # permission is checked again here.
        words = words_for(interaction)
        if not is_administrator(interaction):
            text = words("reload.administrators_only")
            await send(interaction, notice(text), ephemeral=True)
            return
        await defer(interaction, ephemeral=True)
        reloader = self.reloader
        reloading = asyncio.ensure_future(reloader.reload())
        try:
            # A reply is due within 15 minutes whatever the build does, and the time limit
            # bounds both the wait for a reload already running and this one's build.
            report = await asyncio.wait_for(asyncio.shield(reloading), reloader.timeout_seconds)
        except (TimeoutError, ReloadTimeout):
            reloading.add_done_callback(_log_failure)
            text = words("reload.timed_out", seconds=f"{reloader.timeout_seconds:g}")
            await send(interaction, notice(text), ephemeral=True)
            return
        except ReloadRefused as refused:
            text = words("reload.refused", reason=refused)
            await send(interaction, notice(text), ephemeral=True)
            return
        except Exception as error:
            error_id = await report_error(interaction, error)
            log.error("reload failed (error %s)", error_id)
            return
        # Ids keep underscores (release_notes_v2), which Markdown would turn into italics.
        text = escape_markdown(report.describe(words))
        await send(interaction, notice(text), ephemeral=True)


def _log_failure(reloading: asyncio.Future[ReloadReport]) -> None:
    """The end of a reload /reload stopped waiting for: a failure is logged, not lost."""
    error = None if reloading.cancelled() else reloading.exception()
    if error is not None and not isinstance(error, ReloadTimeout | ReloadRefused):
        log.error("a reload /reload stopped waiting for failed", exc_info=error)
