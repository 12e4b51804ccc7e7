"""The bot: dependencies passed in, commands registered in ``setup_hook``, sync on purpose."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Coroutine
from functools import partial
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.discord_bot.answering import AnswersInProgress
from bot.discord_bot.exts.feedback._cog import FeedbackCog
from bot.discord_bot.exts.help_channels._menu import FindInDocsCog
from bot.discord_bot.exts.moderation._cog import ModerationCog
from bot.discord_bot.exts.search._cog import SearchCog, Tracked
from bot.discord_bot.full_build import FullBuilds
from bot.discord_bot.language import CatalogTranslator
from bot.discord_bot.reloader import CorpusReloader
from bot.discord_bot.respond import report_error
from bot.observability import BotMetrics
from bot.querylog.database import LogDatabase
from bot.querylog.writer import QueryLog
from bot.search.loading import load_service
from bot.search.service import SearchService

log = logging.getLogger(__name__)

# Voice is never used; don't warn at every start that its optional libraries are missing.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False

# What the bot needs in a channel; replies to interactions need no more than this. Help forums
# and "Post publicly" in a thread also need to post in threads and read a post's first message.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    attach_files=True,
    send_messages_in_threads=True,
    read_message_history=True,
)
# Loaded in this order, which is also the order of the commands Discord is sent.
EXTENSIONS = (
    "bot.discord_bot.exts.search",  # /ask, /source and their buttons
    "bot.discord_bot.exts.admin",  # /reload
    "bot.discord_bot.exts.moderation",  # /querylog
    "bot.discord_bot.exts.feedback",  # 👍 / 👎
    "bot.discord_bot.exts.privacy",  # /forget-me, retention
    "bot.discord_bot.exts.help_channels",  # "Find in the docs", help forums
)


class CorpusBot(commands.Bot):
    """A Discord client over one :class:`SearchService` and one :class:`QueryLog`."""

    def __init__(
        self,
        service: SearchService,
        query_log: QueryLog,
        settings: Settings,
        *,
        metrics: BotMetrics | None = None,
        **client_options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # not privileged; keeps guild and channel objects in the cache
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **client_options,  # the sharded bot's shard_count and shard_ids
        )
        self.service = service
        self.query_log = query_log
        self.settings = settings
        self.metrics = metrics if metrics is not None else BotMetrics()
        # One for every cog: /querylog, votes, /forget-me and retention reach the log alike.
        self.log_database = LogDatabase(query_log, settings.identities)
        builds = FullBuilds(settings)
        self.reloader = CorpusReloader(
            settings.corpus_dir,
            load=partial(_ready_service, settings),
            get=lambda: self.service,
            swap=self._swap_service,
            timeout_seconds=settings.reload_timeout_seconds,
            on_result=self.metrics.reload,
            merge=builds.build,
            merge_after_seconds=settings.index_merge_seconds,
            full_build_wanted=builds.wanted,
        )
        self._background: set[asyncio.Task[None]] = set()
        self.answers = AnswersInProgress()
        self.tree.error(self.on_app_command_error)

    async def setup_hook(self) -> None:
        """Runs once per process, after login and before the Gateway: never on reconnects."""
        # Every sync sends each command's names and descriptions in the shipped languages.
        await self.tree.set_translator(CatalogTranslator())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        log.info("corpus: %s", self.service.summary.describe())
        # Load the compiled query kernels before the Gateway connects, not during the first /ask:
        # about 0.7 s from numba's cache. In the background, the first /ask loaded them itself
        # while competing with the warm-up, 2 s on an idle machine and 8 s on a busy one, past
        # the deadline of its reply. (A first start ever compiles them: about 15 s, once.)
        started = time.perf_counter()
        await asyncio.to_thread(self.service.index.warm_up)
        backend = self.service.index.backend
        log.info("queries answered by %s, ready in %.1f s", backend, time.perf_counter() - started)
        if self.application_id:
            log.info("invite: %s", invite_url(self.application_id))
        if self.settings.auto_sync:
            await self.sync_commands_if_changed()
        self.reloader.schedule_merge()  # a start that laid changes over the saved index
        if self.settings.watch_corpus:
            self.run_in_background(self.reloader.watch())

    # --- typed accessors: each extension's cog, or None when it is not loaded ----------------

    @property
    def search(self) -> SearchCog | None:
        """The search extension: /ask, /source and the buttons on their answers."""
        cog = self.get_cog(SearchCog.__cog_name__)
        return cog if isinstance(cog, SearchCog) else None

    @property
    def feedback(self) -> FeedbackCog | None:
        """The feedback extension: votes on answers."""
        cog = self.get_cog(FeedbackCog.__cog_name__)
        return cog if isinstance(cog, FeedbackCog) else None

    @property
    def find_in_docs(self) -> FindInDocsCog | None:
        """The "Find in the docs" message command and its "Post publicly" button."""
        cog = self.get_cog(FindInDocsCog.__cog_name__)
        return cog if isinstance(cog, FindInDocsCog) else None

    @property
    def moderation(self) -> ModerationCog | None:
        """The moderation extension: /querylog, its pages and purge prompts."""
        cog = self.get_cog(ModerationCog.__cog_name__)
        return cog if isinstance(cog, ModerationCog) else None

    def run_in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Keep a task referenced until done, and cancel it on close."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _swap_service(self, service: SearchService) -> None:
        self.service = service

    async def finish_interactions(self, patience: float) -> None:
        """Let the answers in progress finish, up to ``patience`` seconds, so a restart leaves
        no member without a reply and no row unlogged (one still running after that is logged
        as an error when it is cancelled)."""
        await self.answers.finish(patience)

    async def close(self) -> None:
        """Stop background work (a full build's child process too), then disconnect."""
        for task in list(self._background):
            task.cancel()
        await self.reloader.close()
        await super().close()

    async def command_fingerprint(self) -> str:
        """A hash of the command definitions as Discord would receive them, localizations
        included, so a changed translation is synced too."""
        commands = self.tree.get_commands()
        translator = self.tree.translator
        if translator is None:
            payload = [command.to_dict(self.tree) for command in commands]
        else:
            payload = [
                await command.get_translated_payload(self.tree, translator) for command in commands
            ]
        encoded = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(encoded).hexdigest()

    def _sync_target(self, guild_id: int | None) -> tuple[discord.Object | None, str]:
        if guild_id is None:
            return None, "commands:global"
        return discord.Object(guild_id), f"commands:guild:{guild_id}"

    async def sync_commands(self, guild_id: int | None = None) -> int:
        """Push the command definitions to Discord (a guild's are instant, global ones slow)."""
        guild, key = self._sync_target(guild_id)
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        await self.query_log.set_meta(key, await self.command_fingerprint())
        log.info(
            "synced %d commands %s", len(synced), f"to guild {guild_id}" if guild_id else "globally"
        )
        return len(synced)

    async def sync_commands_if_changed(self) -> bool:
        """Sync only when the definitions differ from the last sync this database remembers."""
        guild_id = self.settings.sync_guild_id
        _, key = self._sync_target(guild_id)
        if await self.query_log.get_meta(key) == await self.command_fingerprint():
            log.info("commands unchanged since the last sync; not syncing")
            return False
        await self.sync_commands(guild_id)
        return True

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """The tree's one error handler, for failures before a command's own body runs.

        Only the search commands' failures become query-log rows: the others are not questions
        (/querylog, /forget-me, /reload), and their options can name a member, whom the log
        would then hold by name even with hashed ids.
        """
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        error_id = await report_error(interaction, cause)
        cog = self.search
        if cog is None or not _is_search_command(interaction, cog):
            return
        track = Tracked(outcome="error")
        command = interaction.command.qualified_name if interaction.command else "unknown"
        query = " ".join(f"{k}={v}" for k, v in vars(interaction.namespace).items())
        cog.record(interaction, command, query, track, error_id)


def _is_search_command(interaction: discord.Interaction[Any], cog: SearchCog) -> bool:
    """Whether the interaction ran one of the search cog's commands (/ask, /source)."""
    return getattr(interaction.command, "binding", None) is cog


def invite_url(application_id: int) -> str:
    """The OAuth2 URL that adds the bot with its commands and the few permissions it needs."""
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
    )


def _ready_service(settings: Settings) -> SearchService:
    """:func:`load_service` with its query kernels loaded, as at start: a reload that takes the
    corpus past ``COMPILED_FROM_PASSAGES`` moves it onto numba, whose first load would fall on
    a member's question otherwise."""
    service = load_service(settings)
    service.index.warm_up()
    return service
