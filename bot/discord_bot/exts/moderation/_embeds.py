"""What moderators see: listings, stats and the purge prompt, as embeds within limits (built
here, sent privately by the cog through :func:`bot.discord_bot.respond.send`).

The lines themselves come from :mod:`bot.querylog.listings` (``summary()``), the same the CLI
prints; here they are only escaped (a member's question can hold Markdown or mentions) and
budgeted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.discord_bot.replies import fit_blocks, fit_escaped
from bot.discord_bot.style import COLOUR, DESCRIPTION_LIMIT, FIELD_LIMIT
from bot.i18n.catalog import Messages
from bot.querylog.listings import Page
from bot.querylog.stats import Stats

CHART_NAME = "queries-per-day.png"
LINE_LIMIT = 600  # one row of a listing, at most


def listing(
    title: str, lines: Sequence[str], page: Page[Any], described: str, words: Messages
) -> discord.Embed:
    """One page of a listing: one escaped line per row, and where the page is in the whole.

    Each line gets an equal share of the description: escaping can double a line, and a line
    left out would be on no page (the next page starts after it)."""
    share = (DESCRIPTION_LIMIT - len(lines) + 1) // max(1, len(lines))
    escaped = [fit_escaped(line, min(LINE_LIMIT, share)) for line in lines]
    embed = discord.Embed(
        title=title,
        # the shares fit the limit
        description="\n".join(escaped) if escaped else words("moderation.nothing"),
        colour=COLOUR,
    )
    where = words(
        "footer.page", page=page.page + 1, pages=page.pages, total=page.total, described=described
    )
    embed.set_footer(text=where[:2048])
    return embed


def stats(result: Stats, with_chart: bool, words: Messages) -> discord.Embed:
    """The headline numbers, top questions and passages, and the chart below."""
    embed = discord.Embed(
        title=words("title.stats", days=result.days),
        description="\n".join(result.summary_lines()),
        colour=COLOUR,
    )
    embed.add_field(
        name=words("field.most_asked"),
        value=_ranked([f"“{query}”" for query, _ in result.top_queries], result.top_queries),
        inline=False,
    )
    embed.add_field(
        name=words("field.most_cited"),
        value=_ranked([f"{pid}" for pid, _ in result.top_passages], result.top_passages),
        inline=False,
    )
    if with_chart:
        embed.set_image(url=f"attachment://{CHART_NAME}")
        embed.set_footer(text=words("footer.chart"))
    return embed


def _ranked(labels: list[str], counted: Sequence[tuple[str, int]]) -> str:
    if not labels:
        return "–"
    lines = [
        f"{count}× {fit_escaped(label, 200)}"
        for label, (_, count) in zip(labels, counted, strict=True)
    ]
    return fit_blocks(lines, FIELD_LIMIT, separator="\n")


def purge_prompt(days: int, before: str, would_delete: int, words: Messages) -> discord.Embed:
    """Ask an administrator to confirm a purge, saying exactly what it removes."""
    return discord.Embed(
        title=words("title.purge"),
        description=words(
            "moderation.purge_prompt",
            days=days,
            before=before[:16].replace("T", " "),
            count=would_delete,
        ),
        colour=discord.Colour.red(),
    )
