"""Answers to new help-forum posts: one in the post when the corpus has a confident one, with a
line on how to ask again.

The post is taken up in the log before anything else (``claim_post``), so a replayed or
duplicate event, a restart or a second process never answers it twice. Posts older than
``FORUM_MAX_AGE_MINUTES`` are left alone, and each forum answers at most
``FORUM_ANSWERS_PER_HOUR`` posts in any hour. Every post taken up is logged like /ask, as
command ``forum``, whatever became of it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import discord
from discord.ext import commands

from bot.config import Settings
from bot.discord_bot import replies
from bot.discord_bot.answering import AnswersInProgress
from bot.discord_bot.exts.help_channels._notices import PermissionNotices
from bot.discord_bot.exts.search._cog import Tracked
from bot.discord_bot.ratelimit import SearchCooldown, UserRateLimiter
from bot.discord_bot.respond import NO_MENTIONS
from bot.i18n.catalog import messages_for
from bot.observability import BotMetrics
from bot.querylog.database import LogDatabase, LogUnavailable
from bot.querylog.forums import claim_post
from bot.querylog.records import QueryRecord
from bot.querylog.writer import QueryLog
from bot.search.questions import question_part
from bot.search.service import SearchResponse, SearchService

log = logging.getLogger(__name__)
HOUR_SECONDS = 3600.0
_MISSING_PERMISSIONS = 50013


class ForumPostsCog(commands.Cog, name="ForumPostsCog"):
    """Answers new posts in the help forums /corpus-help chose."""

    def __init__(
        self,
        client: discord.Client,
        settings: Settings,
        query_log: QueryLog,
        db: LogDatabase,
        service: Callable[[], SearchService],
        metrics: BotMetrics,
        answers: AnswersInProgress,
    ) -> None:
        self.client = client
        self.answers = answers  # so a shutdown lets the answers in progress finish
        self.metrics = metrics
        self.settings = settings
        self.query_log = query_log
        self.db = db
        self._current_service = service
        self.limiter = UserRateLimiter(settings.forum_answers_per_hour, HOUR_SECONDS)
        self.notices = PermissionNotices(client, db)

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        """Answer a new post of an enabled help forum, once."""
        forum = thread.parent
        if not isinstance(forum, discord.ForumChannel) or self._not_for_us(thread):
            return
        with self.answers.answering():
            await self._claim_and_answer(thread, forum)

    async def _claim_and_answer(self, thread: discord.Thread, forum: discord.ForumChannel) -> None:
        """Take the post up (once, whichever process sees it first) and answer it."""
        try:
            claimed = await self.db.write(
                lambda conn: claim_post(conn, thread.guild.id, forum.id, thread.id)
            )
        except LogUnavailable as error:
            log.error(
                "help forum post %s not answered: the log is unavailable (%s)", thread.id, error
            )
            return
        if not claimed:
            log.info(
                "forum post %s: not taken up (not a help forum, or taken up before)", thread.id
            )
            return
        await self._answer(thread, forum)

    def _not_for_us(self, thread: discord.Thread) -> bool:
        """The bot's own posts, and posts too old to answer now (an outage's backlog)."""
        user = self.client.user
        if user is not None and thread.owner_id == user.id:
            return True
        created = thread.created_at or discord.utils.snowflake_time(thread.id)
        limit = self.settings.forum_max_age_minutes
        if datetime.now(UTC) - created > timedelta(minutes=limit):
            log.info("forum post %s: older than %g minutes, left alone", thread.id, limit)
            return True
        return False

    async def _answer(self, thread: discord.Thread, forum: discord.ForumChannel) -> None:
        """Search for the post, answer when confident, and log it whatever happens."""
        track = Tracked()
        query = thread.name
        error_id: str | None = None
        try:
            query = await self._question_of(thread, forum)
            search = partial(
                self._current_service().search,
                query,
                limit=self.settings.ask_default_results,
                locale=thread.guild.preferred_locale.value,
            )
            response = await asyncio.to_thread(self.metrics.timed_search, search)
            track.answered_with(response)
            if not self._confident(response):
                track.outcome = "no_results"
                return
            try:
                self.limiter.check(forum.id)
            except SearchCooldown:
                track.outcome = "rate_limited"
                return
            posted = await self._post(thread, forum, response)
            if posted is None:
                track.outcome = "error"
                error_id = "forbidden"
                return
            track.answer_id = posted.id
        except asyncio.CancelledError:
            track.outcome = "error"  # stopped mid-answer (shutdown): still logged, below
            raise
        except Exception:
            track.outcome = "error"
            error_id = secrets.token_hex(4)
            log.exception("error %s answering help forum post %s", error_id, thread.id)
        finally:
            self._record(thread, query, track, error_id)

    def _confident(self, response: SearchResponse) -> bool:
        """Whether the best passage scores ``FORUM_MIN_SCORE`` or more."""
        return bool(response.hits) and response.hits[0].score >= self.settings.forum_min_score

    async def _question_of(self, thread: discord.Thread, forum: discord.ForumChannel) -> str:
        """The post's title, and what its first message asks when the bot can read it (an app
        without the Message Content intent reads it empty: the title alone then)."""
        title = thread.name
        if not forum.permissions_for(thread.guild.me).read_message_history:
            await self.notices.tell(forum, "cannot_read_history")
            return title
        try:
            starter = thread.starter_message or await thread.fetch_message(thread.id)
        except discord.Forbidden:
            await self.notices.tell(forum, "cannot_read_history")
            return title
        except discord.NotFound:
            return title
        asked = question_part(starter.content)
        return f"{title} {asked}" if asked and asked != title else title

    async def _post(
        self, thread: discord.Thread, forum: discord.ForumChannel, response: SearchResponse
    ) -> discord.Message | None:
        """The answer in the post; ``None`` if the bot may not post there (told once)."""
        words = messages_for(thread.guild.preferred_locale.value)
        reply = replies.forum_answer(response, self.settings.ask_default_results, words)
        extras: dict[str, Any] = {"view": reply.view} if reply.view is not None else {}
        try:
            return await thread.send(embeds=reply.embeds, allowed_mentions=NO_MENTIONS, **extras)
        except discord.Forbidden as error:
            if error.code != _MISSING_PERMISSIONS:
                raise
            await self.notices.tell(forum, "cannot_send")
            return None

    def _record(
        self, thread: discord.Thread, query: str, track: Tracked, error_id: str | None
    ) -> None:
        """The post's query-log row, counted in the metrics as every row is: under the answer's
        message id when there is one (votes name it), else the post's own id."""
        latency = time.perf_counter() - track.started
        identities = self.settings.identities
        owner_id = thread.owner_id or 0
        owner = thread.owner
        name = owner.display_name if owner is not None else str(owner_id)
        self.query_log.record(
            QueryRecord(
                interaction_id=track.answer_id or thread.id,
                guild_id=thread.guild.id,
                channel_id=thread.id,
                user_id=identities.key(owner_id),
                user_name=identities.name(owner_id, name),
                command="forum",
                query=query,
                results=track.results,
                total_matches=track.total_matches,
                latency_ms=latency * 1000,
                outcome=track.outcome,
                error_id=error_id,
            )
        )
        self.metrics.question("forum", track.outcome, latency)
