"""Settings from the environment and ``.env``; every one is documented in ``.env.example``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.corpus import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_PDF_PAGES, FileRules
from bot.corpus.languages import AUTO, language_code
from bot.corpus.passages import MAX_WORDS, MIN_WORDS
from bot.index import BM25Parameters
from bot.querylog.backends import LogBackend
from bot.querylog.backends.postgres import PostgresBackend, is_valid_url
from bot.querylog.backends.sqlite import SqliteBackend
from bot.querylog.identities import Identities


class Settings(BaseSettings):
    """Typed settings; environment variables win over ``.env``."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    corpus_dir: Path = Field(Path("seeds"), description="Folder of .txt/.md/.jsonl documents.")
    corpus_follow_external_links: bool = Field(
        False,
        description=(
            "Follow links in the corpus folder that point outside it. Risky: anyone who can add "
            "a file to the corpus can then make the bot quote any file it can read."
        ),
    )
    max_file_bytes: int = Field(
        DEFAULT_MAX_FILE_BYTES,
        ge=1,
        description=(
            "Larger corpus files are skipped: a file is read whole, so this bounds the memory "
            "one file takes (2-5 times its size while it loads)."
        ),
    )
    pdf_max_pages: int = Field(
        DEFAULT_MAX_PDF_PAGES,
        ge=1,
        description="A PDF with more pages is skipped with a warning before any page is read.",
    )
    corpus_language: str = Field(
        AUTO,
        description=(
            "The language (ISO 639-1: en, de, zh…) of documents that do not declare one in a "
            "JSONL lang or Markdown front matter lang:; auto detects each one's."
        ),
    )
    bm25_k1: float = Field(1.2, ge=0.0, le=10.0, description="BM25 term-frequency saturation.")
    bm25_b: float = Field(0.75, ge=0.0, le=1.0, description="BM25 length normalisation.")
    rerank: bool = Field(
        False,
        description=(
            "Reorder BM25's best 50 passages by how close together the question's words stand "
            "in each: +1.3 points answer-in-first-passage on XQuAD with distractors, about ten "
            "times the search time on long passages (docs/quality.md)."
        ),
    )
    passage_min_words: int = Field(
        MIN_WORDS,
        ge=1,
        description="A passage closes at a paragraph end once it has this many words.",
    )
    passage_max_words: int = Field(MAX_WORDS, ge=10, description="No passage is longer than this.")
    index_cache_dir: Path | None = Field(
        Path("data/index"),
        description="Built indexes are saved here and memory-mapped on restart; empty: never.",
    )
    kernel_cache_dir: Path | None = Field(
        None,
        description="numba's compiled query kernels are kept here; empty: numba's own choice.",
    )

    # --- Site import (corpusbot import-site) ---------------------------------------------------
    import_site_requests_per_second: float = Field(
        2.0, gt=0, le=100, description="Requests import-site makes per second at most (--rate)."
    )
    import_site_max_pages: int = Field(
        5000, ge=1, description="Pages import-site fetches at most in one run (--max-pages)."
    )
    import_site_timeout_seconds: float = Field(
        30.0, gt=0, le=600, description="A page not fully received by then is skipped."
    )
    import_site_max_page_bytes: int = Field(
        5 * 1024 * 1024, ge=1024, description="A larger page is skipped, its download stopped."
    )

    # --- Discord -----------------------------------------------------------------------------
    discord_token: SecretStr | None = Field(None, description="The bot token; never logged.")
    discord_api_base: str | None = Field(
        None, description="Another REST API base, e.g. a rate-limit proxy (default Discord's)."
    )
    discord_gateway_url: str | None = Field(None, description="Another Gateway URL (ws/wss).")
    auto_sync: bool = Field(
        True, description="Sync slash commands at start-up when their definitions changed."
    )
    sync_guild_id: int | None = Field(
        None, description="Also sync commands to this guild (instant, for development)."
    )
    shard_count: int | None = Field(
        None,
        ge=1,
        description="Shards in all (discord.py's AutoShardedBot); empty: one unsharded connection.",
    )
    shard_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="The shards this process runs (comma list, needs SHARD_COUNT); empty: all.",
    )
    shard_identify_seconds: float = Field(
        5.0,
        ge=0,
        le=60,
        description="Seconds between two shards' IDENTIFYs in one max_concurrency bucket, across "
        "this machine's processes (Discord's limit is 5).",
    )
    ask_default_results: int = Field(3, ge=1, le=5, description="Results /ask shows by default.")
    ask_cooldown_rate: int = Field(5, ge=1, description="Searches a member may run per window.")
    ask_cooldown_seconds: float = Field(30.0, gt=0, description="The cooldown window, seconds.")
    source_cooldown_rate: int = Field(
        30, ge=1, description="/source uses and id completions a member may run per window."
    )
    source_cooldown_seconds: float = Field(
        30.0, gt=0, description="The /source cooldown window, seconds."
    )
    defer_after_seconds: float = Field(
        1.0, gt=0, le=2.5, description="Defer a reply whose search is not done by then."
    )
    watch_corpus: bool = Field(
        True, description="Reload the corpus when its folder changes, without a restart."
    )
    index_merge_seconds: float = Field(
        60.0,
        gt=0,
        description=(
            "After a change, the corpus answers at once from the saved index with the changed "
            "files laid over it; once it has been quiet this long, a full build folds them in "
            "(in the background) for the fastest queries."
        ),
    )
    child_build_from_bytes: int = Field(
        5_000_000,
        ge=0,
        description=(
            "A start, reload or merge that builds the index in full runs the build in a child "
            "process from a corpus of this many bytes; a smaller one builds in the bot's own "
            "process, where it ends before a child would have started."
        ),
    )
    reload_timeout_seconds: float = Field(
        300.0,
        gt=0,
        le=840,
        description=(
            "A corpus reload still building after this stops holding up later ones and /reload "
            "says so (it is swapped in if it ends first); under Discord's 15-minute reply limit."
        ),
    )
    log_level: str = Field("INFO", description="Process log level (DEBUG, INFO, WARNING…).")
    log_format: Literal["text", "json"] = Field(
        "text", description="Process log lines as text, or as JSON objects for a log collector."
    )

    # --- Metrics and health ----------------------------------------------------------------------
    metrics_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description=(
            "Serve /metrics, /healthz and /readyz on this port (empty: off; 0: any free port, "
            "logged); process i of corpusbot run --processes serves on this port + i."
        ),
    )
    metrics_host: str = Field(
        "127.0.0.1", description="The address the metrics port listens on (0.0.0.0: every one)."
    )

    # --- Help forums ---------------------------------------------------------------------------
    forum_min_score: float = Field(
        10.0,
        ge=0,
        description=(
            "A new help-forum post is answered only when its best passage scores at least this "
            "(BM25); measured on on-topic and off-topic posts in docs/quality.md."
        ),
    )
    forum_max_age_minutes: float = Field(
        10.0,
        gt=0,
        description="Posts older than this when the bot sees them are never answered.",
    )
    forum_answers_per_hour: int = Field(
        20, ge=1, description="At most this many answers per help forum in any hour."
    )

    # --- Query log ---------------------------------------------------------------------------
    query_log_path: Path = Field(Path("data/corpusbot.db"), description="SQLite query log.")
    query_log_url: SecretStr | None = Field(
        None,
        description="postgresql://user:password@host/db keeps the query log in PostgreSQL "
        "instead of QUERY_LOG_PATH (whose folder still holds the side file).",
    )
    query_log_flush_seconds: float = Field(
        0.0,
        ge=0,
        le=60,
        description="How long a query-log row may wait for others before it is written "
        "(0: written as soon as the writer is free; a kill loses what waits).",
    )
    query_log_max_buffered_rows: int = Field(
        5000,
        ge=1,
        description="Rows kept in memory while the query log cannot be written; later ones "
        "go to the side file.",
    )

    # --- Moderation and privacy -----------------------------------------------------------------
    moderator_role_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Roles whose members may use /querylog (comma list)."
    )
    moderator_permission: str = Field(
        "manage_messages", description="A permission that also grants /querylog (and hides it)."
    )
    unanswered_below_score: float = Field(
        1.0, ge=0, description="An answer whose best score is below this counts as unanswered."
    )
    query_log_retention_days: int = Field(
        90,
        ge=0,
        le=36500,
        description="Delete log rows older than this, daily (0 keeps them forever).",
    )
    query_log_hash_users: bool = Field(
        False, description="Store a salted hash instead of member ids and names."
    )
    query_log_user_salt: SecretStr | None = Field(
        None, description="The secret salt for QUERY_LOG_HASH_USERS; keep it stable."
    )

    @field_validator("moderator_role_ids", "shard_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        """``MODERATOR_ROLE_IDS=1,2``, ``SHARD_IDS=0,1`` (or a JSON list, or empty)."""
        if isinstance(value, str):
            text = value.strip().strip("[]")
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("corpus_language")
    @classmethod
    def _language_or_auto(cls, value: str) -> str:
        """``auto``, or a language code ("de", also written "de-AT"), kept as its code."""
        if value.strip().lower() == AUTO:
            return AUTO
        code = language_code(value)
        if code is None:
            raise ValueError("CORPUS_LANGUAGE is auto or an ISO 639-1 code such as en, de or zh")
        return code

    @field_validator("moderator_permission")
    @classmethod
    def _known_permission(cls, value: str) -> str:
        """A Discord permission name such as ``manage_messages`` or ``moderate_members``."""
        if not re.fullmatch(r"[a-z_]+", value):
            raise ValueError("MODERATOR_PERMISSION is a permission name such as manage_messages")
        if value != "manage_messages":  # the default: no need to load discord.py to check it
            import discord

            if value not in discord.Permissions.VALID_FLAGS:
                raise ValueError(
                    f"MODERATOR_PERMISSION {value!r} is not a Discord permission; "
                    "try manage_messages, moderate_members or kick_members"
                )
        return value

    @model_validator(mode="after")
    def _shards_in_range(self) -> Settings:
        """SHARD_IDS name shards of SHARD_COUNT, each once."""
        problem = shard_problem(self.shard_count, self.shard_ids)
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _salt_when_hashing(self) -> Settings:
        """Hashing without a secret salt would be reversible by trying every member id."""
        salt = self.query_log_user_salt.get_secret_value() if self.query_log_user_salt else ""
        if self.query_log_hash_users and len(salt) < 16:
            raise ValueError("QUERY_LOG_HASH_USERS needs QUERY_LOG_USER_SALT (16+ characters)")
        return self

    @field_validator("query_log_url")
    @classmethod
    def _postgresql_url(cls, value: SecretStr | None) -> SecretStr | None:
        """Only PostgreSQL URLs; empty is unset. The message never repeats the URL."""
        if value is None or not value.get_secret_value().strip():
            return None
        if not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql:// (or be empty for SQLite)")
        if not is_valid_url(value.get_secret_value()):
            raise ValueError("is not a valid postgresql://user:password@host:port/db URL")
        return value

    @property
    def log_backend(self) -> LogBackend:
        """Where the query log is: PostgreSQL with ``QUERY_LOG_URL``, else the SQLite file."""
        if self.query_log_url is None:
            return SqliteBackend(self.query_log_path)
        return PostgresBackend(self.query_log_url.get_secret_value())

    @property
    def identities(self) -> Identities:
        """How members are stored in the log: as themselves, or as a salted hash. A salt still
        set after hashing is turned off lets ``/forget-me`` find the rows hashed before."""
        salt = self.query_log_user_salt
        if salt is None:
            return Identities()
        return Identities(salt.get_secret_value().encode(), hashing_on=self.query_log_hash_users)

    @field_validator(
        "index_cache_dir",
        "kernel_cache_dir",
        "discord_token",
        "discord_api_base",
        "discord_gateway_url",
        "sync_guild_id",
        "shard_count",
        "query_log_user_salt",
        "metrics_port",
        mode="before",
    )
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        """``NAME=`` (empty, as ``.env.example`` ships them) means the setting is not given:
        ``INDEX_CACHE_DIR=`` turns the cache off, ``SYNC_GUILD_ID=`` syncs globally only."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def file_rules(self) -> FileRules:
        """Which corpus files may be read, as the loader takes it."""
        return FileRules(self.max_file_bytes, self.corpus_follow_external_links, self.pdf_max_pages)

    @property
    def bm25(self) -> BM25Parameters:
        """The ranking parameters as the index takes them."""
        return BM25Parameters(k1=self.bm25_k1, b=self.bm25_b)


def shard_problem(shard_count: int | None, shard_ids: list[int]) -> str | None:
    """Why these shard settings cannot run (``None`` when they can), in the settings' names."""
    if not shard_ids:
        return None
    if shard_count is None:
        return "SHARD_IDS needs SHARD_COUNT (how many shards the bot has in all)"
    wrong = [shard for shard in shard_ids if not 0 <= shard < shard_count]
    if wrong:
        last = shard_count - 1
        return f"SHARD_IDS {wrong} are not shards of SHARD_COUNT={shard_count} (0 to {last})"
    if len(set(shard_ids)) != len(shard_ids):
        return "SHARD_IDS names a shard twice"
    return None


def invalid_settings(error: ValidationError) -> list[str]:
    """Which settings are wrong and why, one a line, never their values: pydantic's own text
    quotes the input, which can be the token or the salt (and, for a check across settings,
    every setting at once)."""
    lines = []
    for problem in error.errors(include_url=False, include_context=False, include_input=False):
        name = "_".join(str(part) for part in problem["loc"]).upper()
        reason = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {reason}" if name else reason)
    return lines
