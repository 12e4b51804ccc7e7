"""What moderators see: listings, stats and the purge prompt, as private embeds within limits.

The lines themselves come from :mod:`bot.querylog.listings` (``summary()``), the same the CLI
prints; here they are only escaped (a member's question can hold Markdown or mentions) and
budgeted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.discord_bot.replies import (
    COLOUR,
    DESCRIPTION_LIMIT,
    FIELD_LIMIT,
    fit_blocks,
    fit_escaped,
)
from bot.discord_bot.respond import acknowledged, responded_already
from bot.querylog.listings import Page
from bot.querylog.stats import Stats

CHART_NAME = "queries-per-day.png"
NOTHING = "Nothing matches."
LINE_LIMIT = 600  # one row of a listing, at most


def listing(title: str, lines: Sequence[str], page: Page[Any], described: str) -> discord.Embed:
    """One page of a listing: one escaped line per row, and where the page is in the whole.

    Each line gets an equal share of the description: escaping can double a line, and a line
    left out would be on no page (the next page starts after it)."""
    share = (DESCRIPTION_LIMIT - len(lines) + 1) // max(1, len(lines))
    escaped = [fit_escaped(line, min(LINE_LIMIT, share)) for line in lines]
    embed = discord.Embed(
        title=title,
        description="\n".join(escaped) if escaped else NOTHING,  # the shares fit the limit
        colour=COLOUR,
    )
    embed.set_footer(
        text=f"Page {page.page + 1} of {page.pages} · {page.total} in all · {described}"[:2048]
    )
    return embed


def stats(result: Stats, with_chart: bool) -> discord.Embed:
    """The headline numbers, top questions and passages, and the chart below."""
    embed = discord.Embed(
        title=f"Query log — last {result.days} days",
        description="\n".join(result.summary_lines()),
        colour=COLOUR,
    )
    embed.add_field(
        name="Most asked",
        value=_ranked([f"“{query}”" for query, _ in result.top_queries], result.top_queries),
        inline=False,
    )
    embed.add_field(
        name="Most cited passages",
        value=_ranked([f"{pid}" for pid, _ in result.top_passages], result.top_passages),
        inline=False,
    )
    if with_chart:
        embed.set_image(url=f"attachment://{CHART_NAME}")
        embed.set_footer(text="Bars: questions per day. Line: share answered (0–100 %).")
    return embed


def _ranked(labels: list[str], counted: Sequence[tuple[str, int]]) -> str:
    if not labels:
        return "–"
    lines = [
        f"{count}× {fit_escaped(label, 200)}"
        for label, (_, count) in zip(labels, counted, strict=True)
    ]
    return fit_blocks(lines, FIELD_LIMIT, separator="\n")


def purge_prompt(days: int, before: str, would_delete: int) -> discord.Embed:
    """Ask an administrator to confirm a purge, saying exactly what it removes."""
    return discord.Embed(
        title="Purge the query log?",
        description=(
            f"This deletes every question logged in this server more than {days} days ago "
            f"(before {before[:16].replace('T', ' ')} UTC) and the votes on them, and older "
            f"votes on this server's answers: **{would_delete}** questions now.\n"
            "Other servers' rows are not touched. It cannot be undone. "
            "Moderator actions are kept."
        ),
        colour=discord.Colour.red(),
    )


def notice(text: str) -> discord.Embed:
    """A short private message."""
    return discord.Embed(description=text[:DESCRIPTION_LIMIT], colour=COLOUR)


async def update(
    interaction: discord.Interaction[Any],
    embeds: list[discord.Embed],
    *,
    view: discord.ui.View | None = None,
) -> None:
    """Replace the message the pressed button is on (``view=None`` removes its buttons), whether
    or not the press was deferred."""
    if acknowledged(interaction):
        await interaction.edit_original_response(embeds=embeds, view=view)
        return
    try:
        await interaction.response.edit_message(embeds=embeds, view=view)
    except discord.HTTPException as error:
        responded_already(interaction, error)


async def reply(
    interaction: discord.Interaction[Any],
    embeds: list[discord.Embed],
    *,
    view: discord.ui.View | None = None,
    files: Sequence[discord.File] = (),
) -> None:
    """Answer privately, whether or not the interaction was deferred (also when a deferral
    that went through was reported as failed, see :func:`respond.defer`)."""
    extra: dict[str, Any] = {}
    if view is not None:
        extra["view"] = view
    if files:
        extra["files"] = list(files)
    if acknowledged(interaction):
        await interaction.followup.send(embeds=embeds, ephemeral=True, **extra)
        return
    try:
        await interaction.response.send_message(embeds=embeds, ephemeral=True, **extra)
    except discord.HTTPException as error:
        responded_already(interaction, error)
