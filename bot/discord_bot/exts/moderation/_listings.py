"""A listing page of the query log, rendered from the arguments recorded with it, and what a
settled purge request is called: the moderation cog's steps that need no Discord interaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord

from bot.discord_bot.exts.moderation import _embeds as show
from bot.i18n.catalog import Messages
from bot.querylog.dialect import LogConnection
from bot.querylog.filters import Filters
from bot.querylog.listings import Page, feedback, recent, unanswered
from bot.querylog.moderation import PurgeSettled
from bot.querylog.scope import Scope

PURGE_SETTLED = {
    "unknown": "moderation.purge_unknown",
    "not_yours": "notice.not_yours",
    "answered": "moderation.purge_answered",
    "expired": "moderation.purge_expired",
    "cancelled": "moderation.purge_cancelled",
}


@dataclass(frozen=True, slots=True)
class Listing:
    """One rendered page of a listing."""

    title: str
    lines: list[str]
    page: Page[Any]
    described: str  # what the listing holds, for its footer
    words: Messages  # the moderator's language

    def embed(self) -> discord.Embed:
        """The page as a private embed."""
        return show.listing(self.title, self.lines, self.page, self.described, self.words)


def purge_settled_text(settled: PurgeSettled, words: Messages) -> str:
    """What the moderator who pressed "Delete them" or "Cancel" is told."""
    if settled.outcome == "purged":
        deleted = settled.deleted
        return words("moderation.purged", queries=deleted.queries, votes=deleted.votes)
    return words(PURGE_SETTLED[settled.outcome])


def server_scope(interaction: discord.Interaction[Any]) -> Scope:
    """The server the command or button is used in: the only rows it may see or change."""
    if interaction.guild_id is None:  # the access checks refuse direct messages before this
        raise RuntimeError("/querylog is used only in a server")
    return Scope.server(interaction.guild_id)


def render_listing(
    conn: LogConnection,
    scope: Scope,
    kind: str,
    arguments: dict[str, Any],
    page: int,
    words: Messages,
) -> Listing:
    """Page ``page`` of a listing of ``scope`` from the arguments recorded with it; the rows
    themselves are worded by :mod:`bot.querylog.listings`, as the CLI shows them."""
    since = arguments.get("since")
    if since:
        when = words("moderation.since", time=since[:16].replace("T", " "))
    else:
        when = words("moderation.all_time")
    if kind == "recent":
        filters = Filters.from_json(arguments["filters"])
        rows = recent(conn, scope, filters, page)
        lines = [r.summary() for r in rows.rows]
        return Listing(words("title.recent"), lines, rows, filters.describe(), words)
    if kind == "unanswered":
        missing = unanswered(
            conn,
            scope,
            weak_score=float(arguments["weak_score"]),
            since=since,
            until_id=arguments.get("until_id"),
            page=page,
        )
        weak = words("moderation.weak", score=arguments["weak_score"], when=when)
        lines = [u.summary() for u in missing.rows]
        return Listing(words("title.unanswered"), lines, missing, weak, words)
    voted = feedback(conn, scope, since=since, page=page)
    lines = [p.summary() for p in voted.rows]
    return Listing(words("title.feedback"), lines, voted, when, words)
