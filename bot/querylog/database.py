"""The query log as the bot's moderators and members reach it: short connections in a thread.

Each call opens its own connection (SQLite or PostgreSQL) in a worker thread (read-only for
listings), so a slow export never blocks the event loop and never holds a lock the batched
writer needs. Buffered rows are flushed first, so a listing shows the interaction that happened
a moment ago and ``/forget-me`` deletes it too. The bot builds one :class:`LogDatabase` and every
cog shares it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from bot.querylog.dialect import LogConnection
from bot.querylog.identities import Identities
from bot.querylog.schema import SchemaError
from bot.querylog.writer import QueryLog

T = TypeVar("T")


class LogUnavailable(Exception):
    """The log cannot be opened, read or changed now: locked past the busy timeout, read-only,
    not migrated yet, or a disk error. The message says which; the cause is chained."""


class LogDatabase:
    """Runs :mod:`bot.querylog` functions against the bot's query log."""

    def __init__(self, query_log: QueryLog, identities: Identities) -> None:
        self.query_log = query_log
        self.identities = identities

    async def read(self, work: Callable[[LogConnection], T]) -> T:
        """``work`` on a read-only connection, after buffered rows are written."""
        await self.query_log.flush()
        return await asyncio.to_thread(self._run, work, True)

    async def write(self, work: Callable[[LogConnection], T]) -> T:
        """``work`` on a writable connection, after buffered rows are written."""
        await self.query_log.flush()
        return await asyncio.to_thread(self._run, work, False)

    async def write_flushed(self, work: Callable[[LogConnection], T]) -> T | None:
        """``work`` on a writable connection only once every buffered row is written; ``None``
        (and nothing done) if the log refused them: a delete must not run with rows still
        waiting, which would be written after it."""
        if not await self.query_log.flush():
            return None
        return await asyncio.to_thread(self._run, work, False)

    def _run(self, work: Callable[[LogConnection], T], readonly: bool) -> T:
        """``work`` on a fresh connection; every way the database can fail is
        :class:`LogUnavailable`, so callers name one exception, not three."""
        backend = self.query_log.backend
        failures: tuple[type[BaseException], ...] = (*backend.failures, SchemaError)
        try:
            with backend.connect(readonly=readonly, identities=self.identities) as conn:
                return work(conn)
        except failures as error:
            raise LogUnavailable(str(error)) from error
