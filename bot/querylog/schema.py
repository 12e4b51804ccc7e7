"""The schema: ``migrations/<dialect>/NNNN_*.sql`` applied in order, each once, under the write
lock. Each dialect's folder has the same numbers with the same meaning; this module applies
SQLite's (:mod:`bot.querylog.backends.postgres` applies PostgreSQL's)."""

from __future__ import annotations

import logging
import sqlite3
from importlib import resources

import aiosqlite

from bot.querylog.dialect import DialectName
from bot.querylog.normalise import normalise_query
from bot.querylog.transactions import write_transaction

log = logging.getLogger(__name__)


class SchemaError(RuntimeError):
    """The database is older than this code (the bot has not migrated it yet)."""


def migrations(dialect: DialectName = "sqlite") -> list[tuple[int, str]]:
    """``(version, sql)`` for every ``bot/querylog/migrations/<dialect>/NNNN_*.sql``, in order."""
    folder = resources.files("bot.querylog") / "migrations" / dialect
    scripts = sorted(
        (item for item in folder.iterdir() if item.name.endswith(".sql")), key=lambda i: i.name
    )
    return [(int(item.name.split("_", 1)[0]), item.read_text("utf-8")) for item in scripts]


def latest_version(dialect: DialectName = "sqlite") -> int:
    """The schema version the migrations bring a database to."""
    return max(version for version, _ in migrations(dialect))


async def migrate(db: aiosqlite.Connection) -> None:
    """Apply the migrations newer than the database's ``user_version``, each in a transaction.

    The version is read only once the write lock is held: another process (a second bot,
    ``corpusbot log``) may have migrated the file while this one waited for that lock.
    """
    await db.create_function("normalise_query", 1, normalise_query, deterministic=True)
    for version, sql in migrations():
        if await _version(db) >= version:  # up to date: no need to wait for the write lock
            continue
        async with write_transaction(db):
            if await _version(db) >= version:
                continue
            for statement in _statements(sql):
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version = {version}")
        log.info("query log schema migrated to version %d", version)


async def _version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def _statements(script: str) -> list[str]:
    """A migration script cut into single statements, to run inside a transaction this code
    holds (``executescript`` would first commit it, releasing the lock)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending)
            pending = ""
    if pending.strip():
        statements.append(pending)  # a last statement without ";", or only comments
    return statements
