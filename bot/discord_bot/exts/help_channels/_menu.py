""" "Find in the docs" on any message: the answer /ask would give to what the message asks,
privately, with a button that posts it as a reply to that message.

The interaction carries the message (``resolved.messages``), so no privileged Message Content
intent is needed. A thin shell over the search extension's steps: its rate limit, its log row
(command ``find_in_docs``, and ``post_publicly`` for the reply) and its friendly failures.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.discord_bot import replies
from bot.discord_bot.exts.search._cog import SearchCog
from bot.discord_bot.language import command_text, words_for
from bot.discord_bot.respond import NO_MENTIONS, notice, run_in_time, send
from bot.discord_bot.views import PostPubliclyButton
from bot.i18n.catalog import Messages
from bot.search.questions import question_part
from bot.search.service import SearchResponse, SearchService

_MISSING_PERMISSIONS = 50013
_UNKNOWN_MESSAGE = 10008


class FindInDocsCog(commands.Cog, name="FindInDocsCog"):
    """The "Find in the docs" message command and its "Post publicly" button."""

    def __init__(
        self,
        tree: app_commands.CommandTree[Any],
        settings: Settings,
        search: SearchCog,
        service: Callable[[], SearchService],
    ) -> None:
        self.tree = tree
        self.settings = settings
        self.search = search
        self._current_service = service
        self.menu = app_commands.ContextMenu(
            name=command_text("menu.find_in_docs"), callback=self.find_in_docs
        )

    async def cog_load(self) -> None:
        """Context menus cannot be declared in a cog's body: add it to the tree here."""
        self.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        """Take the menu off the tree with the cog."""
        self.tree.remove_command(self.menu.name, type=self.menu.type)

    async def find_in_docs(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        """The top passages for what the message asks, privately, with "Post publicly"."""
        question = question_part(text_of(message))
        async with self.search.tracked(interaction, "find_in_docs", question) as track:
            words = words_for(interaction)
            if not question:
                track.outcome = "no_results"
                await send(interaction, notice(words("help.no_text")), ephemeral=True)
                return
            self.search.limiter.check(interaction.user.id)
            response = await self._search(interaction, question)
            track.answered_with(response)
            reply = replies.answer(response, self._limit, words)
            if response.hits:
                reply = replies.with_item(reply, PostPubliclyButton(message.id, words))
            await send(interaction, reply, ephemeral=True)

    async def post_publicly(self, interaction: discord.Interaction[Any], message_id: int) -> None:
        """The private answer's question answered again, as a public reply to the message."""
        question = replies.question_of(interaction.message) or ""
        async with self.search.tracked(interaction, "post_publicly", question) as track:
            words = words_for(interaction)
            if not question:
                track.outcome = "no_results"
                await send(interaction, notice(words("answer.no_longer_paged")), ephemeral=True)
                return
            self.search.limiter.check(interaction.user.id)
            response = await self._search(interaction, question)
            track.answered_with(response)
            posted = await self._reply_publicly(interaction, message_id, response, words)
            if posted is None:
                track.outcome = "no_results"
                return
            track.answer_id = posted.id
            await send(interaction, notice(words("help.posted")), ephemeral=True)

    async def _reply_publicly(
        self,
        interaction: discord.Interaction[Any],
        message_id: int,
        response: SearchResponse,
        words: Messages,
    ) -> discord.Message | None:
        """Send the answer as a reply that pings no one, the message's author included; a
        channel the bot cannot post in, or a message deleted meanwhile, is told privately."""
        channel_id = interaction.channel_id
        if channel_id is None:
            return None
        channel = interaction.client.get_partial_messageable(
            channel_id, guild_id=interaction.guild_id
        )
        reference = discord.MessageReference(
            message_id=message_id,
            channel_id=channel_id,
            guild_id=interaction.guild_id,
            fail_if_not_exists=False,
        )
        reply = replies.answer(response, self._limit, words)
        extras: dict[str, Any] = {"view": reply.view} if reply.view is not None else {}
        try:
            sent: discord.Message = await channel.send(
                embeds=reply.embeds,
                reference=reference,
                allowed_mentions=NO_MENTIONS,
                mention_author=False,
                **extras,
            )
        except discord.HTTPException as error:
            known = {
                _MISSING_PERMISSIONS: "help.cannot_post",
                _UNKNOWN_MESSAGE: "help.original_gone",
            }
            if error.code not in known and not isinstance(error, discord.Forbidden):
                raise
            text = words(known.get(error.code, "help.cannot_post"))
            await send(interaction, notice(text), ephemeral=True)
            return None
        return sent

    @property
    def _limit(self) -> int:
        return self.settings.ask_default_results

    async def _search(self, interaction: discord.Interaction[Any], question: str) -> SearchResponse:
        service = self._current_service()
        return await run_in_time(
            interaction,
            partial(service.search, question, limit=self._limit, locale=interaction.locale.value),
            defer_after=self.settings.defer_after_seconds,
            ephemeral=True,
        )


def text_of(message: discord.Message) -> str:
    """What a message says: its text, else its embeds' (another bot's answer, a link preview)."""
    if message.content.strip():
        return message.content
    parts = [part for embed in message.embeds for part in (embed.title, embed.description) if part]
    return "\n".join(parts)
