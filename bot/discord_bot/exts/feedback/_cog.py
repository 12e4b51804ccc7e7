"""👍 / 👎 on every answer: one vote per member per answer, a second press changes it.

The buttons carry no state: the answer is the interaction that produced the pressed message
(``message.interaction_metadata.id``, the ``interaction_id`` of its query-log row; for a message
the bot posted itself, the message's own id, under which it is logged), and the
passages voted on are the ones its "Open n" buttons name, i.e. exactly what the member saw, on
whichever page of results.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.ext import commands

from bot.config import Settings
from bot.discord_bot.language import words_for
from bot.discord_bot.respond import in_time, notice, send
from bot.discord_bot.views import cited_passages
from bot.querylog.database import LogDatabase, LogUnavailable
from bot.querylog.dialect import LogConnection
from bot.querylog.scope import OutOfScope, Scope
from bot.querylog.votes import record_vote

log = logging.getLogger(__name__)

THANKS = {1: "vote.helped", -1: "vote.did_not_help"}


class FeedbackCog(commands.Cog, name="FeedbackCog"):
    """Stores members' votes on answers."""

    def __init__(self, settings: Settings, db: LogDatabase) -> None:
        self.identities = settings.identities
        self.defer_after = settings.defer_after_seconds
        self.db = db

    async def vote(self, interaction: discord.Interaction[Any], vote: int) -> None:
        """Store (or change) the member's vote and tell them, privately."""
        words = words_for(interaction)
        message = interaction.message
        answer_id = _answer_id(message, interaction.client.user)
        if message is None or answer_id is None:
            await send(interaction, notice(words("vote.closed")), ephemeral=True)
            return
        passages = cited_passages(message)
        voter = self.identities.key(interaction.user.id)
        scope = Scope.where_asked(interaction.guild_id)

        def work(conn: LogConnection) -> int | None:
            return record_vote(conn, scope, answer_id, voter, vote, passages)

        try:
            # Another writer can hold the log for seconds: defer rather than miss the deadline.
            previous = await in_time(
                interaction, self.db.write(work), defer_after=self.defer_after, ephemeral=True
            )
        except OutOfScope:
            await send(interaction, notice(words("vote.closed")), ephemeral=True)
            return
        except LogUnavailable as error:
            log.error("could not record a vote: %s", error)
            await send(interaction, notice(words("vote.not_saved")), ephemeral=True)
            return
        text = words(THANKS[vote])
        if previous == vote:
            text = words("vote.unchanged")
        elif previous is not None:
            text = words("vote.changed", thanks=text)
        await send(interaction, notice(text), ephemeral=True)


def _answer_id(message: discord.Message | None, bot: discord.ClientUser | None) -> int | None:
    """The logged id of the answer a vote is on: the interaction that produced the message, or,
    for a message the bot posted itself (a help-forum answer, a "Post publicly" reply), the
    message's own id, under which its row is logged."""
    if message is None:
        return None
    if message.interaction_metadata is not None:
        return message.interaction_metadata.id
    if bot is not None and message.author.id == bot.id:
        return message.id
    return None
