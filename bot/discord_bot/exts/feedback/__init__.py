"""👍 / 👎 on every answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.discord_bot.exts.feedback._cog import FeedbackCog
from bot.discord_bot.views import VoteButton

if TYPE_CHECKING:
    from bot.discord_bot.client import CorpusBot


async def setup(bot: CorpusBot) -> None:
    """Add the feedback cog and its vote buttons."""
    await bot.add_cog(FeedbackCog(bot.settings, bot.log_database))
    bot.add_dynamic_items(VoteButton)
