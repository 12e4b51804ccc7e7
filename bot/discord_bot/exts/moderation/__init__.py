"""/querylog: moderators review the query log in Discord."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.discord_bot.exts.moderation._cog import ModerationCog
from bot.discord_bot.views import MODERATION_ITEMS

if TYPE_CHECKING:
    from bot.discord_bot.client import CorpusBot


async def setup(bot: CorpusBot) -> None:
    """Add the /querylog group and its page and purge buttons."""
    await bot.add_cog(ModerationCog(bot.settings, bot.log_database))
    bot.add_dynamic_items(*MODERATION_ITEMS)
