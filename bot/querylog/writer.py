"""The query log: every interaction recorded to SQLite without ever delaying a reply.

Rows are buffered in memory and written by a background task in one transaction per batch (as
RoboDanny does). The task writes as soon as a row arrives and takes, in the next batch, every row
recorded while it wrote: an idle bot commits each row within milliseconds, a busy one in large
batches, and a process killed outright loses only the rows of its last moment (a run marker makes
the next start say so). A locked or read-only database only delays the write: the batch stays
buffered and is retried with back-off, and on shutdown whatever still cannot be written is kept
in a JSON-lines side file that the next start imports.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
from collections import deque
from dataclasses import asdict
from pathlib import Path

import aiosqlite

from bot.querylog.connection import WRITER_BUSY_TIMEOUT_MS, connect
from bot.querylog.files import (
    RunMarker,
    file_identity,
    open_private,
    restore_shm,
    shm_size,
    tighten,
)
from bot.querylog.records import QueryRecord
from bot.querylog.transactions import write_transaction

log = logging.getLogger(__name__)


_INSERT = """
INSERT OR IGNORE INTO queries (
    interaction_id, created_at, guild_id, channel_id, user_id, user_name, command, query,
    results, result_count, total_matches, top_passage_id, top_score, latency_ms, outcome, error_id
) VALUES (
    :interaction_id, :created_at, :guild_id, :channel_id, :user_id, :user_name, :command, :query,
    :results, :result_count, :total_matches, :top_passage_id, :top_score, :latency_ms, :outcome,
    :error_id
)
"""


class QueryLog:
    """Buffered, batched, retrying writer of :class:`QueryRecord` rows."""

    def __init__(
        self,
        path: Path,
        *,
        batch_size: int = 500,
        flush_interval: float = 0.0,
        busy_timeout_ms: int = WRITER_BUSY_TIMEOUT_MS,
        max_backoff: float = 5.0,
        max_buffered: int = 5000,
    ) -> None:
        self.path = path
        self.spill_path = path.with_name(path.name + ".unsaved.jsonl")
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.busy_timeout_ms = busy_timeout_ms
        self.max_backoff = max_backoff
        self.max_buffered = max(max_buffered, 1)
        self._buffer: deque[QueryRecord] = deque()
        self._db: aiosqlite.Connection | None = None
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._failing = False
        self._closed = False
        self._flush_lock = asyncio.Lock()
        self._marker = RunMarker(path)
        self._identity: tuple[int, int] | None = None  # (device, inode) of the open database
        self._shm_seen: int | None = None  # size of its -shm when last looked at
        self.written = 0
        self.spilled = 0  # rows put in the side file this run, for the next start to import
        self.lost = 0  # rows neither written nor kept: the side file could not be written
        self._overflowing = False

    @property
    def pending(self) -> int:
        """Rows recorded but not yet written."""
        return len(self._buffer)

    async def start(self) -> None:
        """Open the database (if it can be opened now) and start the background writer."""
        self._claim_marker()
        self._load_spill()
        with contextlib.suppress(sqlite3.Error, OSError):
            await self._ensure_open()
        self._writer = asyncio.create_task(self._run(), name="query-log-writer")

    def record(self, row: QueryRecord) -> None:
        """Queue a row; never blocks and never raises. After :meth:`close` (an interaction that
        finished during shutdown), or while ``max_buffered`` rows already wait for a database
        that cannot be written, the row goes straight to the side file: memory stays bounded."""
        if self._closed:
            self._spill([row])
        elif len(self._buffer) >= self.max_buffered:
            self._overflow(row)
        else:
            self._buffer.append(row)
            self._wake.set()

    def summary(self) -> str:
        """What became of this run's rows, for the shutdown log."""
        left_over = self.spilled + self.lost + self.pending
        return (
            f"{self.written} rows written this run, {left_over} left over "
            f"({self.spilled} kept in {self.spill_path.name} for the next start, "
            f"{self.lost + self.pending} lost)"
        )

    async def flush(self) -> bool:
        """Write everything buffered now; ``False`` if the database refused (rows kept).

        Serialised, because callers besides the writer task flush too (``/forget-me`` must see
        the member's latest rows on disk) and two flushes must never write and pop one batch.
        """
        async with self._flush_lock:
            return await self._flush()

    async def _flush(self) -> bool:
        while self._buffer:
            batch = [self._buffer[i] for i in range(min(self.batch_size, len(self._buffer)))]
            try:
                db = await self._ensure_open()
                async with write_transaction(db):
                    await db.executemany(_INSERT, [row.to_row() for row in batch])
            except (sqlite3.Error, OSError) as error:
                self._note_failure(error)
                await self._drop_connection()
                return False
            except Exception:
                # Not the database being busy or read-only but these rows: retrying cannot help,
                # and holding them would block every row behind them. Keep them aside instead.
                log.exception("query log: %d rows could not be written", len(batch))
                await self._drop_connection()
                self._spill(batch)
            else:
                self.written += len(batch)
                self._shm_seen = shm_size(self.path)
                if self._failing:
                    waiting = len(self._buffer) - len(batch)
                    log.warning(
                        "query log writable again; %d rows waiting, %d kept in %s and %d lost "
                        "so far this run",
                        waiting,
                        self.spilled,
                        self.spill_path,
                        self.lost,
                    )
                    self._failing = self._overflowing = False
            for _ in batch:
                self._buffer.popleft()
        return True

    async def close(self, grace_seconds: float = 10.0) -> None:
        """Stop the writer and write what is left; spill to a side file what cannot be."""
        if self._writer:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        delay = 0.1
        try:
            while not await self.flush() and loop.time() < deadline:
                await asyncio.sleep(min(delay, max(0.0, deadline - loop.time())))
                delay = min(delay * 2, 1.0)
        finally:
            self._closed = True
            if self._buffer:
                self._spill()
            await self._drop_connection()
            self._marker.release()

    async def get_meta(self, key: str) -> str | None:
        """A remembered value, or ``None`` (also when the database is unavailable)."""
        try:
            db = await self._ensure_open()
            async with db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
                row = await cursor.fetchone()
        except (sqlite3.Error, OSError) as error:
            log.warning("query log: could not read %s: %s", key, error)
            return None
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str) -> bool:
        """Remember a value; ``False`` if the database is unavailable."""
        try:
            db = await self._ensure_open()
            await db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        except (sqlite3.Error, OSError) as error:
            log.warning("query log: could not write %s: %s", key, error)
            return False
        return True

    async def _run(self) -> None:
        backoff = 0.0  # seconds to wait before retrying a refused write; 0 while writes succeed
        while True:
            if backoff:
                await asyncio.sleep(backoff)
            else:
                await self._wake.wait()
                await self._gather()
            self._wake.clear()
            try:
                written = await self.flush()
            except Exception:  # a bug here must not end logging for the rest of the run
                log.exception("query log: the writer failed; retrying")
                written = False
            backoff = 0.0 if written else min(max(backoff * 2, 0.25), self.max_backoff)

    async def _gather(self) -> None:
        """Let rows gather for ``flush_interval`` (0: none) or until a batch is full."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.flush_interval
        while len(self._buffer) < self.batch_size and loop.time() < deadline:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=deadline - loop.time())

    def _claim_marker(self) -> None:
        """Mark this run as having the log open; say so if an earlier run never closed it."""
        try:
            unclean = self._marker.claim()
        except OSError as error:
            log.warning("query log: could not mark this run in %s: %s", self.path.parent, error)
            return
        if unclean:
            log.warning(
                "query log: the previous run did not stop cleanly (killed or crashed): the "
                "questions it answered in its last moments (normally well under a second; "
                "longer if the log was not writable then) may be missing from %s",
                self.path,
            )

    async def _ensure_open(self) -> aiosqlite.Connection:
        if self._db is not None and self._file_was_replaced():
            log.warning(
                "query log %s was deleted or replaced while open: closing the old file and "
                "writing to a new log at that path from now on",
                self.path,
            )
            await self._let_go_of_moved_file()
        elif self._db is not None and self._shm_was_cut_short():
            await self._let_go_of_moved_file()
        if self._db is None:
            self._db = await connect(self.path, self.busy_timeout_ms)
            self._identity = file_identity(self.path)
            self._shm_seen = shm_size(self.path)
        return self._db

    def _shm_was_cut_short(self) -> bool:
        """Whether another program shrank or deleted the ``-shm`` this process has mapped
        (SQLite itself only grows it while a connection is open); a shrunk one is given its
        length back first, or the next use of the connection, even closing it, dies of
        SIGBUS. Raises ``OSError`` if it cannot be."""
        seen, now = self._shm_seen, shm_size(self.path)
        if seen is None or (now is not None and now >= seen):
            self._shm_seen = now
            return False
        log.warning(
            "query log: %s-shm was %s by another program while open; reopening the log",
            self.path,
            "deleted" if now is None else f"cut from {seen} to {now} bytes",
        )
        if now is not None:
            restore_shm(self.path, seen)
        return True

    def _file_was_replaced(self) -> bool:
        """Whether the path no longer names the file the connection has open: rows written
        through it would go to a deleted file, or one that is no longer the log. One ``stat``
        a batch."""
        try:
            return file_identity(self.path) != self._identity
        except OSError:
            return True

    async def _let_go_of_moved_file(self) -> None:
        """Close the connection to a file no longer at the path. SQLite does not delete the
        ``-wal`` of a file moved or deleted while open, and would replay it into the next
        database at that path: the old file takes its pages first and the ``-wal`` is left
        empty."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        await self._drop_connection()

    async def _drop_connection(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            with contextlib.suppress(sqlite3.Error, OSError, ValueError):
                await db.close()

    def _note_failure(self, error: BaseException) -> None:
        if not self._failing:
            log.warning(
                "query log %s not writable (%s); keeping %d rows and retrying",
                self.path,
                error,
                len(self._buffer),
            )
            self._failing = True

    def _overflow(self, row: QueryRecord) -> None:
        """Keep a row past ``max_buffered`` in the side file instead of memory."""
        if not self._overflowing:
            log.warning(
                "query log: %d rows wait to be written (QUERY_LOG_MAX_BUFFERED_ROWS); later "
                "rows go to %s until the log is writable again",
                len(self._buffer),
                self.spill_path,
            )
            self._overflowing = True
        self._spill([row], quiet=True)

    def _spill(self, rows: list[QueryRecord] | None = None, *, quiet: bool = False) -> None:
        """Keep unwritten rows (default: the whole buffer, then emptied) in a side file; the
        next start imports them. Rows given that cannot be kept there are counted lost; the
        buffer stays as it is."""
        spilled = list(self._buffer) if rows is None else rows
        try:
            with open_private(self.spill_path, "a+b") as file:
                if file.seek(0, os.SEEK_END):
                    file.seek(-1, os.SEEK_END)
                    if file.read(1) != b"\n":  # a line cut short (disk full) must not
                        file.write(b"\n")  # swallow the first row written after it
                for row in spilled:
                    file.write(json.dumps(asdict(row)).encode("utf-8") + b"\n")
        except OSError as error:
            if rows is not None:
                self.lost += len(spilled)
            if not quiet or self.lost == len(spilled):  # the first loss is always told
                log.error(
                    "query log: %d rows could not be saved (%d lost this run): %s",
                    len(spilled),
                    self.lost,
                    error,
                )
            return
        self.spilled += len(spilled)
        if not quiet:
            log.warning("query log: %d unwritten rows saved to %s", len(spilled), self.spill_path)
        if rows is None:
            self._buffer.clear()

    def _load_spill(self) -> None:
        """Import the side file. A line that cannot be read (cut short when the disk filled up)
        is kept in ``<side file>.unreadable`` for the operator; every other row is imported."""
        kept = self.spill_path.with_name(self.spill_path.name + ".unreadable")
        tighten(self.spill_path)
        tighten(kept)
        if not self.spill_path.exists():
            return
        try:
            lines = self.spill_path.read_bytes().decode("utf-8", "replace").splitlines()
        except OSError as error:
            log.error("query log: could not import %s: %s", self.spill_path, error)
            return
        rows: list[QueryRecord] = []
        unreadable: list[str] = []
        for line in filter(None, lines):
            try:
                rows.append(QueryRecord.from_json(json.loads(line)))
            except (ValueError, TypeError, AttributeError):
                unreadable.append(line)
        try:
            if unreadable:
                with open_private(kept) as file:
                    file.writelines((line + "\n").encode("utf-8") for line in unreadable)
                log.error("query log: %d unreadable rows kept in %s", len(unreadable), kept)
            self.spill_path.unlink()
        except OSError as error:
            log.error("query log: could not import %s: %s", self.spill_path, error)
            return
        self._buffer.extend(rows)
        log.info("query log: imported %d rows saved by the last run", len(rows))
