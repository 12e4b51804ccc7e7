"""/reload, for server administrators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.discord_bot.exts.admin._cog import AdminCog

if TYPE_CHECKING:
    from bot.discord_bot.client import CorpusBot


async def setup(bot: CorpusBot) -> None:
    """Add the admin cog over the bot's corpus reloader."""
    await bot.add_cog(AdminCog(bot.reloader))
