"""The query log on PostgreSQL (``QUERY_LOG_URL=postgresql://…``), for bots on several machines.

psycopg 3: the writer takes its connection from an async pool (checked before each use, so a
restarted server costs one failed batch, retried); readers open short connections in a worker
thread, as on SQLite. The URL holds a password: it is never logged, and messages name only the
host and database (:meth:`PostgresBackend.describe`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool

from bot.querylog.clock import timestamp
from bot.querylog.dialect import POSTGRES, WRITE_LOCK, LogConnection
from bot.querylog.identities import Identities
from bot.querylog.records import STORED_COLUMNS
from bot.querylog.schema import SchemaError, latest_version, migrations

# Each stored column's type, for its array: one statement a batch, its rows as one array a
# column, is a single round trip, where executemany costs one per row on an async connection
# (about six times slower).
COLUMN_TYPES = {
    "interaction_id": "bigint",
    "created_at": "text",
    "guild_id": "bigint",
    "channel_id": "bigint",
    "user_id": "bigint",
    "user_name": "text",
    "command": "text",
    "query": "text",
    "query_key": "text",
    "results": "text",
    "result_count": "integer",
    "total_matches": "integer",
    "top_passage_id": "text",
    "top_score": "double precision",
    "latency_ms": "double precision",
    "outcome": "text",
    "error_id": "text",
}
INSERT = (
    f"INSERT INTO queries ({', '.join(STORED_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"%s::{COLUMN_TYPES[name]}[]" for name in STORED_COLUMNS)
    + ") ON CONFLICT (interaction_id) DO NOTHING"
)


def as_columns(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """``rows`` (``QueryRecord.to_row``) as one list a column, in :data:`STORED_COLUMNS` order."""
    return [[row[name] for row in rows] for name in STORED_COLUMNS]


# The server down, restarting or unreachable: the rows wait and are retried. Anything else
# (bad data) is about the rows themselves.
FAILURES: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    OSError,
)
CONNECT_TIMEOUT_SECONDS = 5


class PostgresBackend:
    """The query log in a PostgreSQL database."""

    dialect = POSTGRES
    errors: tuple[type[BaseException], ...] = (psycopg.Error,)
    failures: tuple[type[BaseException], ...] = (psycopg.Error, OSError)

    def __init__(self, url: str) -> None:
        self.url = url

    def describe(self) -> str:
        """``postgresql://host:port/database``, without user or password."""
        return describe_url(self.url)

    def writer_store(self, busy_timeout_ms: int) -> PostgresStore:
        """The writer's pooled connection."""
        return PostgresStore(self.url)

    @contextlib.contextmanager
    def connect(
        self, *, readonly: bool, identities: Identities | None = None
    ) -> Iterator[LogConnection]:
        """A short connection; read-only transactions for ``readonly``."""
        conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            version = schema_version(conn)
            if version < latest_version("postgres"):
                raise SchemaError(
                    f"the query log at {self.describe()} has schema {version}, this code needs "
                    f"{latest_version('postgres')}"
                )
            _define_salted(conn, identities)
            if readonly:
                conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            yield PgConnection(conn)
        finally:
            conn.close()

    def migrate(self) -> None:
        """Create the tables or bring them up to date."""
        migrate(self.url)


def is_valid_url(url: str) -> bool:
    """Whether libpq can parse ``url``. Its own message for one it cannot quotes the whole URL,
    password included, so callers say "not valid" instead of passing that message on."""
    if not url.startswith(("postgresql://", "postgres://")):
        return False
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return False
    return True


def describe_url(url: str) -> str:
    """A PostgreSQL URL without its user and password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(an invalid URL)"
    host = parts.get("host") or "localhost"
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{host}{port}/{parts.get('dbname') or ''}"


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The highest migration applied (0 for an empty database)."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def migrate(url: str) -> None:
    """Apply ``migrations/postgres/NNNN_*.sql`` not applied yet, each once, in one transaction
    under the log's write lock: two processes starting together migrate once."""
    with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
        if schema_version(conn) >= latest_version("postgres"):
            return
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            applied = schema_version(conn)
            for version, sql in migrations("postgres"):
                if version <= applied:
                    continue
                conn.execute(sql.encode("utf-8"))
                conn.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (%s, %s)",
                    [version, timestamp()],
                )


def _define_salted(conn: psycopg.Connection[Any], identities: Identities | None) -> None:
    """``pg_temp.salted(id)`` for this session: the member filter's ``Identities.hash_of``
    (HMAC-SHA256 of the id's text under the salt, its first 8 bytes as an unsigned number >> 1),
    computed by the server with its built-in ``sha256`` from the salt's inner and outer padded
    keys (RFC 2104), so no extension is needed. NULL without a salt.

    The keys are session settings passed as parameters, never text of the function, which
    every user of the database could read in ``pg_proc``."""
    salt = identities.salt if identities else None
    body = "NULL::bigint"
    if salt is not None:
        key = (hashlib.sha256(salt).digest() if len(salt) > 64 else salt).ljust(64, b"\0")
        conn.execute(
            "SELECT set_config('corpusbot.hmac_inner', %s, false), "
            "set_config('corpusbot.hmac_outer', %s, false)",
            [bytes(byte ^ 0x36 for byte in key).hex(), bytes(byte ^ 0x5C for byte in key).hex()],
        )
        digest = (
            "sha256(decode(current_setting('corpusbot.hmac_outer'), 'hex') || "
            "sha256(decode(current_setting('corpusbot.hmac_inner'), 'hex') || "
            "convert_to(id::text, 'UTF8')))"
        )
        body = (
            f"(('x' || encode(substring({digest} FROM 1 FOR 8), 'hex'))::bit(64)::bigint >> 1)"
            " & 9223372036854775807"
        )
    conn.execute(
        "CREATE FUNCTION pg_temp.salted(id BIGINT) RETURNS BIGINT LANGUAGE SQL STABLE "
        f"RETURN {body}"
    )


_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?|%")


@lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (and a literal ``%`` doubled); quoted text kept."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        return "%s" if token == "?" else "%%" if token == "%" else token

    return _PLACEHOLDER.sub(swap, sql)


class Row:
    """A row by index and by column name, as ``sqlite3.Row`` is: ``dict(row)`` works."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: Sequence[Any]) -> None:
        self._names = names
        self._values = values

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._names[key] if isinstance(key, str) else key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        """The column names."""
        return list(self._names)


def _rows(cursor: Any) -> Any:
    names = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: Row(names, values)


class PgConnection:
    """A psycopg connection speaking the readers' SQL: ``?`` placeholders, rows by name."""

    dialect = POSTGRES

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        """Run one statement; returns its cursor."""
        cursor = self._conn.cursor(row_factory=_rows)
        return cursor.execute(to_pyformat(sql), list(parameters) or None)

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open."""
        return self._conn.info.transaction_status != TransactionStatus.IDLE

    def stream(self, sql: str, parameters: Sequence[Any], size: int) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql`` as tuples through a server-side cursor, ``size`` at a time: a
        large export never sits whole in this process."""
        with (
            self._conn.transaction(),
            self._conn.cursor(name="corpusbot_stream") as cursor,
        ):
            cursor.execute(to_pyformat(sql), list(parameters) or None)
            while batch := cursor.fetchmany(size):
                yield from batch


class PostgresStore:
    """The writer's connection, from a pool that checks it before each use."""

    failures = FAILURES

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: AsyncConnectionPool | None = None
        self._migrated = False

    async def open(self) -> None:
        """Migrate (once) and open the pool; raises one of :attr:`failures` if the server
        cannot be reached now."""
        if not self._migrated:
            await asyncio.to_thread(migrate, self.url)
            self._migrated = True
        if self._pool is None:
            pool = AsyncConnectionPool(
                self.url,
                min_size=1,
                max_size=1,
                open=False,
                kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
                check=AsyncConnectionPool.check_connection,
                timeout=CONNECT_TIMEOUT_SECONDS,
                name="query-log-writer",
            )
            await pool.open(wait=False)
            self._pool = pool

    async def write(self, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` in one transaction; a known ``interaction_id`` is skipped."""
        await self.open()
        assert self._pool is not None
        async with self._pool.connection() as conn:
            await conn.execute(INSERT, as_columns(rows))

    async def get_meta(self, key: str) -> str | None:
        """A remembered value, or ``None``."""
        await self.open()
        assert self._pool is not None
        async with self._pool.connection() as conn:
            cursor = await conn.execute("SELECT value FROM meta WHERE key = %s", [key])
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str) -> None:
        """Remember a value."""
        await self.open()
        assert self._pool is not None
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

    async def close(self) -> None:
        """Close the pool; the next use opens a new one."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            with contextlib.suppress(*FAILURES):
                await pool.close()
