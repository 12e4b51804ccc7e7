"""/ask and /source, and the buttons on their replies: a thin shell over the search service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.discord_bot import replies
from bot.discord_bot.answering import AnswersInProgress
from bot.discord_bot.language import command_text, words_for
from bot.discord_bot.ratelimit import OneAtATime, SearchCooldown, UserRateLimiter
from bot.discord_bot.respond import (
    in_time,
    notice,
    reply_quietly,
    report_error,
    run_in_time,
    send,
)
from bot.observability import BotMetrics
from bot.querylog.records import Outcome, QueryRecord
from bot.querylog.writer import QueryLog
from bot.search.questions import QUESTION_MAX_CHARS
from bot.search.service import MAX_QUERY_CHARS, QueryTooLongError, SearchResponse, SearchService

log = logging.getLogger(__name__)
ASK_MAX_RESULTS = 5  # the /ask option's range is 1 to this


def results_shown(asked: int) -> int:
    """How many results a page shows for ``asked``: Discord enforces the option's range, but a
    forged interaction or button ``custom_id`` does not."""
    return min(max(asked, 1), ASK_MAX_RESULTS)


@dataclass(slots=True)
class Tracked:
    """What one interaction produced, for its query-log row."""

    started: float = field(default_factory=time.perf_counter)
    outcome: Outcome = "answered"
    results: list[tuple[str, float]] = field(default_factory=list)
    total_matches: int = 0
    # The logged id when it is not the interaction's: a message the bot posted itself (which
    # votes name), so a public reply and its votes meet in the log.
    answer_id: int | None = None

    def answered_with(self, response: SearchResponse) -> None:
        """Take the outcome and cited passages from a search response."""
        self.results = [(hit.passage.id, hit.score) for hit in response.hits]
        self.total_matches = response.total_matches
        self.outcome = "answered" if response.hits else "no_results"


class SearchCog(commands.Cog, name="SearchCog"):
    """Answers questions and opens sources; every use is recorded in the query log."""

    def __init__(
        self,
        settings: Settings,
        query_log: QueryLog,
        service: Callable[[], SearchService],
        metrics: BotMetrics,
        answers: AnswersInProgress,
    ) -> None:
        self.settings = settings
        self.query_log = query_log
        self.metrics = metrics
        self._current_service = service
        self.limiter = UserRateLimiter(settings.ask_cooldown_rate, settings.ask_cooldown_seconds)
        # /source and its completion share one budget: a keystroke costs like a look-up.
        self.source_limiter = UserRateLimiter(
            settings.source_cooldown_rate, settings.source_cooldown_seconds
        )
        self.costly = OneAtATime()
        self.answers = answers  # so a shutdown lets the answers in progress finish

    @property
    def service(self) -> SearchService:
        """The bot's current service; a reload swaps it, so never keep it across awaits."""
        return self._current_service()

    # --- slash commands ----------------------------------------------------------------------

    @app_commands.command(
        name=command_text("command.ask.name"), description=command_text("command.ask.description")
    )
    @app_commands.rename(
        question=command_text("option.question.name"),
        results=command_text("option.results.name"),
        private=command_text("option.private.name"),
    )
    @app_commands.describe(
        question=command_text("option.question.description"),
        results=command_text("option.results.description"),
        private=command_text("option.private.description"),
    )
    async def ask(
        self,
        interaction: discord.Interaction[Any],
        question: app_commands.Range[str, 1, QUESTION_MAX_CHARS],
        results: app_commands.Range[int, 1, ASK_MAX_RESULTS] | None = None,
        private: bool = False,
    ) -> None:
        """Rank the corpus for the question and quote the best passages."""
        limit = self.settings.ask_default_results if results is None else results_shown(results)
        async with self.tracked(interaction, "ask", question) as track:
            self.limiter.check(interaction.user.id)
            response = await self._search(interaction, question, limit, 0, private=private)
            track.answered_with(response)
            words = words_for(interaction)
            await send(interaction, replies.answer(response, limit, words), ephemeral=private)

    @app_commands.command(
        name=command_text("command.source.name"),
        description=command_text("command.source.description"),
    )
    @app_commands.rename(
        id=command_text("option.id.name"), private=command_text("option.private.name")
    )
    @app_commands.describe(
        id=command_text("option.id.description"),
        private=command_text("option.private.description"),
    )
    async def source(
        self,
        interaction: discord.Interaction[Any],
        id: app_commands.Range[str, 1, 100],
        private: bool = False,
    ) -> None:
        """Show a passage with its document, position and neighbours."""
        async with self.tracked(interaction, "source", id) as track:
            self.source_limiter.check(interaction.user.id)
            await self._open(interaction, id, track, ephemeral=private)

    @source.autocomplete("id")
    async def source_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Up to 25 passage ids whose id or document title contains what was typed.

        Off the event loop: it runs at every keystroke and scans the documents until 25 match
        (seconds at 100,000 documents when none does), which would hold up every other member.
        A member over the /source limit, or whose last look-up still runs, gets no choices:
        the next keystroke asks again.
        """
        member = interaction.user.id
        if self.costly.busy(member):
            return []
        try:
            self.source_limiter.check(member)
        except SearchCooldown:
            return []
        found = await self.costly.run(member, partial(self.service.complete, current, limit=25))
        return [app_commands.Choice(name=label[:100], value=value[:100]) for label, value in found]

    # --- buttons (see views.py) -------------------------------------------------------------

    async def more_results(
        self, interaction: discord.Interaction[Any], offset: int, limit: int
    ) -> None:
        """The next page: in place on a private answer, as a private reply on a public one."""
        question = replies.question_of(interaction.message)
        async with self.tracked(interaction, "more", question or "") as track:
            if question is None:
                track.outcome = "no_results"
                text = words_for(interaction)("answer.no_longer_paged")
                await send(interaction, notice(text), ephemeral=True)
                return
            self.limiter.check(interaction.user.id)
            in_place = self._is_private(interaction.message)
            limit = results_shown(limit)
            response = await self._search(
                interaction, question, limit, offset, private=True, update=in_place
            )
            track.answered_with(response)
            page = replies.answer(response, limit, words_for(interaction))
            await send(interaction, page, ephemeral=True, update=in_place)

    async def open_from_button(
        self, interaction: discord.Interaction[Any], passage_id: str
    ) -> None:
        """ "Open n" on an answer: the cited passage, privately."""
        async with self.tracked(interaction, "open", passage_id) as track:
            await self._open(interaction, passage_id, track, ephemeral=True)

    async def navigate(self, interaction: discord.Interaction[Any], passage_id: str) -> None:
        """Previous/Next on a source view: in place when private, else a private reply."""
        async with self.tracked(interaction, "source_nav", passage_id) as track:
            in_place = self._is_private(interaction.message)
            await self._open(interaction, passage_id, track, ephemeral=True, update=in_place)

    # --- shared steps ------------------------------------------------------------------------

    async def _search(
        self,
        interaction: discord.Interaction[Any],
        question: str,
        limit: int,
        offset: int,
        *,
        private: bool,
        update: bool = False,
    ) -> SearchResponse:
        # The member's Discord language decides a question too short to tell its own.
        search = partial(
            self.service.search,
            question,
            limit=limit,
            offset=offset,
            locale=interaction.locale.value,
        )
        return await run_in_time(
            interaction,
            partial(self.metrics.timed_search, search),
            defer_after=self.settings.defer_after_seconds,
            ephemeral=private,
            update=update,
        )

    async def _open(
        self,
        interaction: discord.Interaction[Any],
        source_id: str,
        track: Tracked,
        *,
        ephemeral: bool,
        update: bool = False,
    ) -> None:
        service = self.service
        view = service.open(source_id)
        if view is None:
            track.outcome = "no_results"
            # "Closest ids" compares the id with up to 50,000 others (within a time budget):
            # off the event loop, one at a time per member, and deferred, privately like the
            # reply, if slow.
            closest = await in_time(
                interaction,
                self.costly.run(interaction.user.id, partial(service.closest_ids, source_id)),
                defer_after=self.settings.defer_after_seconds,
                ephemeral=True,
            )
            unknown = replies.unknown_source(source_id, closest, words_for(interaction))
            await send(interaction, unknown, ephemeral=True)
            return
        track.results = [(view.passage.id, 0.0)]
        track.total_matches = 1
        shown = replies.source(view, words_for(interaction))
        await send(interaction, shown, ephemeral=ephemeral, update=update)

    @staticmethod
    def _is_private(message: discord.Message | None) -> bool:
        return bool(message and message.flags.ephemeral)

    @contextlib.asynccontextmanager
    async def tracked(
        self, interaction: discord.Interaction[Any], command: str, query: str
    ) -> AsyncIterator[Tracked]:
        """Record the interaction when done, turning any failure into a friendly reply."""
        track = Tracked()
        error_id: str | None = None
        with self.answers.answering():
            try:
                yield track
            except asyncio.CancelledError:
                track.outcome = "error"  # stopped mid-answer (shutdown): still logged, below
                raise
            except SearchCooldown as cooldown:
                track.outcome = "rate_limited"
                wait = max(1, math.ceil(cooldown.retry_after))
                text = words_for(interaction)("notice.cooldown", wait=wait)
                await reply_quietly(interaction, text)
            except QueryTooLongError:
                track.outcome = "no_results"
                text = words_for(interaction)("notice.query_too_long", limit=MAX_QUERY_CHARS)
                await reply_quietly(interaction, text)
            except Exception as error:
                track.outcome = "error"
                error_id = await report_error(interaction, error)
            finally:
                self.record(interaction, command, query, track, error_id)

    def record(
        self,
        interaction: discord.Interaction[Any],
        command: str,
        query: str,
        track: Tracked,
        error_id: str | None = None,
    ) -> None:
        """Queue the query-log row for this interaction (never blocks), and count it."""
        latency = time.perf_counter() - track.started
        self.query_log.record(
            QueryRecord(
                interaction_id=track.answer_id or interaction.id,
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                user_id=self.settings.identities.key(interaction.user.id),
                user_name=self.settings.identities.name(
                    interaction.user.id, interaction.user.display_name
                ),
                command=command,
                query=query,
                results=track.results,
                total_matches=track.total_matches,
                latency_ms=latency * 1000,
                outcome=track.outcome,
                error_id=error_id,
            )
        )
        self.metrics.question(command, track.outcome, latency)
