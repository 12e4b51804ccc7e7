""" "Find in the docs" on any message, and answers to new posts in help forums."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.discord_bot.exts.help_channels._forums import HelpForumCommandsCog
from bot.discord_bot.exts.help_channels._menu import FindInDocsCog
from bot.discord_bot.exts.help_channels._posts import ForumPostsCog
from bot.discord_bot.views import PostPubliclyButton

if TYPE_CHECKING:
    from bot.discord_bot.client import CorpusBot


async def setup(bot: CorpusBot) -> None:
    """Add the three cogs (after the search extension, whose steps the menu shares)."""
    search = bot.search
    if search is None:
        raise RuntimeError("the help_channels extension needs the search extension loaded first")
    service = lambda: bot.service  # noqa: E731  (a reload swaps the bot's service)
    await bot.add_cog(FindInDocsCog(bot.tree, bot.settings, search, service))
    await bot.add_cog(HelpForumCommandsCog(bot.log_database))
    await bot.add_cog(
        ForumPostsCog(
            bot, bot.settings, bot.query_log, bot.log_database, service, bot.metrics, bot.answers
        )
    )
    bot.add_dynamic_items(PostPubliclyButton)
