"""👍 / 👎 on every answer: one vote per member per answer, a second press changes it.

The buttons carry no state: the answer is the interaction that produced the pressed message
(``message.interaction_metadata.id``, the ``interaction_id`` of its query-log row), and the
passages voted on are the ones its "Open n" buttons name, i.e. exactly what the member saw, on
whichever page of results.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from typing import TYPE_CHECKING, Any, Self

import discord
from discord.ext import commands

from bot.discord_bot.exts.moderation import _embeds as show
from bot.discord_bot.respond import in_time
from bot.querylog.database import LogUnavailable
from bot.querylog.scope import OutOfScope, Scope
from bot.querylog.votes import record_vote

if TYPE_CHECKING:
    from bot.discord_bot.client import CorpusBot

log = logging.getLogger(__name__)

VOTE_ROW = 1  # below the "Open n" buttons, beside "More results" when a row has room
OPEN_PREFIX = "cb:open:"
THANKS = {1: "👍 Thanks, noted that this answer helped.", -1: "👎 Thanks, noted that it did not."}


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"cb:vote:(?P<vote>up|down)",
):
    """👍 or 👎 under an answer."""

    def __init__(self, vote: int) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if vote > 0 else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id="cb:vote:up" if vote > 0 else "cb:vote:down",
            ),
            row=VOTE_ROW,
        )
        self.vote = vote

    @classmethod
    def pair(cls) -> list[VoteButton]:
        """👍 and 👎, for the end of an answer's buttons."""
        return [cls(1), cls(-1)]

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from a pressed ``custom_id``."""
        return cls(1 if match["vote"] == "up" else -1)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the vote."""
        cog = interaction.client.get_cog(FeedbackCog.__cog_name__)
        assert isinstance(cog, FeedbackCog)
        await cog.vote(interaction, self.vote)


def cited_passages(message: discord.Message) -> list[str]:
    """The passage ids an answer message cites, from its "Open n" buttons."""
    found: list[str] = []
    for row in message.components:
        for child in getattr(row, "children", []):
            custom_id = getattr(child, "custom_id", None) or ""
            if custom_id.startswith(OPEN_PREFIX):
                found.append(custom_id[len(OPEN_PREFIX) :])
    return found


class FeedbackCog(commands.Cog, name="FeedbackCog"):
    """Stores members' votes on answers."""

    def __init__(self, bot: CorpusBot) -> None:
        self.identities = bot.settings.identities
        self.defer_after = bot.settings.defer_after_seconds
        self.db = bot.log_database

    async def vote(self, interaction: discord.Interaction[Any], vote: int) -> None:
        """Store (or change) the member's vote and tell them, privately."""
        message = interaction.message
        metadata = message.interaction_metadata if message else None
        if message is None or metadata is None:
            await show.reply(interaction, [show.notice("This answer can no longer take votes.")])
            return
        answer_id, passages = metadata.id, cited_passages(message)
        voter = self.identities.key(interaction.user.id)
        scope = Scope.where_asked(interaction.guild_id)

        def work(conn: sqlite3.Connection) -> int | None:
            return record_vote(conn, scope, answer_id, voter, vote, passages)

        try:
            # Another writer can hold the log for seconds: defer rather than miss the deadline.
            previous = await in_time(
                interaction, self.db.write(work), defer_after=self.defer_after, ephemeral=True
            )
        except OutOfScope:
            await show.reply(interaction, [show.notice("This answer can no longer take votes.")])
            return
        except LogUnavailable as error:
            log.error("could not record a vote: %s", error)
            await show.reply(interaction, [show.notice("Sorry, the vote could not be saved.")])
            return
        text = THANKS[vote]
        if previous == vote:
            text = "You had already voted that way; nothing changed."
        elif previous is not None:
            text = "Changed your vote. " + text
        await show.reply(interaction, [show.notice(text)])
