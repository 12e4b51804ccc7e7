"""Corpus changes reach a running bot: watch the folder, rebuild in the background, swap.

The bot holds one :class:`SearchService`; a reload builds a new one off the event loop (a full
build of a big corpus in a child process) and then replaces the reference in one assignment. A
query already running keeps the service it started with, so it finishes on the old index; the
next query sees the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import stat
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import watchfiles

from bot.corpus import SUPPORTED_SUFFIXES
from bot.discord_bot.full_build import BuildNotSaved
from bot.i18n.catalog import EN, Messages
from bot.search.service import SearchService

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReloadReport:
    """What a reload changed, in words a moderator reads."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    documents: int
    passages_before: int
    passages_after: int
    seconds: float
    skipped: int

    def describe(self, words: Messages = EN) -> str:
        """One paragraph, e.g. "2 documents, 9 passages (was 5): 1 added (faq) …"; English
        for the process log, the administrator's language for /reload."""
        parts = []
        for label, ids in (
            ("added", self.added),
            ("changed", self.changed),
            ("removed", self.removed),
        ):
            if ids:
                shown = ", ".join(ids[:5])
                if len(ids) > 5:
                    shown = words("reload.report_more", shown=shown, more=len(ids) - 5)
                parts.append(words(f"reload.report_{label}", count=len(ids), ids=shown))
        separator = words("reload.report_separator")
        what = separator.join(parts) if parts else words("reload.report_unchanged")
        skipped = words("reload.report_skipped", count=self.skipped) if self.skipped else ""
        return words(
            "reload.report",
            seconds=f"{self.seconds:.1f}",
            documents=self.documents,
            passages=self.passages_after,
            before=self.passages_before,
            changes=what,
            skipped=skipped,
        )


def _fingerprints(service: SearchService, numbers: Iterable[int]) -> dict[str, str]:
    documents = service.documents
    return {
        document.id: hashlib.sha1(document.text.encode(), usedforsecurity=False).hexdigest()
        for document in map(documents.__getitem__, numbers)
    }


def _touched_documents(old: SearchService, new: SearchService) -> tuple[Iterable[int], ...]:
    """The documents of the files that differ between two loads (each load's numbers), or every
    document when a load does not say which file each came from."""
    before, after = old.snapshot.files, new.snapshot.files
    if before is None or after is None:
        return range(len(old.documents)), range(len(new.documents))
    touched = {
        relative
        for relative in before.keys() | after.keys()
        if relative not in before
        or relative not in after
        or before[relative][0] != after[relative][0]
    }
    return tuple(
        [number for relative in touched if relative in files for number in files[relative][1]]
        for files in (before, after)
    )


def compare(old: SearchService, new: SearchService, seconds: float) -> ReloadReport:
    """The documents added, removed and changed between two loads of the corpus (only the
    changed files' documents are read, when the loads say which file each came from)."""
    old_numbers, new_numbers = _touched_documents(old, new)
    before, after = _fingerprints(old, old_numbers), _fingerprints(new, new_numbers)
    return ReloadReport(
        added=tuple(sorted(set(after) - set(before))),
        removed=tuple(sorted(set(before) - set(after))),
        changed=tuple(sorted(d for d in set(before) & set(after) if before[d] != after[d])),
        documents=len(new.documents),
        passages_before=old.summary.passages,
        passages_after=new.summary.passages,
        seconds=seconds,
        skipped=len(new.summary.skipped),
    )


class ReloadTimeout(Exception):
    """A reload still building after the time limit; it may yet finish and be swapped in."""


class ReloadRefused(Exception):
    """No build starts: too many earlier ones are still stuck; the message says so."""


# Builds past their time limit keep their thread and memory until they end; past this many, no
# new build starts, so a stuck disk and a storm of reloads cannot pile up builds without bound.
MAX_STALLED_BUILDS = 2


class CorpusReloader:
    """Rebuilds the search service when asked or when the corpus folder changes."""

    def __init__(
        self,
        corpus_dir: Path,
        load: Callable[[], SearchService],
        get: Callable[[], SearchService],
        swap: Callable[[SearchService], None],
        debounce_ms: int = 1000,
        recheck_seconds: float = 1.0,
        timeout_seconds: float = 300.0,
        on_result: Callable[[str], None] = lambda result: None,
        merge: Callable[[], Awaitable[object]] | None = None,
        merge_after_seconds: float = 60.0,
        full_build_wanted: Callable[[], bool] | None = None,
    ) -> None:
        self.corpus_dir = corpus_dir
        # Told each build's result (ok, failed, timeout, refused), for the reload metrics.
        self._on_result = on_result
        # A build still running after this (a huge corpus, or a file whose read never returns)
        # stops holding up the reloads after it.
        self.timeout_seconds = timeout_seconds
        self.recheck_seconds = recheck_seconds  # how often the watch checks which folder it is
        self._load = load
        self._get = get
        self._swap = swap
        self.debounce_ms = debounce_ms
        self._lock = asyncio.Lock()
        self._started = 0  # reloads begun, numbered; the newest build swapped in wins
        self._swapped = 0
        self._late: set[asyncio.Task[None]] = set()
        self._queued: asyncio.Task[ReloadReport] | None = None
        self._building: set[asyncio.Future[SearchService]] = set()  # stopped by close()
        # A reload that lays changed files over the saved index answers at once; ``merge``
        # (a full build into the index cache, in a child process) folds them in once the corpus
        # has been quiet for ``merge_after_seconds``, and a reload then moves onto it. A reload
        # whose load would build in full (``full_build_wanted``, which blocks) runs ``merge``
        # first too, and the load maps its build.
        self._merge = merge
        self._full_build_wanted = full_build_wanted
        self.merge_after_seconds = merge_after_seconds
        self._merge_timer: asyncio.Task[None] | None = None
        self._merges: set[asyncio.Task[None]] = set()  # waiting or building; stopped by close()
        # One merge per change of the corpus: one that failed (a read-only cache folder) or
        # left the service layered would fail again, a full build every quiet spell, forever.
        self._may_merge = True

    async def reload(self) -> ReloadReport:
        """Build a new service off the event loop (see :meth:`_fresh`), then swap it in; one
        build at a time, except that a build past ``timeout_seconds`` raises
        :class:`ReloadTimeout` and lets the next one start (it is still swapped in if it
        finishes before a newer build).

        A request made while another waits for its turn joins that one: it reads the folder
        after both were asked, so a storm of /reload or of file events costs one build.
        """
        self._may_merge = True  # the corpus may have changed since a merge last failed
        return await self._reload_joined()

    async def _reload_joined(self) -> ReloadReport:
        """:meth:`reload`, joining the request that waits for its turn, if one does."""
        if self._queued is None or self._queued.done():
            self._queued = asyncio.create_task(self._reload_counted())
        return await asyncio.shield(self._queued)

    async def _reload_counted(self) -> ReloadReport:
        """One build in its turn, its result told to ``on_result`` whatever it is."""
        try:
            report = await self._reload_in_turn()
        except ReloadTimeout:
            self._on_result("timeout")
            raise
        except ReloadRefused:
            self._on_result("refused")
            raise
        except Exception:
            self._on_result("failed")
            raise
        self._on_result("ok")
        return report

    async def _reload_in_turn(self) -> ReloadReport:
        async with self._lock:
            if self._queued is asyncio.current_task():
                self._queued = None  # from here on the folder is read: later requests wait
            if len(self._late) >= MAX_STALLED_BUILDS:
                raise ReloadRefused(
                    f"{len(self._late)} earlier reloads are still stuck reading the corpus, so "
                    "no new one starts until one of them ends"
                )
            self._started += 1
            generation, started = self._started, time.perf_counter()
            build = asyncio.ensure_future(self._fresh())
            self._building.add(build)
            build.add_done_callback(self._building.discard)
            try:
                fresh = await asyncio.wait_for(asyncio.shield(build), self.timeout_seconds)
            except TimeoutError:
                late = asyncio.create_task(self._finish_late(build, generation, started))
                self._late.add(late)
                late.add_done_callback(self._late.discard)
                raise ReloadTimeout(
                    f"the reload has not finished after {self.timeout_seconds:g} s"
                ) from None
            report = await self._report(fresh, started)
            self._swap_if_newest(fresh, generation)
        log.info("%s", report.describe())
        return report

    async def _fresh(self) -> SearchService:
        """A new service: when loading would build the corpus in full, a child process builds
        it into the index cache first, and the load maps that build."""
        merge, wanted = self._merge, self._full_build_wanted
        if merge is not None and wanted is not None and await _in_daemon_thread(wanted):
            try:
                await merge()
            except BuildNotSaved as error:  # a full disk: the bot must still be able to reload
                log.warning("%s; building in the bot's own process instead", error)
        # A corpus changed a lot again during the child's build is built here: rare, and the
        # next change's reload is back in a child.
        return await _in_daemon_thread(self._load)

    def schedule_merge(self) -> None:
        """(Re)start the quiet-spell timer of a merge when the service is layered (after each
        swap, and at start-up: a start can be layered too, watched folder or not)."""
        if self._merge_timer is not None:  # still in its quiet spell: a change restarts it
            self._merge_timer.cancel()
        self._merge_timer = None
        if self._merge is None or not self._get().layered:
            return
        if not self._may_merge:
            log.warning(
                "still answering from a layered index after the merge; no merge runs again "
                "until the corpus changes or /reload"
            )
            return
        self._merge_timer = asyncio.create_task(self._merge_when_quiet(self._merge))
        self._merges.add(self._merge_timer)
        self._merge_timer.add_done_callback(self._merges.discard)

    async def _merge_when_quiet(self, merge: Callable[[], Awaitable[object]]) -> None:
        """After a quiet spell, build the corpus in full in a child process (without holding
        up reloads), then reload onto that build."""
        await asyncio.sleep(self.merge_after_seconds)
        self._merge_timer = None  # merging now: a change meanwhile starts a new spell
        self._may_merge = False  # until the corpus changes: a new file event, or /reload
        log.info("merging the changed files into a full index build in the background")
        try:
            await merge()
        except Exception as error:  # BuildFailed, or no child could start (OSError)
            log.warning(
                "the background merge failed (%s); still answering from the layered index, "
                "and no merge runs again until the corpus changes or /reload",
                error,
            )
            return
        await self._reload_logged("background merge built; reloading onto it", merged=True)

    async def close(self) -> None:
        """Stop the merge timer and the builds under way, their child processes killed, so
        none outlives the bot building for nobody."""
        stopping: list[asyncio.Future[Any]] = [*self._merges, *self._building, *self._late]
        for task in stopping:
            task.cancel()
        await asyncio.gather(*stopping, return_exceptions=True)

    async def _report(self, fresh: SearchService, started: float) -> ReloadReport:
        seconds = time.perf_counter() - started
        # Off the loop: it reads and hashes every document's text (seconds at 1M).
        old = self._get()
        return await _in_daemon_thread(lambda: compare(old, fresh, seconds))

    def _swap_if_newest(self, fresh: SearchService, generation: int) -> bool:
        """Swap ``fresh`` in unless a build begun after it is already in."""
        if generation <= self._swapped:
            return False
        self._swapped = generation
        self._swap(fresh)
        self.schedule_merge()
        return True

    async def _finish_late(
        self, build: asyncio.Future[SearchService], generation: int, started: float
    ) -> None:
        """A build that ran past the time limit: swapped in when it ends, if still the newest."""
        try:
            fresh = await build
            report = await self._report(fresh, started)
        except Exception:
            log.exception("a reload that ran past its time limit failed")
            return
        if self._swap_if_newest(fresh, generation):
            log.info("late reload swapped in: %s", report.describe())
        else:
            log.info("a reload that ran past its time limit ended after a newer one; dropped")

    async def watch(self) -> None:
        """Reload after each burst of changes to the corpus, until cancelled.

        A watch follows the folder it started on, so it is re-armed when the path names another
        one: the folder deleted and made again, or a link switched to a new release (a deploy).
        The corpus is reloaded then too, since the new folder may hold anything.
        """
        log.info("watching %s for changes", self.corpus_dir)
        watched = _folder_identity(self.corpus_dir)
        while True:
            if watched is not None:
                await self._watch_folder(watched)
                log.info("corpus folder %s was replaced or removed", self.corpus_dir)
            else:
                await asyncio.sleep(self.recheck_seconds)
            now = _folder_identity(self.corpus_dir)
            if now is not None and now != watched:
                await self._reload_logged("corpus folder replaced; reloading")
            watched = now

    async def _watch_folder(self, watched: tuple[int, int]) -> None:
        """Reload on changes until the corpus path names another folder (or none)."""
        moved = asyncio.Event()

        async def notice_move() -> None:  # polled: no watch event says the path moved on
            while True:
                await asyncio.sleep(self.recheck_seconds)
                if _folder_identity(self.corpus_dir) != watched:
                    moved.set()
                    return

        checker = asyncio.create_task(notice_move())
        try:
            async for changes in watchfiles.awatch(
                self.corpus_dir,
                debounce=self.debounce_ms,
                watch_filter=_corpus_change,
                recursive=True,
                stop_event=moved,
            ):
                await self._reload_logged(f"corpus changed ({len(changes)} paths); reloading")
        except OSError as error:  # the folder went between the check and the watch
            log.info("cannot watch %s: %s", self.corpus_dir, error)
        finally:
            checker.cancel()

    async def _reload_logged(self, why: str, *, merged: bool = False) -> None:
        """Reload, logging why and how it ended; ``merged``: onto the merge's own build, which
        is no change of the corpus (see ``_may_merge``)."""
        log.info("%s", why)
        try:
            await (self._reload_joined() if merged else self.reload())
        except (ReloadTimeout, ReloadRefused) as error:
            log.warning("%s; still answering from the previous corpus", error)
        except Exception:
            log.exception("reload failed; still answering from the previous corpus")


async def _in_daemon_thread(work: Callable[[], T]) -> T:
    """``work`` in a thread that does not hold up the process's exit.

    ``asyncio.to_thread`` uses the default executor, whose threads ``asyncio.run`` waits for
    when the bot stops: a SIGTERM during a reload of a big corpus (minutes) then kept the process
    alive until the service manager killed it. Abandoning a load is safe: the index cache is
    built in a staging folder and renamed into place.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():  # the reload was cancelled meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = work(), None
        except BaseException as raised:  # handed to the awaiting coroutine
            result, error = None, raised
        with contextlib.suppress(RuntimeError):  # the event loop is already closed
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="corpus-reload", daemon=True).start()
    return await future


def _folder_identity(folder: Path) -> tuple[int, int] | None:
    """Which folder ``folder`` names now (links followed), or ``None`` if none."""
    try:
        status = folder.stat()
    except OSError:
        return None
    return (status.st_dev, status.st_ino) if stat.S_ISDIR(status.st_mode) else None


def _corpus_change(change: watchfiles.Change, path: str) -> bool:
    """A supported file, or a folder moved in or out (one event names only the folder)."""
    where = Path(path)
    if where.name.startswith("."):
        return False
    if where.suffix.lower() in SUPPORTED_SUFFIXES or where.is_dir():
        return True
    return change == watchfiles.Change.deleted and not where.suffix  # a folder moved away
