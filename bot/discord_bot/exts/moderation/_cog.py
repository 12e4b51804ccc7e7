"""/querylog: moderators review the query log in Discord; every reply private, every use recorded.

A thin shell over :mod:`bot.querylog`, the SQL the ``corpusbot log`` CLI runs too.
Listings record their (frozen) filters as a moderator action, and their page buttons carry only
that action's id, the moderator's id and a page number, so they keep working after a restart and
only the moderator who ran the listing can turn its pages.

Every command and button sees and changes only the rows of the server it is used in
(:func:`server_scope`): a listing or purge request recorded in one server is unknown in another.

Over 400 lines because it is the whole /querylog group: each command is a short shell, and they
share the permission, filter and listing steps at the bottom; the Discord-free steps live in
``_listings`` and the embeds in ``_embeds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.discord_bot.access import is_administrator, is_moderator, moderator_permissions
from bot.discord_bot.exts.moderation import _embeds as show
from bot.discord_bot.exts.moderation._listings import (
    Listing,
    purge_settled_text,
    render_listing,
    server_scope,
)
from bot.discord_bot.language import command_text, words_for
from bot.discord_bot.respond import Reply, defer, in_time, notice, send
from bot.discord_bot.views import pager, purge_prompt_view
from bot.i18n.catalog import Messages
from bot.present.chart import daily_chart
from bot.present.export_files import TooLargeError, fit_to_limit
from bot.present.markdown import escape_markdown
from bot.querylog.actions import Action, record_action
from bot.querylog.clock import cutoff, parse_since
from bot.querylog.database import LogDatabase, LogUnavailable
from bot.querylog.dialect import LogConnection
from bot.querylog.export import export
from bot.querylog.filters import Filters, frozen
from bot.querylog.moderation import CANCELLED, CONFIRMED, PurgeSettled, owned_listing, settle_purge
from bot.querylog.records import OUTCOMES, Outcome
from bot.querylog.retention import count_before
from bot.querylog.scope import Scope
from bot.querylog.stats import Stats, compute_stats

log = logging.getLogger(__name__)
T = TypeVar("T")

# The choices' names are the catalog's; their values are what the commands receive.
OUTCOME_CHOICES = [
    app_commands.Choice(name=command_text(f"choice.outcome.{outcome}"), value=outcome)
    for outcome in OUTCOMES
]
FORMAT_CHOICES = [
    app_commands.Choice(name=command_text(f"choice.format.{kind}"), value=kind)
    for kind in ("csv", "jsonl")
]


def _option_names(*options: str) -> dict[str, app_commands.locale_str]:
    """The options' names from the catalog, for ``app_commands.rename``."""
    return {option: command_text(f"option.{option}.name") for option in options}


def _option_descriptions(*options: str) -> dict[str, app_commands.locale_str]:
    """The options' descriptions from the catalog, for ``app_commands.describe``."""
    return {option: command_text(f"option.{option}.description") for option in options}


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class ModerationCog(
    commands.GroupCog,
    name="ModerationCog",
    group_name=command_text("command.querylog.name"),
    group_description=command_text("command.querylog.description"),
):
    """The /querylog command group."""

    def __init__(self, settings: Settings, db: LogDatabase) -> None:
        self.settings = settings
        self.identities = settings.identities
        self.db = db
        group = self.app_command
        assert group is not None
        group.default_permissions = moderator_permissions(settings)
        super().__init__()

    # --- commands ----------------------------------------------------------------------------

    @app_commands.command(
        name=command_text("command.querylog.recent.name"),
        description=command_text("command.querylog.recent.description"),
    )
    @app_commands.rename(**_option_names("user", "contains", "since", "outcome"))
    @app_commands.describe(**_option_descriptions("user", "contains", "since", "outcome"))
    @app_commands.choices(outcome=OUTCOME_CHOICES)
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

        def freeze(conn: LogConnection) -> dict[str, Any]:
            return {"filters": frozen(conn, filters).to_json()}

        await self._open_listing(interaction, "recent", freeze)

    @app_commands.command(
        name=command_text("command.querylog.unanswered.name"),
        description=command_text("command.querylog.unanswered.description"),
    )
    @app_commands.rename(**_option_names("since"))
    @app_commands.describe(**_option_descriptions("since"))
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

        def freeze(conn: LogConnection) -> dict[str, Any]:
            until = frozen(conn, filters).until_id
            return {"since": filters.since, "until_id": until, "weak_score": weak}

        await self._open_listing(interaction, "unanswered", freeze)

    @app_commands.command(
        name=command_text("command.querylog.feedback.name"),
        description=command_text("command.querylog.feedback.description"),
    )
    @app_commands.rename(since=command_text("option.since_votes.name"))
    @app_commands.describe(since=command_text("option.since_votes.description"))
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

    @app_commands.command(
        name=command_text("command.querylog.stats.name"),
        description=command_text("command.querylog.stats.description"),
    )
    @app_commands.rename(**_option_names("days"))
    @app_commands.describe(**_option_descriptions("days"))
    async def stats(
        self, interaction: discord.Interaction[Any], days: app_commands.Range[int, 1, 90] = 14
    ) -> None:
        """Numbers and a chart of the last ``days`` days."""
        if await self._refused(interaction):
            return
        await defer(interaction, ephemeral=True)
        action = self._action(interaction, "stats", {"days": days})
        scope = server_scope(interaction)

        def work(conn: LogConnection) -> Stats:
            result = compute_stats(conn, scope, days)
            record_action(conn, dataclasses.replace(action, affected=result.queries))
            return result

        async with self._database(interaction):
            result = await self.db.write(work)
            days_shown = [(d.queries, d.answered_share) for d in result.per_day]
            png = await asyncio.to_thread(daily_chart, days_shown)
            chart = discord.File(io.BytesIO(png), filename=show.CHART_NAME)
            embed = show.stats(result, with_chart=True, words=words_for(interaction))
            await send(interaction, Reply([embed], files=[chart]), ephemeral=True)

    @app_commands.command(
        name=command_text("command.querylog.export.name"),
        description=command_text("command.querylog.export.description"),
    )
    @app_commands.rename(**_option_names("since", "format", "user", "contains", "outcome"))
    @app_commands.describe(**_option_descriptions("since", "format", "user", "contains", "outcome"))
    @app_commands.choices(outcome=OUTCOME_CHOICES, format=FORMAT_CHOICES)
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

        def work(conn: LogConnection) -> tuple[int, list[Path]]:
            target = folder / f"querylog-{stamp}.{format}"
            with target.open("wb") as out:
                count = export(conn, scope, filters, format, out)
            parts = fit_to_limit(target, limit, header=format == "csv")
            arguments = {**action.arguments, "files": len(parts)}
            record_action(conn, dataclasses.replace(action, arguments=arguments, affected=count))
            return count, parts

        words = words_for(interaction)
        try:
            async with self._database(interaction):
                try:
                    count, parts = await self.db.write(work)
                except TooLargeError:
                    await self._tell(interaction, words("moderation.export_too_large"))
                    return
                described = escape_markdown(filters.describe())  # holds what they typed
                how = _packed(parts, words)
                text = words("moderation.exported", count=count, filters=described, how=how)
                for number, part in enumerate(parts):
                    embeds = notice(text).embeds if number == 0 else []
                    files = [discord.File(part, part.name)]
                    await send(interaction, Reply(embeds, files=files), ephemeral=True)
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)

    @app_commands.command(
        name=command_text("command.querylog.purge.name"),
        description=command_text("command.querylog.purge.description"),
    )
    @app_commands.rename(**_option_names("older_than_days"))
    @app_commands.describe(**_option_descriptions("older_than_days"))
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

        def work(conn: LogConnection) -> tuple[int, int]:
            count = count_before(conn, scope, before)
            return record_action(conn, dataclasses.replace(action, affected=count)), count

        async with self._database(interaction):
            request, count = await self._in_time(interaction, self.db.write(work))
            words = words_for(interaction)
            view = purge_prompt_view(request, interaction.user.id, words)
            prompt = show.purge_prompt(older_than_days, before, count, words)
            await send(interaction, Reply([prompt], view=view), ephemeral=True)

    # --- buttons (see views.py; they check who pressed before calling these) -----------------

    async def turn_page(
        self, interaction: discord.Interaction[Any], action_id: int, owner: int, page: int
    ) -> None:
        """Newer/Older: the same listing, another page, in place."""
        if await self._refused(interaction):
            return
        record = self._action(interaction, "page", {"listing": action_id, "page": page})
        expected_user = self.identities.key(owner)
        scope = server_scope(interaction)
        words = words_for(interaction)

        def work(conn: LogConnection) -> Listing | None:
            stored = owned_listing(conn, scope, action_id, expected_user)
            if stored is None:
                return None
            listing = render_listing(conn, scope, stored.action, stored.arguments, page, words)
            record_action(conn, dataclasses.replace(record, affected=len(listing.lines)))
            return listing

        async with self._database(interaction):
            listing = await self._in_time(interaction, self.db.write(work), update=True)
            if listing is None:
                await self._tell(interaction, words("moderation.expired"))
                return
            turned = Reply([listing.embed()], view=pager(action_id, owner, listing.page, words))
            await send(interaction, turned, ephemeral=True, update=True)

    async def settle_purge(
        self, interaction: discord.Interaction[Any], request_id: int, owner: int, choice: str
    ) -> None:
        """Confirm: delete (still an administrator, within 15 minutes, once). Cancel: don't."""
        if choice == "confirm" and await self._refused(interaction, administrators_only=True):
            return
        done = CONFIRMED if choice == "confirm" else CANCELLED
        record = self._action(interaction, done, {"request": request_id})
        expected_user = self.identities.key(owner)
        # Cancel needs no moderator check, so a press can come from a direct message: no purge
        # request is ever recorded there, so none is found.
        scope = Scope.where_asked(interaction.guild_id)

        def work(conn: LogConnection) -> PurgeSettled:
            return settle_purge(conn, scope, request_id, expected_user, record)

        async with self._database(interaction):
            settled = await self._in_time(interaction, self.db.write(work), update=True)
            # The reply has no view, so the prompt's buttons go.
            text = purge_settled_text(settled, words_for(interaction))
            await send(interaction, notice(text), ephemeral=True, update=True)

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
        refusal = "not_an_administrator" if administrators_only else "not_a_moderator"
        await self._tell(interaction, words_for(interaction)(f"moderation.{refusal}"))
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
            await self._tell(interaction, str(error))
            return None

    async def _open_listing(
        self,
        interaction: discord.Interaction[Any],
        kind: str,
        freeze: Callable[[LogConnection], dict[str, Any]],
    ) -> None:
        """Record the listing with the arguments ``freeze`` pins, in the same write, and show
        its first page."""
        await defer(interaction, ephemeral=True)
        action = self._action(interaction, kind, {})
        scope = server_scope(interaction)
        words = words_for(interaction)

        def work(conn: LogConnection) -> tuple[int, Listing]:
            arguments = freeze(conn)
            listing = render_listing(conn, scope, kind, arguments, 0, words)
            stored = dataclasses.replace(action, arguments=arguments, affected=listing.page.total)
            return record_action(conn, stored), listing

        async with self._database(interaction):
            action_id, listing = await self.db.write(work)
            view = pager(action_id, interaction.user.id, listing.page, words)
            await send(interaction, Reply([listing.embed()], view=view), ephemeral=True)

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
            await self._tell(interaction, words_for(interaction)("moderation.unavailable"))

    async def _tell(self, interaction: discord.Interaction[Any], text: str) -> None:
        """A private notice: every /querylog reply is private."""
        await send(interaction, notice(text), ephemeral=True)


def _packed(parts: list[Path], words: Messages) -> str:
    """How an export was packed to fit the upload limit, if it had to be."""
    if len(parts) > 1:
        return words("moderation.exported_parts", parts=len(parts))
    if parts and parts[0].suffix == ".gz":
        return words("moderation.exported_gzipped")
    return ""
