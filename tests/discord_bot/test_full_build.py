"""A reload (or a start) that builds the corpus in full: in a real child process that saves the
build for the bot to map; in the bot's own thread for a small corpus or where no build can be
saved; a failed child leaves the old service answering, and at a start the bot builds itself."""

from __future__ import annotations

import logging
import os
import sys
from functools import partial
from pathlib import Path

import pytest

from bot.config import Settings
from bot.corpus import FileRules
from bot.corpus.walk import CorpusListing, list_corpus
from bot.discord_bot import runner
from bot.discord_bot.full_build import CHILD_NICENESS, BuildFailed, FullBuilds
from bot.discord_bot.reloader import CorpusReloader
from bot.search.loading import load_service, plan_service
from bot.search.service import SearchService
from bot.snapshot import cache


def _corpus(root: Path, word: str, files: int = 30) -> Path:
    """``files`` documents about ``word``, written over any there before."""
    corpus = root / "corpus"
    corpus.mkdir(exist_ok=True)
    for number in range(files):
        (corpus / f"doc{number}.txt").write_text(
            f"Document {number} tells of {word} by the river in year {number}. " * 5
        )
    return corpus


def _settings(monkeypatch: pytest.MonkeyPatch, corpus: Path, cache: Path | None) -> Settings:
    """Settings from the environment, as the child process reads them too."""
    monkeypatch.setenv("CORPUS_DIR", str(corpus))
    monkeypatch.setenv("INDEX_CACHE_DIR", "" if cache is None else str(cache))
    monkeypatch.setenv("CHILD_BUILD_FROM_BYTES", "0")  # these corpora are tiny
    return Settings(_env_file=None)  # type: ignore[call-arg]


def _reloader(
    settings: Settings, holder: dict[str, SearchService], builds: FullBuilds, results: list[str]
) -> CorpusReloader:
    return CorpusReloader(
        settings.corpus_dir,
        load=lambda: load_service(settings),
        get=lambda: holder["service"],
        swap=lambda service: holder.update(service=service),
        on_result=results.append,
        merge=builds.build,
        full_build_wanted=builds.wanted,
    )


def test_a_loaded_corpus_plans_no_build_and_a_rewritten_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan and the load agree on the saved index's key (the same passage settings)."""
    settings = _settings(monkeypatch, _corpus(tmp_path, "orchards"), tmp_path / "cache")
    assert plan_service(settings).full_build
    load_service(settings)
    assert not plan_service(settings).full_build  # saved: mapped
    (settings.corpus_dir / "doc0.txt").write_text("A short note on wombats.")
    assert not plan_service(settings).full_build  # a file away: laid over
    _corpus(tmp_path, "quokkas")
    plan = plan_service(settings)
    assert plan.full_build and plan.corpus_bytes > 1000


@pytest.mark.timeout(60)
async def test_a_reload_that_builds_in_full_builds_in_a_child_and_maps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "bot.discord_bot")
    settings = _settings(monkeypatch, _corpus(tmp_path, "orchards"), tmp_path / "cache")
    holder = {"service": load_service(settings)}
    results: list[str] = []
    reloader = _reloader(settings, holder, FullBuilds(settings), results)

    _corpus(tmp_path, "quokkas")  # every file rewritten: too much to lay over
    report = await reloader.reload()
    child = [r.getMessage() for r in caplog.records if "in a child process, pid" in r.getMessage()]
    assert len(child) == 1 and not child[0].endswith(f"pid {os.getpid()}")
    fresh = holder["service"]
    assert fresh.snapshot.cached  # mapped from the child's build, not built here
    assert fresh.search("quokkas").hits and not fresh.search("orchards").hits
    assert len(report.changed) == 30 and results == ["ok"]

    (settings.corpus_dir / "doc0.txt").write_text("A short note on wombats.")
    caplog.clear()
    await reloader.reload()  # a file away from the saved build: laid over, no child
    assert holder["service"].layered and "child process" not in caplog.text


# A child that writes its niceness to the file argv[1] once it differs from argv[2] (the
# bot's), or after 10 s: the bot lowers it just after the child starts.
_NICENESS_CHILD = """
import os, sys, time
deadline = time.monotonic() + 10
while os.nice(0) == int(sys.argv[2]) and time.monotonic() < deadline:
    time.sleep(0.01)
with open(sys.argv[1], "w") as told:
    told.write(str(os.nice(0)))
"""


@pytest.mark.timeout(60)
async def test_the_child_builds_at_a_lower_priority_than_the_bot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the build shares a core with the bot, the members' questions go first."""
    settings = _settings(monkeypatch, _corpus(tmp_path, "orchards"), tmp_path / "cache")
    told = tmp_path / "niceness"
    ours = os.nice(0)
    argv = [sys.executable, "-c", _NICENESS_CHILD, str(told), str(ours)]
    await FullBuilds(settings, argv=argv).build()
    assert int(told.read_text()) == min(ours + CHILD_NICENESS, 19)  # 19: the lowest priority


@pytest.mark.timeout(60)
async def test_a_failed_child_leaves_the_old_service_and_the_next_reload_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(monkeypatch, _corpus(tmp_path, "orchards"), tmp_path / "cache")
    holder = {"service": load_service(settings)}
    results: list[str] = []
    failing = [sys.executable, "-c", "import sys; sys.exit('corpusbot: corpus unreadable')"]
    builds = FullBuilds(settings, argv=failing)
    reloader = _reloader(settings, holder, builds, results)
    old = holder["service"]

    _corpus(tmp_path, "quokkas")
    with pytest.raises(BuildFailed, match=r"child process \d+ exited 1: corpusbot: corpus unr"):
        await reloader.reload()
    assert holder["service"] is old and results == ["failed"]

    builds._argv = FullBuilds(settings)._argv  # the child can read the corpus again
    await reloader.reload()
    assert holder["service"].search("quokkas").hits and results == ["failed", "ok"]


@pytest.mark.parametrize("cache", ["none", "read-only"])
async def test_where_no_build_can_be_saved_the_reload_builds_here_logged_once(
    cache: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """INDEX_CACHE_DIR empty, or a folder nothing can be written to (a file stands there): a
    child's build would have nowhere to go, so the bot builds in its own thread and says so
    once, and reloading keeps working."""
    folder = None
    if cache == "read-only":
        folder = tmp_path / "not-a-folder"
        folder.write_text("")
    settings = _settings(monkeypatch, _corpus(tmp_path, "orchards"), folder)
    holder = {"service": load_service(settings)}
    reloader = _reloader(settings, holder, FullBuilds(settings), [])
    for word in ("quokkas", "wombats"):
        _corpus(tmp_path, word)
        await reloader.reload()
        assert holder["service"].search(word).hits
    assert "child process" not in caplog.text
    said = [
        r for r in caplog.records if "full builds run in the bot's own process" in r.getMessage()
    ]
    assert len(said) == 1


async def test_a_corpus_below_the_child_threshold_builds_in_the_bots_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A child's start costs more than building a few files: no child, and nothing to warn of."""
    caplog.set_level(logging.INFO, "bot.discord_bot")
    settings = _settings(monkeypatch, _corpus(tmp_path, "orchards"), tmp_path / "cache")
    settings = settings.model_copy(update={"child_build_from_bytes": 1_000_000})
    holder = {"service": load_service(settings)}
    reloader = _reloader(settings, holder, FullBuilds(settings), [])
    _corpus(tmp_path, "quokkas")
    await reloader.reload()
    assert holder["service"].search("quokkas").hits
    assert "child process" not in caplog.text and "own process" not in caplog.text


async def test_a_start_whose_child_build_fails_builds_in_the_bots_own_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(monkeypatch, _corpus(tmp_path, "orchards"), tmp_path / "cache")
    failing = [sys.executable, "-c", "import sys; sys.exit('corpusbot: out of memory')"]
    monkeypatch.setattr(runner, "FullBuilds", partial(FullBuilds, argv=failing))
    with caplog.at_level(logging.WARNING):
        service = await runner._loaded_at_start(settings)
    assert service is not None and service.search("orchards").hits
    assert "exited 1: corpusbot: out of memory; building in the bot's own process" in caplog.text


async def test_a_start_from_a_saved_index_lists_the_corpus_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(monkeypatch, _corpus(tmp_path, "orchards"), tmp_path / "cache")
    load_service(settings)  # saved
    listed: list[Path] = []

    def counted(root: Path, rules: FileRules) -> CorpusListing:
        listed.append(root)
        return list_corpus(root, rules)

    monkeypatch.setattr(cache, "list_corpus", counted)
    service = await runner._loaded_at_start(settings)
    assert service is not None and service.snapshot.cached and service.search("orchards").hits
    assert listed == [settings.corpus_dir]  # the plan's listing is the load's
