"""The one way the bot answers an interaction, whatever state it is in: fresh, deferred, or
already acknowledged; a new message, an update of the pressed one, or files.

Every cog and button sends through :func:`send` (a short message is a :func:`notice`), and
reports an unexpected failure with :func:`report_error`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import discord

from bot.discord_bot.language import words_for
from bot.discord_bot.style import COLOUR, DESCRIPTION_LIMIT

log = logging.getLogger(__name__)
T = TypeVar("T")

NO_MENTIONS = discord.AllowedMentions.none()
_ALREADY_ACKNOWLEDGED = 40060
_UNKNOWN_INTERACTION = 10062
_DEFERRED = "corpusbot.deferred"  # interaction.extras: a deferral that went through behind a 5xx


@dataclass(slots=True)
class Reply:
    """One message: embeds, an optional view of buttons, and files to attach."""

    embeds: list[discord.Embed]
    view: discord.ui.View | None = None
    items: list[discord.ui.Item[Any]] = field(default_factory=list)
    files: list[discord.File] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.items and self.view is None:
            self.view = discord.ui.View(timeout=None)
            for item in self.items:
                self.view.add_item(item)


def notice(text: str) -> Reply:
    """A short message (errors, refusals, confirmations), already Markdown."""
    return Reply([discord.Embed(description=text[:DESCRIPTION_LIMIT], colour=COLOUR)])


async def run_in_time(
    interaction: discord.Interaction[Any],
    work: Callable[[], T],
    *,
    defer_after: float,
    ephemeral: bool = False,
    update: bool = False,
) -> T:
    """Run blocking ``work`` off the event loop; defer the reply if it is not done in time.

    The loop keeps serving the Gateway heartbeat and other members meanwhile, and a slow search
    still meets Discord's 3-second acknowledgement deadline.
    """
    return await in_time(
        interaction,
        asyncio.to_thread(work),
        defer_after=defer_after,
        ephemeral=ephemeral,
        update=update,
    )


async def in_time(
    interaction: discord.Interaction[Any],
    work: Awaitable[T],
    *,
    defer_after: float,
    ephemeral: bool = False,
    update: bool = False,
) -> T:
    """Await ``work``, deferring the reply if it is not done within ``defer_after`` seconds
    (a query log locked by another writer can take a few), so Discord's 3-second deadline is
    met and the answer follows; with ``update`` the deferral keeps the pressed message."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=defer_after)
    if not done and not acknowledged(interaction):
        await defer(interaction, ephemeral=ephemeral, update=update)
    return await task


async def defer(
    interaction: discord.Interaction[Any], *, ephemeral: bool = False, update: bool = False
) -> None:
    """Acknowledge now, answer later ("thinking…", or with ``update`` keep the pressed message).

    Discord can answer 5xx to an acknowledgement it did record; discord.py retries, and the
    retry is refused as already acknowledged: that is success, not an error, and it is noted
    (discord.py does not count it) so the answer follows up instead of responding again.
    """
    try:
        if update:
            await interaction.response.defer()
        else:
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    except discord.InteractionResponded:
        pass
    except discord.HTTPException as error:
        if not is_already_acknowledged(error):
            raise
        interaction.extras[_DEFERRED] = (
            discord.InteractionResponseType.deferred_message_update
            if update
            else discord.InteractionResponseType.deferred_channel_message
        )


def acknowledged(interaction: discord.Interaction[Any]) -> bool:
    """Whether the interaction has had its response, counting a deferral Discord took behind
    a 5xx (see :func:`defer`): what follows must be a follow-up or an edit."""
    return interaction.response.is_done() or _DEFERRED in interaction.extras


def _response_type(interaction: discord.Interaction[Any]) -> Any:
    return interaction.response.type or interaction.extras.get(_DEFERRED)


def responded_already(interaction: discord.Interaction[Any], error: discord.HTTPException) -> None:
    """A response refused as already acknowledged, though none of this process's counted: its
    own try that went through behind a 5xx (discord.py retried it), or a replayed event that
    was answered the first time. Either way the member has it; a follow-up would be a copy."""
    if not is_already_acknowledged(error):
        raise error
    log.info("interaction %s was already answered; not answering twice", interaction.id)


async def send(
    interaction: discord.Interaction[Any],
    reply: Reply,
    *,
    ephemeral: bool = False,
    update: bool = False,
) -> None:
    """Send ``reply``, or with ``update`` replace the message the pressed button is on
    (``reply.view`` ``None`` removes its buttons)."""
    if update:
        await _update(interaction, reply)
        return
    if acknowledged(interaction):
        await _after_acknowledgement(interaction, reply, ephemeral)
        return
    try:
        await interaction.response.send_message(
            embeds=reply.embeds,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
            **_extras(reply),
        )
    except discord.InteractionResponded:
        await _after_acknowledgement(interaction, reply, ephemeral)
    except discord.HTTPException as error:
        responded_already(interaction, error)


async def _update(interaction: discord.Interaction[Any], reply: Reply) -> None:
    if acknowledged(interaction):
        await interaction.edit_original_response(
            embeds=reply.embeds, view=reply.view, allowed_mentions=NO_MENTIONS
        )
        return
    try:
        await interaction.response.edit_message(
            embeds=reply.embeds, view=reply.view, allowed_mentions=NO_MENTIONS
        )
    except discord.InteractionResponded:
        await interaction.edit_original_response(
            embeds=reply.embeds, view=reply.view, allowed_mentions=NO_MENTIONS
        )
    except discord.HTTPException as error:
        responded_already(interaction, error)


async def _after_acknowledgement(
    interaction: discord.Interaction[Any], reply: Reply, ephemeral: bool
) -> None:
    """A deferred "thinking…" reply is edited in place; anything else gets a follow-up, and so
    does a reply with files (an export sends one message per part)."""
    deferred = discord.InteractionResponseType.deferred_channel_message
    if _response_type(interaction) == deferred and not reply.files:
        await interaction.edit_original_response(
            embeds=reply.embeds, view=reply.view, allowed_mentions=NO_MENTIONS
        )
        return
    await interaction.followup.send(
        embeds=reply.embeds, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, **_extras(reply)
    )


def _extras(reply: Reply) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if reply.view is not None:
        extras["view"] = reply.view
    if reply.files:
        extras["files"] = reply.files
    return extras


async def reply_quietly(interaction: discord.Interaction[Any], text: str) -> None:
    """A private notice; failing to send it is logged, never raised."""
    try:
        await send(interaction, notice(text), ephemeral=True)
    except discord.HTTPException as error:
        log.warning("could not tell interaction %s: %s", interaction.id, error)


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> str:
    """Log the traceback under a short id and tell the member that id, in their language."""
    error_id = secrets.token_hex(4)
    log.error("error %s handling interaction %s", error_id, interaction.id, exc_info=error)
    if not is_unknown_interaction(error):
        await reply_quietly(interaction, words_for(interaction)("notice.error", error_id=error_id))
    return error_id


def is_already_acknowledged(error: BaseException) -> bool:
    """Discord already took a response to this interaction (maybe a retried one that went
    through): what follows must be a follow-up or an edit."""
    return isinstance(error, discord.HTTPException) and error.code == _ALREADY_ACKNOWLEDGED


def is_unknown_interaction(error: BaseException) -> bool:
    """Discord forgot the interaction (it expired): nothing can be sent for it any more."""
    return isinstance(error, discord.NotFound) and error.code == _UNKNOWN_INTERACTION
