"""/forget-me and the daily retention run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.discord_bot.exts.privacy._cog import PrivacyCog

if TYPE_CHECKING:
    from bot.discord_bot.client import CorpusBot


async def setup(bot: CorpusBot) -> None:
    """Add the privacy cog (its retention run starts as it loads)."""
    await bot.add_cog(PrivacyCog(bot.settings, bot.log_database))
