"""Corpus changes reach a running bot: watch the folder, rebuild in the background, swap.

The bot holds one :class:`SearchService`; a reload builds a new one off the event loop and then
replaces the reference in one assignment. A query already running keeps the service it started
with, so it finishes on the old index; the next query sees the new one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from bot.corpus import SUPPORTED_SUFFIXES
from bot.search import SearchService

log = logging.getLogger(__name__)


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

    def describe(self) -> str:
        """One paragraph, e.g. "2 documents, 9 passages (was 5): 1 added (faq) …"."""
        parts = []
        for label, ids in (
            ("added", self.added),
            ("changed", self.changed),
            ("removed", self.removed),
        ):
            if ids:
                shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
                parts.append(f"{len(ids)} {label} ({shown})")
        what = "; ".join(parts) if parts else "no document changed"
        skipped = f"; {self.skipped} files skipped" if self.skipped else ""
        return (
            f"Reloaded in {self.seconds:.1f} s: {self.documents} documents, "
            f"{self.passages_after} passages (was {self.passages_before}); {what}{skipped}."
        )


def _fingerprints(service: SearchService) -> dict[str, str]:
    return {
        document.id: hashlib.sha1(document.text.encode(), usedforsecurity=False).hexdigest()
        for document in service.documents
    }


def compare(old: SearchService, new: SearchService, seconds: float) -> ReloadReport:
    """The documents added, removed and changed between two loads of the corpus."""
    before, after = _fingerprints(old), _fingerprints(new)
    return ReloadReport(
        added=tuple(sorted(set(after) - set(before))),
        removed=tuple(sorted(set(before) - set(after))),
        changed=tuple(sorted(d for d in set(before) & set(after) if before[d] != after[d])),
        documents=len(after),
        passages_before=old.summary.passages,
        passages_after=new.summary.passages,
        seconds=seconds,
        skipped=len(new.summary.skipped),
    )


class CorpusReloader:
    """Rebuilds the search service when asked or when the corpus folder changes."""

    def __init__(
        self,
        corpus_dir: Path,
        load: Callable[[], SearchService],
        get: Callable[[], SearchService],
        swap: Callable[[SearchService], None],
        debounce_ms: int = 1000,
    ) -> None:
        self.corpus_dir = corpus_dir
        self._load = load
        self._get = get
        self._swap = swap
        self.debounce_ms = debounce_ms
        self._lock = asyncio.Lock()

    async def reload(self) -> ReloadReport:
        """Build a new service in a worker thread, then swap it in; one reload at a time."""
        async with self._lock:
            started = time.perf_counter()
            fresh = await asyncio.to_thread(self._load)
            report = compare(self._get(), fresh, time.perf_counter() - started)
            self._swap(fresh)
        log.info("%s", report.describe())
        return report

    async def watch(self) -> None:
        """Reload after each burst of changes to supported files, until cancelled."""
        log.info("watching %s for changes", self.corpus_dir)
        async for changes in watchfiles.awatch(
            self.corpus_dir, debounce=self.debounce_ms, watch_filter=_corpus_file, recursive=True
        ):
            log.info("corpus changed (%d files); reloading", len(changes))
            try:
                await self.reload()
            except Exception:
                log.exception("reload failed; still answering from the previous corpus")


def _corpus_file(change: watchfiles.Change, path: str) -> bool:
    name = Path(path).name
    return not name.startswith(".") and Path(path).suffix.lower() in SUPPORTED_SUFFIXES
