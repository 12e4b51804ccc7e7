"""A listing page of the query log, rendered from the arguments recorded with it, and what a
settled purge request is called: the moderation cog's steps that need no Discord interaction."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import discord

from bot.discord_bot.exts.moderation import _embeds as show
from bot.discord_bot.views import NOT_YOURS
from bot.querylog.filters import Filters
from bot.querylog.listings import Page, feedback, recent, unanswered
from bot.querylog.moderation import PurgeSettled
from bot.querylog.scope import Scope

PURGE_SETTLED = {
    "unknown": "This purge request is no longer in the log; run /querylog purge again.",
    "not_yours": NOT_YOURS,
    "answered": "This purge request was already answered.",
    "expired": "This purge request has expired; run /querylog purge again.",
    "cancelled": "Purge cancelled; nothing was deleted.",
}


@dataclass(frozen=True, slots=True)
class Listing:
    """One rendered page of a listing."""

    title: str
    lines: list[str]
    page: Page[Any]
    described: str  # what the listing holds, for its footer

    def embed(self) -> discord.Embed:
        """The page as a private embed."""
        return show.listing(self.title, self.lines, self.page, self.described)


def purge_settled_text(settled: PurgeSettled) -> str:
    """What the moderator who pressed "Delete them" or "Cancel" is told."""
    if settled.outcome == "purged":
        deleted = settled.deleted
        return f"Deleted {deleted.queries} logged questions and {deleted.votes} votes."
    return PURGE_SETTLED[settled.outcome]


def server_scope(interaction: discord.Interaction[Any]) -> Scope:
    """The server the command or button is used in: the only rows it may see or change."""
    if interaction.guild_id is None:  # the access checks refuse direct messages before this
        raise RuntimeError("/querylog is used only in a server")
    return Scope.server(interaction.guild_id)


def render_listing(
    conn: sqlite3.Connection,
    scope: Scope,
    kind: str,
    arguments: dict[str, Any],
    page: int,
) -> Listing:
    """Page ``page`` of a listing of ``scope`` from the arguments recorded with it."""
    since = arguments.get("since")
    when = f"since {since[:16].replace('T', ' ')}" if since else "all time"
    if kind == "recent":
        filters = Filters.from_json(arguments["filters"])
        rows = recent(conn, scope, filters, page)
        return Listing(
            "Recent questions", [r.summary() for r in rows.rows], rows, filters.describe()
        )
    if kind == "unanswered":
        missing = unanswered(
            conn,
            scope,
            weak_score=float(arguments["weak_score"]),
            since=since,
            until_id=arguments.get("until_id"),
            page=page,
        )
        weak = f"no result or best score below {arguments['weak_score']}, {when}"
        return Listing(
            "What the corpus is missing", [u.summary() for u in missing.rows], missing, weak
        )
    voted = feedback(conn, scope, since=since, page=page)
    return Listing(
        "Passages in answers marked unhelpful", [p.summary() for p in voted.rows], voted, when
    )
