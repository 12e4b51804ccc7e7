"""Everything issue 4 adds to the bot, installed in one call from ``setup_hook``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.discord_bot.exts.feedback._cog import FeedbackCog, VoteButton
from bot.discord_bot.exts.moderation._cog import REVIEW_ITEMS, ModerationCog
from bot.discord_bot.exts.privacy._cog import PrivacyCog

if TYPE_CHECKING:
    from bot.discord_bot.client import CorpusBot


async def add_review_features(bot: CorpusBot) -> None:
    """/querylog, the vote buttons, /forget-me and the daily retention run."""
    await bot.add_cog(ModerationCog(bot))
    await bot.add_cog(FeedbackCog(bot))
    await bot.add_cog(PrivacyCog(bot))
    bot.add_dynamic_items(*REVIEW_ITEMS, VoteButton)
