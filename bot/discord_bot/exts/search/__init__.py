"""/ask and /source, and the buttons on their answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.discord_bot.exts.search._cog import SearchCog
from bot.discord_bot.views import SEARCH_ITEMS

if TYPE_CHECKING:
    from bot.discord_bot.client import CorpusBot


async def setup(bot: CorpusBot) -> None:
    """Add the search cog (it reads the bot's current service, which a reload swaps)."""
    await bot.add_cog(
        SearchCog(bot.settings, bot.query_log, lambda: bot.service, bot.metrics, bot.answers)
    )
    bot.add_dynamic_items(*SEARCH_ITEMS)
