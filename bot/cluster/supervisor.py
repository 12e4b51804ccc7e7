"""``corpusbot run --processes P``: start P bot processes over the shards, restart one that dies.

Each child is ``corpusbot run --shard-count N --shard-ids …`` with ``CORPUSBOT_PROCESS_INDEX``
set to its number (0 to P-1), so whatever a process needs of its own (a metrics port) can be
told from it. The children share the machine's saved index (built once, under a lock) and take
IDENTIFY turns through lock files (``identify_queue.py``), so starting them together is safe.
SIGTERM or SIGINT is passed on to every child, which finishes its interactions and flushes its
query log, as a single bot does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.cluster.plan import split_shards
from bot.observability.server import PROCESS_INDEX_VARIABLE

log = logging.getLogger(__name__)

# A child that exits with this status was refused its settings: starting it again cannot help.
BAD_SETTINGS_STATUS = 2
# Restart delays double from the first to the last; a child that ran this long starts afresh.
FIRST_RESTART_SECONDS = 1.0
LAST_RESTART_SECONDS = 60.0
STEADY_SECONDS = 60.0
# How long the children get to finish after SIGTERM before they are killed: a bot's own
# shutdown takes its FINISH_SECONDS (5) and a query-log flush.
STOP_PATIENCE_SECONDS = 20.0


@dataclass
class Child:
    """One bot process the supervisor keeps running: its number, its shards, its process."""

    index: int
    shard_ids: list[int]
    process: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    restarts: int = 0
    delay: float = FIRST_RESTART_SECONDS
    history: list[int] = field(default_factory=list)  # exit statuses, oldest first

    @property
    def label(self) -> str:
        """How the log names it: "process 1 (shards 2,3)"."""
        return f"process {self.index} (shards {','.join(map(str, self.shard_ids))})"


class Supervisor:
    """Runs ``processes`` children over ``shard_ids`` of ``shard_count`` until stopped."""

    def __init__(
        self,
        shard_count: int,
        shard_ids: Sequence[int],
        processes: int,
        *,
        command: Sequence[str] | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.shard_count = shard_count
        self.children = [
            Child(index, run) for index, run in enumerate(split_shards(shard_ids, processes))
        ]
        self.command = list(command or [sys.executable, "-m", "bot", "run"])
        self.environment = dict(os.environ if environment is None else environment)
        self.stopping = asyncio.Event()
        self.status = 0

    def argv(self, child: Child) -> list[str]:
        """The command line of one child."""
        ids = ",".join(map(str, child.shard_ids))
        return [*self.command, "--shard-count", str(self.shard_count), "--shard-ids", ids]

    async def start(self, child: Child) -> None:
        """Start (or restart) one child."""
        environment = {**self.environment, PROCESS_INDEX_VARIABLE: str(child.index)}
        child.process = await asyncio.create_subprocess_exec(
            *self.argv(child), env=environment, stdin=asyncio.subprocess.DEVNULL
        )
        child.started_at = time.monotonic()
        log.info("%s started, pid %d", child.label, child.process.pid)
        if self.stopping.is_set():  # the signal came while it was being started
            child.process.send_signal(signal.SIGTERM)

    async def run(self) -> int:
        """Start every child, keep them running until SIGTERM/SIGINT; the exit status."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.stop, signum)
        for child in self.children:
            await self.start(child)
        await asyncio.gather(*(self.keep_running(child) for child in self.children))
        log.info("every process has stopped")
        return self.status

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Pass the signal on to every child and stop restarting them."""
        if not self.stopping.is_set():
            log.info(
                "stopping: passing %s on to %d processes",
                signal.Signals(signum).name,
                len(self.children),
            )
        self.stopping.set()
        for child in self.children:
            if child.process is not None and child.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(signum)

    async def keep_running(self, child: Child) -> None:
        """Wait for a child to exit and restart it, with back-off, until stopping."""
        while True:
            assert child.process is not None
            status = await self._wait_for_exit(child)
            child.history.append(status)
            if self.stopping.is_set():
                if status != 0 and self.status == 0:  # the first reason to fail is the one told
                    self.status = 1
                log.info("%s exited with status %d", child.label, status)
                return
            if status == BAD_SETTINGS_STATUS:
                log.error("%s refused its settings (status 2); stopping every process", child.label)
                self.status = BAD_SETTINGS_STATUS
                self.stop()
                return
            ran = time.monotonic() - child.started_at
            if ran >= STEADY_SECONDS:
                child.delay = FIRST_RESTART_SECONDS
            log.warning(
                "%s exited with status %d after %.0f s; restarting in %.0f s",
                child.label,
                status,
                ran,
                child.delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), child.delay)
            if self.stopping.is_set():
                return
            child.delay = min(child.delay * 2, LAST_RESTART_SECONDS)
            child.restarts += 1
            await self.start(child)

    async def _wait_for_exit(self, child: Child) -> int:
        """The child's exit status; once stopping, killed if it outlasts the patience."""
        assert child.process is not None
        waiting = asyncio.ensure_future(child.process.wait())
        stopping = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not waiting.done():
            try:
                return await asyncio.wait_for(waiting, STOP_PATIENCE_SECONDS)
            except TimeoutError:
                log.warning(
                    "%s still running %.0f s after the signal; killing it",
                    child.label,
                    STOP_PATIENCE_SECONDS,
                )
                with contextlib.suppress(ProcessLookupError):
                    child.process.kill()
                return await child.process.wait()
        return waiting.result()


def supervise(
    shard_count: int,
    shard_ids: Sequence[int],
    processes: int,
    environment: Mapping[str, str] | None = None,
) -> int:
    """Run the supervisor until SIGTERM/SIGINT; returns the exit status."""
    supervisor = Supervisor(shard_count, shard_ids, processes, environment=environment)
    log.info(
        "supervising %d processes over %d of %d shards",
        processes,
        len(shard_ids),
        shard_count,
    )
    return asyncio.run(supervisor.run())
