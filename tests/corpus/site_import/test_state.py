"""The import journal: replayed line by line, so an interrupted import loses track of nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.corpus.site_import import progress as progress_module
from bot.corpus.site_import.progress import ImportProgress
from bot.corpus.site_import.state import STATE_NAME, SavedPage, SiteState

SITE = "https://docs.example.com"


def page(name: str, digest: str = "0" * 64) -> SavedPage:
    return SavedPage(f"{SITE}/{name}", f"{name}.html", f"{SITE}/{name}", digest, '"e1"')


def test_the_journal_is_appended_as_pages_are_written_and_compacted_at_the_end(
    tmp_path: Path,
) -> None:
    state = SiteState.open(tmp_path / "site", SITE)
    state.saved(page("a"))
    state.saved(page("b"))
    state.saved(page("a", "1" * 64))
    state.removed(f"{SITE}/b")
    # Killed here: every page written so far is in the journal already.
    lines = (tmp_path / "site" / STATE_NAME).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    assert SiteState.open(tmp_path / "site", SITE).pages == {f"{SITE}/a": page("a", "1" * 64)}
    state.close()
    lines = (tmp_path / "site" / STATE_NAME).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line).get("url") for line in lines] == [None, f"{SITE}/a"]


def test_a_damaged_journal_line_is_one_warning_and_the_rest_is_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = SiteState.open(tmp_path, SITE)
    state.saved(page("a"))
    state.saved(page("b"))
    state.close()
    journal = tmp_path / STATE_NAME
    journal.write_text(journal.read_text(encoding="utf-8") + '{"url": "cut sh', encoding="utf-8")
    assert sorted(SiteState.open(tmp_path, SITE).pages) == [f"{SITE}/a", f"{SITE}/b"]
    assert [record.getMessage() for record in caplog.records] == [
        f"{journal} line 4: unreadable, ignored"
    ]


def test_the_progress_line_waits_a_second_then_shows_pages_rate_and_eta(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    stream = io.StringIO()
    progress = ImportProgress(enabled=True, stream=stream)
    progress.update(done=1, known=10, written=1, failed=0)
    assert stream.getvalue() == ""
    now[0] = 102.0
    progress.update(done=4, known=10, written=3, failed=1)
    now[0] = 103.0
    progress.close()
    assert stream.getvalue().splitlines() == [
        "importing: 4/10 pages, 3 written, 1 failed, 2.0 pages/s, ETA 3 s",
        "importing: 4/10 pages, 3 written, 1 failed, 1.3 pages/s, done in 3 s",
    ]
