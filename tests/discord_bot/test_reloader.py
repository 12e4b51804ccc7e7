"""Corpus changes reach a running bot: the reloader's swap, its time limit, and the folder watch."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from bot.config import Settings
from bot.discord_bot.full_build import FullBuilds
from bot.discord_bot.reloader import (
    MAX_STALLED_BUILDS,
    CorpusReloader,
    ReloadRefused,
    ReloadTimeout,
    compare,
)
from bot.i18n.catalog import messages_for
from bot.search.loading import load_service
from bot.search.service import SearchService


def test_compare_names_added_changed_and_removed_documents(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Apples are red.")
    (tmp_path / "b.txt").write_text("Bananas are yellow.")
    old = SearchService.from_folder(tmp_path)
    (tmp_path / "b.txt").write_text("Bananas are yellow and sweet.")
    (tmp_path / "a.txt").unlink()
    (tmp_path / "c.txt").write_text("Cherries are dark.")
    report = compare(old, SearchService.from_folder(tmp_path), 0.25)
    assert (report.added, report.changed, report.removed) == (("c",), ("b",), ("a",))
    assert report.describe() == (
        "Reloaded in 0.2 s: 2 documents, 2 passages (was 2); "
        "1 added (c); 1 changed (b); 1 removed (a)."
    )
    assert report.describe(messages_for("de")) == (
        "Neu geladen in 0.2 s: Dokumente: 2, Passagen: 2 (vorher 2); "
        "hinzugefügt: 1 (c); geändert: 1 (b); entfernt: 1 (a)."
    )


async def test_reload_swaps_the_service_and_a_running_query_keeps_the_old_one(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.txt").write_text("Apples are red.")
    holder = {"service": SearchService.from_folder(tmp_path)}
    reloader = CorpusReloader(
        tmp_path,
        load=lambda: SearchService.from_folder(tmp_path),
        get=lambda: holder["service"],
        swap=lambda s: holder.update(service=s),
    )
    in_flight = holder["service"].search  # what a query that already started holds
    (tmp_path / "a.txt").write_text("Apricots are orange.")
    report = await reloader.reload()
    assert report.changed == ("a",)
    assert holder["service"].search("apricots").hits
    assert not in_flight("apricots").hits and in_flight("apples").hits


async def _eventually(check, seconds: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "the watcher never reloaded"
        await asyncio.sleep(0.05)


async def test_the_watch_survives_its_folder_being_replaced_and_sees_folders_moved(
    tmp_path: Path,
) -> None:
    """The corpus path re-pointed at a new release (a deploy), deleted and made again, and a
    folder of documents moved in and out: each reaches the service without a restart."""
    releases = tmp_path / "releases"
    (releases / "one").mkdir(parents=True)
    (releases / "one" / "a.txt").write_text("Apples are red.")
    corpus = tmp_path / "corpus"
    corpus.symlink_to(releases / "one", target_is_directory=True)
    holder = {"service": SearchService.from_folder(corpus)}

    def ids() -> list[str]:
        return sorted(document.id for document in holder["service"].documents)

    reloader = CorpusReloader(
        corpus,
        load=lambda: SearchService.from_folder(corpus),
        get=lambda: holder["service"],
        swap=lambda s: holder.update(service=s),
        debounce_ms=100,
        recheck_seconds=0.1,
    )
    watching = asyncio.create_task(reloader.watch())
    try:
        await asyncio.sleep(0.5)
        (releases / "two").mkdir()
        (releases / "two" / "b.txt").write_text("Bananas are yellow.")
        (tmp_path / "next").symlink_to(releases / "two", target_is_directory=True)
        (tmp_path / "next").replace(corpus)  # an atomic switch, as deploy tools do it
        await _eventually(lambda: ids() == ["b"])

        (corpus / "c.txt").write_text("Cherries are dark.")  # watched: the new folder
        await _eventually(lambda: ids() == ["b", "c"])

        staged = tmp_path / "staged"
        (staged / "faq").mkdir(parents=True)
        (staged / "faq" / "d.md").write_text("# Dates\n\nDates are sweet.")
        (staged / "faq").rename(corpus / "faq")  # one event, naming only the folder
        await _eventually(lambda: ids() == ["b", "c", "faq/d"])
        (corpus / "faq").rename(staged / "faq")
        await _eventually(lambda: ids() == ["b", "c"])
    finally:
        watching.cancel()


@pytest.mark.timeout(60)
async def test_a_stalled_or_failed_reload_never_blocks_the_next(tmp_path: Path) -> None:
    """A build blocked on a file (here, on a gate) stops holding the reloader after
    ``timeout_seconds``: the next reload runs, and the stalled one, when it ends, is swapped in
    only if nothing newer is. A build that raises leaves the next one free too."""
    (tmp_path / "a.txt").write_text("Apples are red.")
    holder = {"service": SearchService.from_folder(tmp_path)}
    gates: list[threading.Event] = []
    failures: list[Exception] = []

    def load() -> SearchService:
        if failures:
            raise failures.pop()
        service = SearchService.from_folder(tmp_path)
        if gates:
            gates.pop(0).wait(30)  # read, then stuck (as on a file that never answers)
        return service

    def holds(word: str) -> bool:
        return bool(holder["service"].search(word).hits)

    reloader = CorpusReloader(
        tmp_path,
        load=load,
        get=lambda: holder["service"],
        swap=lambda s: holder.update(service=s),
        timeout_seconds=1.5,
    )
    stalled = threading.Event()
    gates.append(stalled)
    (tmp_path / "a.txt").write_text("Apricots are orange.")
    with pytest.raises(ReloadTimeout):
        await asyncio.wait_for(reloader.reload(), 10)
    (tmp_path / "a.txt").write_text("Avocados are green.")
    report = await asyncio.wait_for(reloader.reload(), 10)  # not held up by the stalled one
    assert report.changed == ("a",) and holds("avocados")
    stalled.set()
    await asyncio.sleep(0.5)
    assert holds("avocados") and not holds("apricots")  # the older build ended later: dropped

    late = threading.Event()
    gates.append(late)
    (tmp_path / "a.txt").write_text("Bananas are yellow.")
    with pytest.raises(ReloadTimeout):
        await asyncio.wait_for(reloader.reload(), 10)
    late.set()
    await _eventually(lambda: holds("bananas"))  # nothing newer: the late build is swapped in

    failures.append(OSError("disk on fire"))
    with pytest.raises(OSError, match="disk on fire"):
        await asyncio.wait_for(reloader.reload(), 10)
    (tmp_path / "a.txt").write_text("Cherries are dark.")
    await asyncio.wait_for(reloader.reload(), 10)
    assert holds("cherries")


@pytest.mark.timeout(60)
async def test_a_storm_of_reloads_costs_one_build_and_stuck_builds_do_not_pile_up(
    tmp_path: Path,
) -> None:
    """Requests made while a build runs join the one queued after it; once
    ``MAX_STALLED_BUILDS`` builds are stuck past their time limit, no new one starts."""
    (tmp_path / "a.txt").write_text("Apples are red.")
    holder = {"service": SearchService.from_folder(tmp_path)}
    builds: list[threading.Event] = []
    gate = threading.Event()

    def load() -> SearchService:
        started = threading.Event()
        builds.append(started)
        gate.wait(30)
        return SearchService.from_folder(tmp_path)

    reloader = CorpusReloader(
        tmp_path,
        load=load,
        get=lambda: holder["service"],
        swap=lambda s: holder.update(service=s),
        timeout_seconds=1.0,
    )
    first = asyncio.ensure_future(reloader.reload())
    await _eventually(lambda: len(builds) == 1)  # it is reading the folder
    storm = [asyncio.ensure_future(reloader.reload()) for _ in range(20)]
    gate.set()
    reports = await asyncio.wait_for(asyncio.gather(first, *storm), 20)
    assert len(builds) == 2  # the one running, and one for every request made meanwhile
    assert reports[1] is not reports[0]
    assert all(report is reports[1] for report in reports[1:])

    gate.clear()  # every build from here on is stuck
    for _ in range(MAX_STALLED_BUILDS):
        with pytest.raises(ReloadTimeout):
            await asyncio.wait_for(reloader.reload(), 10)
    with pytest.raises(ReloadRefused, match="still stuck"):
        await asyncio.wait_for(reloader.reload(), 10)
    assert len(builds) == 2 + MAX_STALLED_BUILDS
    gate.set()  # the stuck builds end; reloads start again
    await _eventually(lambda: not reloader._late)
    await asyncio.wait_for(reloader.reload(), 10)
    assert len(builds) == 3 + MAX_STALLED_BUILDS


class CountedBuilds(FullBuilds):
    """Real full builds in a child process, counted."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.builds: list[float] = []

    async def build(self) -> None:
        self.builds.append(time.monotonic())
        await super().build()


@pytest.mark.timeout(60)
async def test_a_watched_edit_is_laid_over_the_index_and_merged_when_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit reaches the service as a layered index at once (only that file read again);
    after a quiet spell a full build in a child process folds it in and the service moves onto
    it, answering the same."""
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    corpus.mkdir()
    for number in range(30):
        (corpus / f"doc{number:02d}.txt").write_text(
            f"Document {number} tells of orchards, rivers and the harvest of year {number}. " * 5
        )
    monkeypatch.setenv("CORPUS_DIR", str(corpus))  # read by the child process too
    monkeypatch.setenv("INDEX_CACHE_DIR", str(cache))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    holder = {"service": load_service(settings)}
    builds = CountedBuilds(settings)
    merges = builds.builds

    reports = []
    reloader = CorpusReloader(
        corpus,
        load=lambda: load_service(settings),
        get=lambda: holder["service"],
        swap=lambda s: holder.update(service=s),
        debounce_ms=100,
        merge=builds.build,
        merge_after_seconds=1.0,
    )
    original = reloader._reload_joined  # every reload, the merge's own included

    async def reporting() -> object:
        report = await original()
        reports.append(report)
        return report

    reloader._reload_joined = reporting  # type: ignore[method-assign]
    watching = asyncio.create_task(reloader.watch())
    try:
        await asyncio.sleep(0.3)
        (corpus / "doc07.txt").write_text("Quokkas crossed the river at dawn. " * 5)
        await _eventually(lambda: bool(holder["service"].search("quokkas").hits))
        assert holder["service"].layered and not merges
        await _eventually(lambda: len(reports) == 1)
        assert reports[0].changed == ("doc07",) and not reports[0].added  # type: ignore[attr-defined]
        (corpus / "doc08.txt").unlink()  # a second change restarts the quiet spell
        await _eventually(lambda: holder["service"].summary.documents == 29)
        assert holder["service"].layered
        await _eventually(lambda: not holder["service"].layered)
        assert len(merges) == 1
        merged = holder["service"]
        assert merged.search("quokkas").hits
        assert merged.passage("doc08#1") is None
        await _eventually(lambda: len(reports) == 3)  # edit, deletion, the move onto the merge
        assert reports[-1].changed == reports[-1].added == reports[-1].removed == ()  # type: ignore[attr-defined]
    finally:
        watching.cancel()


def test_a_reload_onto_the_compiled_kernels_loads_them_before_the_swap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A corpus that grows past COMPILED_FROM_PASSAGES moves onto numba at its next reload;
    the bot's reload loads the kernels then, so no member's question waits for them."""
    from bot.config import Settings
    from bot.discord_bot.client import _ready_service
    from bot.index import backends

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Apples are red. Pears are green.")
    monkeypatch.setenv("CORPUS_DIR", str(corpus))
    monkeypatch.setenv("INDEX_CACHE_DIR", "")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert _ready_service(settings).index.backend == "numpy"
    monkeypatch.setattr(backends, "COMPILED_FROM_PASSAGES", 1)  # the corpus has grown
    index = _ready_service(settings).index
    assert index.backend == "numba"
    assert index._backend._warm  # type: ignore[attr-defined]
