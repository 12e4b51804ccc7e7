"""The query log: every interaction recorded (SQLite or PostgreSQL) without delaying a reply.

Rows are buffered in memory and written by a background task in one transaction per batch (as
RoboDanny does). The task writes as soon as a row arrives and takes, in the next batch, every row
recorded while it wrote: an idle bot commits each row within milliseconds, a busy one in large
batches, and a process killed outright loses only the rows of its last moment (a run marker makes
the next start say so). A locked, read-only, down or restarting database only delays the write:
the batch stays buffered and is retried with back-off, and on shutdown whatever still cannot be
written is kept in a JSON-lines side file (beside ``path``) that the next start imports. A row
written twice (a retry after a lost reply, two processes) is stored once: ``interaction_id`` is
unique and the insert skips a conflict.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections import deque
from dataclasses import asdict
from pathlib import Path

from bot.querylog.backends import LogBackend
from bot.querylog.backends.sqlite import SqliteBackend
from bot.querylog.connection import WRITER_BUSY_TIMEOUT_MS
from bot.querylog.files import RunMarker, locked_existing, locked_side_file, open_private, tighten
from bot.querylog.records import QueryRecord

log = logging.getLogger(__name__)


class QueryLog:
    """Buffered, batched, retrying writer of :class:`QueryRecord` rows."""

    def __init__(
        self,
        path: Path,
        *,
        backend: LogBackend | None = None,
        batch_size: int = 500,
        flush_interval: float = 0.0,
        busy_timeout_ms: int = WRITER_BUSY_TIMEOUT_MS,
        max_backoff: float = 5.0,
        max_buffered: int = 5000,
    ) -> None:
        self.path = path  # the SQLite log, or (with another backend) where the side file goes
        self.backend: LogBackend = backend or SqliteBackend(path)
        self.spill_path = path.with_name(path.name + ".unsaved.jsonl")
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.busy_timeout_ms = busy_timeout_ms
        self.max_backoff = max_backoff
        self.max_buffered = max(max_buffered, 1)
        self._buffer: deque[QueryRecord] = deque()
        self._store = self.backend.writer_store(busy_timeout_ms)
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._failing = False
        self._closed = False
        self._flush_lock = asyncio.Lock()
        self._marker = RunMarker(path)
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
        with contextlib.suppress(*self._store.failures):
            await self._store.open()
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
                await self._store.write([row.to_row() for row in batch])
            except self._store.failures as error:
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
            return await self._store.get_meta(key)
        except self._store.failures as error:
            log.warning("query log: could not read %s: %s", key, error)
            await self._drop_connection()
            return None

    async def set_meta(self, key: str, value: str) -> bool:
        """Remember a value; ``False`` if the database is unavailable."""
        try:
            await self._store.set_meta(key, value)
        except self._store.failures as error:
            log.warning("query log: could not write %s: %s", key, error)
            await self._drop_connection()
            return False
        return True

    async def _run(self) -> None:
        me = asyncio.current_task()
        backoff = 0.0  # seconds to wait before retrying a refused write; 0 while writes succeed
        while True:
            if me is not None and me.cancelling():
                # close() cancelled a write and the driver swallowed the CancelledError
                # (psycopg-pool does, cancelled during its connection check): stop anyway,
                # or close() would wait for this task forever.
                raise asyncio.CancelledError
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
                self.backend.describe(),
            )

    async def _drop_connection(self) -> None:
        await self._store.close()

    def _note_failure(self, error: BaseException) -> None:
        if not self._failing:
            log.warning(
                "query log %s not writable (%s); keeping %d rows and retrying",
                self.backend.describe(),
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
            with locked_side_file(self.spill_path) as file:
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
        is kept in ``<side file>.unreadable`` for the operator; every other row is imported.

        The file is read and removed under its lock: another process of the same log may be
        appending to it right now, and none of its rows may fall between the read and the
        removal."""
        kept = self.spill_path.with_name(self.spill_path.name + ".unreadable")
        tighten(kept)
        rows: list[QueryRecord] = []
        unreadable: list[str] = []
        try:
            with locked_existing(self.spill_path) as file:
                if file is None:
                    return
                lines = file.read().decode("utf-8", "replace").splitlines()
                for line in filter(None, lines):
                    try:
                        rows.append(QueryRecord.from_json(json.loads(line)))
                    except (ValueError, TypeError, AttributeError):
                        unreadable.append(line)
                if unreadable:
                    with open_private(kept) as kept_file:
                        kept_file.writelines((line + "\n").encode("utf-8") for line in unreadable)
                    log.error("query log: %d unreadable rows kept in %s", len(unreadable), kept)
                self.spill_path.unlink()
        except OSError as error:
            log.error("query log: could not import %s: %s", self.spill_path, error)
            return
        self._buffer.extend(rows)
        log.info("query log: imported %d rows saved by the last run", len(rows))
