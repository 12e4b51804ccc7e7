"""``corpusbot import-site``: the command a member of staff runs, its summary and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.cli.test_commands import corpusbot
from tests.corpus.site_import.site_server import FakeSite, html_page, serve


def small_site() -> FakeSite:
    site = FakeSite()
    site.page("/", html_page("Home", "Welcome.", ("/guide", "/gone")))
    site.page("/guide", html_page("Guide", "How to install the thing."))
    return site


def test_import_site_copies_the_site_into_the_corpus_and_says_what_it_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    with serve(small_site()) as site:
        first = corpusbot(
            "--corpus",
            str(corpus),
            "import-site",
            site.url,
            env={"IMPORT_SITE_REQUESTS_PER_SECOND": "100"},
        )
        site.page("/guide", html_page("Guide", "How to install the thing, version 2."))
        status = main(["--corpus", str(corpus), "import-site", site.url, "--rate", "100"])

    assert first.returncode == 0, first.stderr
    port = site.url.rpartition(":")[2]
    folder = corpus / f"127.0.0.1_{port}"
    assert sorted(path.name for path in folder.iterdir()) == [
        ".corpusbot-site.jsonl",
        "guide.html",
        "index.html",
    ]
    assert f"folder:   {folder}" in first.stdout
    assert "pages:    2 new, 0 changed, 0 unchanged, 0 removed" in first.stdout
    assert "/gone: 404 Not Found, not imported" in first.stderr
    assert status == 0
    assert "pages:    0 new, 1 changed, 1 unchanged, 0 removed" in capsys.readouterr().out
    assert "version 2" in (folder / "guide.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["ftp://example.com/"], "must start with http:// or https://"),
        (["https://"], "must start with http:// or https://"),
        (["https://admin:hunter2@example.com/"], "user name or password"),
        (["https://example.com/", "--max-pages", "0"], "--max-pages must be at least 1"),
        (["https://example.com/", "--rate", "0"], "--rate must be more than 0"),
    ],
)
def test_bad_input_gets_a_clear_error_and_never_echoes_a_password(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status = main(["--corpus", str(tmp_path), "import-site", *arguments])
    error = capsys.readouterr().err
    assert status == 2
    assert message in error
    assert "hunter2" not in error
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_site_stops_with_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with serve(FakeSite()) as site:
        url = site.url  # nothing listens there once the block ends
    status = main(["--corpus", str(tmp_path), "import-site", url, "--into", str(tmp_path / "s")])
    error = capsys.readouterr().err
    assert status == 2
    assert f"cannot read {url}/robots.txt (request failed:" in error
    assert "Traceback" not in error


def test_a_folder_of_other_files_is_refused_and_left_as_it_was(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "notes.md").write_text("# Notes\n", encoding="utf-8")
    with serve(small_site()) as site:
        status = main(["import-site", site.url, "--into", str(tmp_path)])
    assert status == 2
    assert "already holds files that no import made" in capsys.readouterr().err
    assert [path.name for path in tmp_path.iterdir()] == ["notes.md"]


def test_an_imported_page_answers_questions_citing_its_url(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    env = {"IMPORT_SITE_REQUESTS_PER_SECOND": "100", "INDEX_CACHE_DIR": str(tmp_path / "cache")}
    with serve(small_site()) as site:
        imported = corpusbot("--corpus", str(corpus), "import-site", site.url, env=env)
    assert imported.returncode == 0, imported.stderr

    answer = corpusbot("--corpus", str(corpus), "ask", "how do I install it", env=env)

    assert answer.returncode == 0, answer.stderr
    assert "**install**" in answer.stdout
    assert f"]({site.url}/guide)" in answer.stdout
