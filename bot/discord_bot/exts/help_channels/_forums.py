"""Help forums: administrators pick forum channels; a new post there gets one answer in the
post when the corpus has a confident one, and a line on how to ask again.

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
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.discord_bot import replies
from bot.discord_bot.access import is_administrator
from bot.discord_bot.exts.help_channels._notices import PermissionNotices
from bot.discord_bot.exts.search._cog import Tracked
from bot.discord_bot.language import command_text, words_for
from bot.discord_bot.ratelimit import SearchCooldown, UserRateLimiter
from bot.discord_bot.respond import NO_MENTIONS, notice, send
from bot.i18n.catalog import messages_for
from bot.querylog.database import LogDatabase, LogUnavailable
from bot.querylog.forums import add_forum, claim_post, enabled_forums, remove_forum
from bot.querylog.records import QueryRecord
from bot.querylog.writer import QueryLog
from bot.search.questions import question_part
from bot.search.service import SearchResponse, SearchService

log = logging.getLogger(__name__)
HOUR_SECONDS = 3600.0
_MISSING_PERMISSIONS = 50013


class ForumOption(app_commands.Transformer):
    """A forum channel option: Discord offers forums only (discord.py's ``ForumChannel``
    would ask for media channels too, which help forums are not)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        """A channel option."""
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        """Forums only."""
        return [discord.ChannelType.forum]

    async def transform(
        self, interaction: discord.Interaction[Any], value: Any, /
    ) -> app_commands.AppCommandChannel:
        """The channel as the interaction resolved it (no cache needed)."""
        if not isinstance(value, app_commands.AppCommandChannel):
            raise app_commands.TransformerError(value, self.type, self)
        return value


Forum = app_commands.Transform[app_commands.AppCommandChannel, ForumOption]


@app_commands.guild_only()
@app_commands.default_permissions(administrator=True)
class HelpForumCog(
    commands.GroupCog,
    name="HelpForumCog",
    group_name=command_text("command.corpus_help.name"),
    group_description=command_text("command.corpus_help.description"),
):
    """/corpus-help forum add|remove|list, and the answers to new posts in those forums."""

    forum = app_commands.Group(
        name=command_text("command.corpus_help.forum.name"),
        description=command_text("command.corpus_help.forum.description"),
    )

    def __init__(
        self,
        client: discord.Client,
        settings: Settings,
        query_log: QueryLog,
        db: LogDatabase,
        service: Callable[[], SearchService],
    ) -> None:
        self.client = client
        self.settings = settings
        self.query_log = query_log
        self.db = db
        self._current_service = service
        self.limiter = UserRateLimiter(settings.forum_answers_per_hour, HOUR_SECONDS)
        self.notices = PermissionNotices(client, db)
        super().__init__()

    # --- /corpus-help forum ------------------------------------------------------------------

    @forum.command(
        name=command_text("command.corpus_help.forum.add.name"),
        description=command_text("command.corpus_help.forum.add.description"),
    )
    @app_commands.rename(channel=command_text("option.forum.name"))
    @app_commands.describe(channel=command_text("option.forum.description"))
    async def add(self, interaction: discord.Interaction[Any], channel: Forum) -> None:
        """Answer new posts in ``channel``."""
        guild_id, admin = interaction.guild_id, interaction.user.id
        if guild_id is None or await self._refused(interaction):
            return
        added = await self.db.write(lambda conn: add_forum(conn, guild_id, channel.id, admin))
        key = "help.forum_added" if added else "help.forum_already"
        await self._tell(interaction, words_for(interaction)(key, channel=channel.mention))

    @forum.command(
        name=command_text("command.corpus_help.forum.remove.name"),
        description=command_text("command.corpus_help.forum.remove.description"),
    )
    @app_commands.rename(channel=command_text("option.forum.name"))
    @app_commands.describe(channel=command_text("option.forum.description"))
    async def remove(self, interaction: discord.Interaction[Any], channel: Forum) -> None:
        """Stop answering posts in ``channel``."""
        guild_id = interaction.guild_id
        if guild_id is None or await self._refused(interaction):
            return
        removed = await self.db.write(lambda conn: remove_forum(conn, guild_id, channel.id))
        key = "help.forum_removed" if removed else "help.forum_not_enabled"
        await self._tell(interaction, words_for(interaction)(key, channel=channel.mention))

    @forum.command(
        name=command_text("command.corpus_help.forum.list.name"),
        description=command_text("command.corpus_help.forum.list.description"),
    )
    async def list_forums(self, interaction: discord.Interaction[Any]) -> None:
        """The server's help forums."""
        guild_id = interaction.guild_id
        if guild_id is None or await self._refused(interaction):
            return
        forums = await self.db.read(lambda conn: enabled_forums(conn, guild_id))
        words = words_for(interaction)
        if not forums:
            await self._tell(interaction, words("help.no_forums"))
            return
        mentions = ", ".join(f"<#{forum_id}>" for forum_id in forums)
        await self._tell(interaction, words("help.forums", forums=mentions))

    async def _refused(self, interaction: discord.Interaction[Any]) -> bool:
        """Refuse privately unless an administrator of a server the bot is installed to: the
        menu's ``default_permissions`` only hides the commands."""
        if is_administrator(interaction):
            return False
        await self._tell(interaction, words_for(interaction)("help.administrators_only"))
        return True

    async def _tell(self, interaction: discord.Interaction[Any], text: str) -> None:
        await send(interaction, notice(text), ephemeral=True)

    # --- new posts ---------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        """Answer a new post of an enabled help forum, once."""
        forum = thread.parent
        if not isinstance(forum, discord.ForumChannel) or self._not_for_us(thread):
            return
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
            response = await asyncio.to_thread(
                partial(
                    self._current_service().search,
                    query,
                    limit=self.settings.ask_default_results,
                    locale=thread.guild.preferred_locale.value,
                )
            )
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
        """The post's query-log row: under the answer's message id when there is one (votes
        name it), else the post's own id."""
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
                latency_ms=(time.perf_counter() - track.started) * 1000,
                outcome=track.outcome,
                error_id=error_id,
            )
        )
