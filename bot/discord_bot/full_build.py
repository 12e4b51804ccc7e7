"""Full index builds for the running bot, in a child process that saves the build in the index
cache for the bot to map.

A full build in the bot's own thread holds the interpreter from the questions (at 100,000
passages their p99 went from 10 ms to 104 ms: ``python -m bench.build_contention``) and keeps
the build's memory after it; the child gives it back when it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Sequence

from bot.config import Settings
from bot.search.loading import BUILD_NOT_SAVED, plan_service
from bot.snapshot.cache import LoadPlan

log = logging.getLogger(__name__)

# ``corpusbot index --full`` with this process's settings (its environment and working folder).
CHILD_ARGV = (sys.executable, "-m", "bot", "index", "--full")
# How much lower the child's scheduling priority is than the bot's: where the build shares a
# core with the bot, the questions go first (and the build's own workers lower still:
# ``worker_pool.WORKER_NICENESS``).
CHILD_NICENESS = 10


def lower_priority(pid: int) -> None:
    """Run process ``pid`` (a child build, just started) :data:`CHILD_NICENESS` below this
    process's priority; the workers it starts later inherit that."""
    with contextlib.suppress(OSError):  # ended already, or not allowed: it runs as the bot
        os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, 0) + CHILD_NICENESS)


class BuildFailed(Exception):
    """A child's build left nothing in the index cache to map; the message says why."""


class BuildNotSaved(BuildFailed):
    """The corpus could be built but not saved (a read-only cache folder, a full disk)."""


class FullBuilds:
    """Where a full build of the corpus runs, and its run in a child process."""

    def __init__(self, settings: Settings, argv: Sequence[str] = CHILD_ARGV) -> None:
        self._settings = settings
        self._argv = tuple(argv)
        self._told: set[str] = set()  # why builds stay in this process, each logged once

    def wanted(self) -> bool:
        """Whether loading the corpus now builds it in full and a child should build it; it
        lists the corpus, so it blocks (seconds at a million passages' files)."""
        return self.wanted_for(plan_service(self._settings))

    def wanted_for(self, plan: LoadPlan) -> bool:
        """:meth:`wanted`, for the load ``plan`` says."""
        if not plan.full_build or plan.corpus_bytes < self._settings.child_build_from_bytes:
            # A small corpus builds in the bot's thread: a child's start (about 1.3 s) costs
            # more than the build (about 0.2 s a MB here, so 1 s at the 5 MB default).
            return False
        unsaved = self.why_unsaved()
        if unsaved is not None:
            self._tell_once(f"{unsaved}; full builds run in the bot's own process")
            return False
        return True

    def why_unsaved(self) -> str | None:
        """Why a child's build could not be saved for this process to map, or ``None``."""
        cache = self._settings.index_cache_dir
        if cache is None:
            return "INDEX_CACHE_DIR is empty, so a child's build has nowhere to be saved"
        try:  # tried, not asked: root passes access checks on read-only and immutable folders
            cache.mkdir(parents=True, exist_ok=True)
            os.rmdir(tempfile.mkdtemp(prefix=".writable-", dir=cache))
        except OSError as error:
            return f"the index cache folder {cache} is not writable ({error.strerror or error})"
        return None

    async def build(self) -> None:
        """Build the corpus in full in a child process, which saves it in the index cache;
        :class:`BuildFailed` when it did not. Cancelled (the bot stops), it kills the child."""
        unsaved = self.why_unsaved()
        if unsaved is not None:
            raise BuildNotSaved(unsaved)
        child = await asyncio.create_subprocess_exec(
            *self._argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        lower_priority(child.pid)
        log.info("the full build runs in a child process, pid %d", child.pid)
        try:
            _, errors = await child.communicate()
        except asyncio.CancelledError:  # the bot is stopping: the build is not needed any more
            child.kill()
            await child.wait()
            raise
        if child.returncode == 0:
            return
        # The last lines: the reason, and for a build not saved the warning that says why.
        said = " / ".join(errors.decode(errors="replace").strip().splitlines()[-2:]) or "nothing"
        failure = BuildNotSaved if child.returncode == BUILD_NOT_SAVED else BuildFailed
        raise failure(
            f"the full build in child process {child.pid} exited {child.returncode}: {said}"
        )

    def _tell_once(self, message: str) -> None:
        if message not in self._told:
            self._told.add(message)
            log.warning("%s", message)
