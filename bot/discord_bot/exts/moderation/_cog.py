"""/querylog: moderators review the query log in Discord; every reply private, every use recorded.

A thin shell over :mod:`bot.querylog`, the SQL the ``corpusbot log`` CLI runs too.
Listings record their (frozen) filters as a moderator action, and their page buttons carry only
that action's id, the moderator's id and a page number, so they keep working after a restart and
only the moderator who ran the listing can turn its pages.

Every command and button sees and changes only the rows of the server it is used in
(:func:`server_scope`): a listing or purge request recorded in one server is unknown in another.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import logging
import re
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_bot.access import is_administrator, is_moderator, moderator_permissions
from bot.discord_bot.exts.moderation import _embeds as show
from bot.discord_bot.respond import defer, in_time
from bot.present.chart import daily_chart
from bot.present.export_files import TooLargeError, fit_to_limit
from bot.present.markdown import escape_markdown
from bot.querylog.actions import Action, record_action
from bot.querylog.clock import cutoff, parse_since
from bot.querylog.database import LogUnavailable
from bot.querylog.export import export
from bot.querylog.filters import Filters, frozen
from bot.querylog.listings import Page, feedback, recent, unanswered
from bot.querylog.moderation import (
    CANCELLED,
    CONFIRMED,
    PurgeSettled,
    owned_listing,
    settle_purge,
)
from bot.querylog.records import Outcome
from bot.querylog.retention import count_before
from bot.querylog.scope import Scope
from bot.querylog.stats import Stats, compute_stats

if TYPE_CHECKING:
    from bot.discord_bot.client import CorpusBot

log = logging.getLogger(__name__)
T = TypeVar("T")

NOT_A_MODERATOR = "Only moderators can review the query log."
NOT_AN_ADMINISTRATOR = "Only administrators can purge the query log."
NOT_YOURS = "These buttons belong to the moderator who ran the command; run it yourself."
EXPIRED = "This listing is no longer in the log; run the command again."
UNAVAILABLE = "The query log cannot be read right now; the error is in the bot's log."
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


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"ql:(?P<direction>prev|next):(?P<action>\d{1,19}):(?P<owner>\d{1,20}):(?P<page>\d{1,6})",
):
    """◀ / ▶ on a listing: only for the moderator who ran it."""

    def __init__(
        self, direction: str, action: int, owner: int, page: int, disabled: bool = False
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label="◀ Newer" if direction == "prev" else "Older ▶",
                style=discord.ButtonStyle.secondary,
                custom_id=f"ql:{direction}:{action}:{owner}:{page}",
                disabled=disabled,
            )
        )
        self.action, self.owner, self.page = action, owner, page

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from a pressed ``custom_id``."""
        return cls(
            match["direction"], int(match["action"]), int(match["owner"]), int(match["page"])
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the page."""
        await _cog(interaction).turn_page(interaction, self.action, self.owner, self.page)


class PurgeButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"ql:purge:(?P<action>\d{1,19}):(?P<owner>\d{1,20}):(?P<choice>confirm|cancel)",
):
    """Confirm or cancel a requested purge."""

    def __init__(self, action: int, owner: int, choice: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Delete them" if choice == "confirm" else "Cancel",
                style=discord.ButtonStyle.danger
                if choice == "confirm"
                else discord.ButtonStyle.secondary,
                custom_id=f"ql:purge:{action}:{owner}:{choice}",
            )
        )
        self.action, self.owner, self.choice = action, owner, choice

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from a pressed ``custom_id``."""
        return cls(int(match["action"]), int(match["owner"]), match["choice"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Carry out or drop the purge."""
        await _cog(interaction).settle_purge(interaction, self.action, self.owner, self.choice)


def _cog(interaction: discord.Interaction[Any]) -> ModerationCog:
    cog = interaction.client.get_cog(ModerationCog.__cog_name__)
    assert isinstance(cog, ModerationCog)
    return cog


def pager(action: int, owner: int, page: Page[Any]) -> discord.ui.View | None:
    """Newer/Older buttons for a listing longer than one page."""
    if page.pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton("prev", action, owner, max(0, page.page - 1), not page.has_previous))
    view.add_item(PageButton("next", action, owner, page.page + 1, not page.has_next))
    return view


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class ModerationCog(
    commands.GroupCog,
    name="ModerationCog",
    group_name="querylog",
    group_description="Review the query log (moderators; replies are private)",
):
    """The /querylog command group."""

    def __init__(self, bot: CorpusBot) -> None:
        self.bot = bot
        self.settings = bot.settings
        self.identities = bot.settings.identities
        self.db = bot.log_database
        group = self.app_command
        assert group is not None
        group.default_permissions = moderator_permissions(bot.settings)
        super().__init__()

    # --- commands ----------------------------------------------------------------------------

    @app_commands.command(name="recent", description="Logged questions, newest first")
    @app_commands.describe(
        user="Only this member's questions",
        contains="Only questions containing this text",
        since="Only since then: 7d, 12h, 30m, 2w or a date like 2025-01-31",
        outcome="Only this outcome",
    )
    async def recent(
        self,
        interaction: discord.Interaction[Any],
        user: discord.User | None = None,
        contains: app_commands.Range[str, 1, 200] | None = None,
        since: app_commands.Range[str, 1, 40] | None = None,
        outcome: Outcome | None = None,
    ) -> None:
        """List the log, filtered; filters combine."""
        filters = await self._filters(interaction, user, contains, since, outcome)
        if filters is None:
            return

        def freeze(conn: sqlite3.Connection) -> dict[str, Any]:
            return {"filters": frozen(conn, filters).to_json()}

        await self._open_listing(interaction, "recent", freeze)

    @app_commands.command(name="unanswered", description="Questions with no or only weak answers")
    @app_commands.describe(since="Only since then: 7d, 12h, 30m, 2w or a date like 2025-01-31")
    async def unanswered(
        self,
        interaction: discord.Interaction[Any],
        since: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        """What the corpus is missing, grouped by question."""
        filters = await self._filters(interaction, None, None, since, None)
        if filters is None:
            return
        weak = self.settings.unanswered_below_score

        def freeze(conn: sqlite3.Connection) -> dict[str, Any]:
            until = frozen(conn, filters).until_id
            return {"since": filters.since, "until_id": until, "weak_score": weak}

        await self._open_listing(interaction, "unanswered", freeze)

    @app_commands.command(name="feedback", description="Passages most often voted unhelpful")
    @app_commands.describe(since="Only votes since then: 7d, 12h, 30m, 2w or a date")
    async def feedback(
        self,
        interaction: discord.Interaction[Any],
        since: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        """Passages cited by 👎 answers, most down-votes first."""
        filters = await self._filters(interaction, None, None, since, None)
        if filters is None:
            return
        await self._open_listing(interaction, "feedback", lambda _: {"since": filters.since})

    @app_commands.command(name="stats", description="Questions per day, answered share, latency")
    @app_commands.describe(days="How many days back, today included (1–90)")
    async def stats(
        self, interaction: discord.Interaction[Any], days: app_commands.Range[int, 1, 90] = 14
    ) -> None:
        """Numbers and a chart of the last ``days`` days."""
        if await self._refused(interaction):
            return
        await defer(interaction, ephemeral=True)
        action = self._action(interaction, "stats", {"days": days})
        scope = server_scope(interaction)

        def work(conn: sqlite3.Connection) -> Stats:
            result = compute_stats(conn, scope, days)
            record_action(conn, dataclasses.replace(action, affected=result.queries))
            return result

        async with self._database(interaction):
            result = await self.db.write(work)
            days_shown = [(d.queries, d.answered_share) for d in result.per_day]
            png = await asyncio.to_thread(daily_chart, days_shown)
            chart = discord.File(io.BytesIO(png), filename=show.CHART_NAME)
            await show.reply(interaction, [show.stats(result, with_chart=True)], files=[chart])

    @app_commands.command(name="export", description="The log as a CSV or JSON-lines file")
    @app_commands.describe(
        since="Only since then: 7d, 12h, 30m, 2w or a date like 2025-01-31",
        format="csv (spreadsheets) or jsonl (scripts)",
        user="Only this member's questions",
        contains="Only questions containing this text",
        outcome="Only this outcome",
    )
    async def export(
        self,
        interaction: discord.Interaction[Any],
        since: app_commands.Range[str, 1, 40] | None = None,
        format: Literal["csv", "jsonl"] = "csv",
        user: discord.User | None = None,
        contains: app_commands.Range[str, 1, 200] | None = None,
        outcome: Outcome | None = None,
    ) -> None:
        """Rows streamed to a file; gzipped or split when over the upload limit."""
        filters = await self._filters(interaction, user, contains, since, outcome)
        if filters is None:
            return
        await defer(interaction, ephemeral=True)
        limit = interaction.filesize_limit
        action = self._action(
            interaction, "export", {"filters": filters.to_json(), "format": format}
        )
        scope = server_scope(interaction)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="corpusbot-export-"))

        def work(conn: sqlite3.Connection) -> tuple[int, list[Path]]:
            target = folder / f"querylog-{stamp}.{format}"
            with target.open("wb") as out:
                count = export(conn, scope, filters, format, out)
            parts = fit_to_limit(target, limit, header=format == "csv")
            arguments = {**action.arguments, "files": len(parts)}
            record_action(conn, dataclasses.replace(action, arguments=arguments, affected=count))
            return count, parts

        try:
            async with self._database(interaction):
                try:
                    count, parts = await self.db.write(work)
                except TooLargeError:
                    await show.reply(
                        interaction,
                        [show.notice("The export is too large to upload; narrow it with `since`.")],
                    )
                    return
                how = "" if len(parts) == 1 else f", in {len(parts)} gzipped parts"
                if len(parts) == 1 and parts[0].suffix == ".gz":
                    how = ", gzipped to fit the upload limit"
                described = escape_markdown(filters.describe())  # holds what they typed
                text = f"{count} logged questions ({described}){how}."
                for number, part in enumerate(parts):
                    embeds = [show.notice(text)] if number == 0 else []
                    await show.reply(interaction, embeds, files=[discord.File(part, part.name)])
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)

    @app_commands.command(name="purge", description="Delete old questions and votes (admins)")
    @app_commands.describe(older_than_days="Delete what is older than this many days")
    async def purge(
        self,
        interaction: discord.Interaction[Any],
        older_than_days: app_commands.Range[int, 0, 36500],
    ) -> None:
        """Ask to confirm, with the count; the buttons do the rest."""
        if await self._refused(interaction, administrators_only=True):
            return
        before = cutoff(older_than_days)
        arguments = {"older_than_days": older_than_days, "before": before}
        action = self._action(interaction, "purge_requested", arguments)
        scope = server_scope(interaction)

        def work(conn: sqlite3.Connection) -> tuple[int, int]:
            count = count_before(conn, scope, before)
            return record_action(conn, dataclasses.replace(action, affected=count)), count

        async with self._database(interaction):
            request, count = await self._in_time(interaction, self.db.write(work))
            view = discord.ui.View(timeout=None)
            view.add_item(PurgeButton(request, interaction.user.id, "confirm"))
            view.add_item(PurgeButton(request, interaction.user.id, "cancel"))
            prompt = show.purge_prompt(older_than_days, before, count)
            await show.reply(interaction, [prompt], view=view)

    # --- buttons -----------------------------------------------------------------------------

    async def turn_page(
        self, interaction: discord.Interaction[Any], action_id: int, owner: int, page: int
    ) -> None:
        """Newer/Older: the same listing, another page, in place."""
        if interaction.user.id != owner:
            await show.reply(interaction, [show.notice(NOT_YOURS)])
            return
        if await self._refused(interaction):
            return
        record = self._action(interaction, "page", {"listing": action_id, "page": page})
        expected_user = self.identities.key(owner)
        scope = server_scope(interaction)

        def work(conn: sqlite3.Connection) -> Listing | None:
            stored = owned_listing(conn, scope, action_id, expected_user)
            if stored is None:
                return None
            listing = render_listing(conn, scope, stored.action, stored.arguments, page)
            record_action(conn, dataclasses.replace(record, affected=len(listing.lines)))
            return listing

        async with self._database(interaction):
            listing = await self._in_time(interaction, self.db.write(work), update=True)
            if listing is None:
                await show.reply(interaction, [show.notice(EXPIRED)])
                return
            await show.update(
                interaction, [listing.embed()], view=pager(action_id, owner, listing.page)
            )

    async def settle_purge(
        self, interaction: discord.Interaction[Any], request_id: int, owner: int, choice: str
    ) -> None:
        """Confirm: delete (still an administrator, within 15 minutes, once). Cancel: don't."""
        if interaction.user.id != owner:
            await show.reply(interaction, [show.notice(NOT_YOURS)])
            return
        if choice == "confirm" and await self._refused(interaction, administrators_only=True):
            return
        done = CONFIRMED if choice == "confirm" else CANCELLED
        record = self._action(interaction, done, {"request": request_id})
        expected_user = self.identities.key(owner)
        # Cancel needs no moderator check, so a press can come from a direct message: no purge
        # request is ever recorded there, so none is found.
        scope = Scope.where_asked(interaction.guild_id)

        def work(conn: sqlite3.Connection) -> PurgeSettled:
            return settle_purge(conn, scope, request_id, expected_user, record)

        async with self._database(interaction):
            settled = await self._in_time(interaction, self.db.write(work), update=True)
            await show.update(interaction, [show.notice(purge_settled_text(settled))], view=None)

    # --- shared steps ------------------------------------------------------------------------

    async def _in_time(
        self, interaction: discord.Interaction[Any], work: Awaitable[T], *, update: bool = False
    ) -> T:
        """``work`` (the log, which another writer can hold for seconds), deferring privately
        (or, with ``update``, keeping the pressed message) if it is slow."""
        return await in_time(
            interaction,
            work,
            defer_after=self.settings.defer_after_seconds,
            ephemeral=True,
            update=update,
        )

    async def _refused(
        self, interaction: discord.Interaction[Any], *, administrators_only: bool = False
    ) -> bool:
        """Refuse privately unless the member may do this now (not just see the command)."""
        if administrators_only:
            allowed = is_administrator(interaction)
        else:
            allowed = is_moderator(interaction, self.settings)
        if allowed:
            return False
        text = NOT_AN_ADMINISTRATOR if administrators_only else NOT_A_MODERATOR
        await show.reply(interaction, [show.notice(text)])
        return True

    async def _filters(
        self,
        interaction: discord.Interaction[Any],
        user: discord.abc.User | None,
        contains: str | None,
        since: str | None,
        outcome: str | None,
    ) -> Filters | None:
        """The filters, or ``None`` after a private refusal or an explanation of bad input."""
        if await self._refused(interaction):
            return None
        try:
            return Filters(
                users=(self.identities.filter_key(user.id),) if user else (),
                contains=contains,
                since=parse_since(since) if since else None,
                outcome=outcome,
            )
        except ValueError as error:
            await show.reply(interaction, [show.notice(str(error))])
            return None

    async def _open_listing(
        self,
        interaction: discord.Interaction[Any],
        kind: str,
        freeze: Any,
    ) -> None:
        """Record the listing with its frozen arguments and show its first page."""
        await defer(interaction, ephemeral=True)
        action = self._action(interaction, kind, {})
        scope = server_scope(interaction)

        def work(conn: sqlite3.Connection) -> tuple[int, Listing]:
            arguments = freeze(conn)
            listing = render_listing(conn, scope, kind, arguments, 0)
            stored = dataclasses.replace(action, arguments=arguments, affected=listing.page.total)
            return record_action(conn, stored), listing

        async with self._database(interaction):
            action_id, listing = await self.db.write(work)
            view = pager(action_id, interaction.user.id, listing.page)
            await show.reply(interaction, [listing.embed()], view=view)

    def _action(
        self, interaction: discord.Interaction[Any], action: str, arguments: dict[str, Any]
    ) -> Action:
        user = interaction.user
        return Action(
            source="discord",
            user_id=self.identities.key(user.id),
            user_name=self.identities.name(user.id, user.display_name),
            action=action,
            arguments=arguments,
            guild_id=interaction.guild_id,
        )

    @contextlib.asynccontextmanager
    async def _database(self, interaction: discord.Interaction[Any]) -> AsyncIterator[None]:
        """A database that cannot be read becomes a private notice, not a traceback for them."""
        try:
            yield
        except LogUnavailable as error:
            log.error("query log unavailable for /querylog: %s", error, exc_info=error)
            await show.reply(interaction, [show.notice(UNAVAILABLE)])


REVIEW_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (PageButton, PurgeButton)
