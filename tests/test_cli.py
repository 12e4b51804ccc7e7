"""The ``corpusbot`` command end to end, as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import SEED_DIR

REPO = Path(__file__).resolve().parent.parent


def corpusbot(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("CORPUS_", "BM25_", "PASSAGE_"))
    }
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_ask_prints_quoted_snippets_with_citations() -> None:
    result = corpusbot(
        "--corpus", str(SEED_DIR), "ask", "What does Russia plan to give North Korea?"
    )
    assert result.returncode == 0, result.stderr
    first_block = result.stdout.split("\n\n")[0]
    quote, cite = first_block.splitlines()
    assert (
        quote.startswith("> ") and "satellite technology" in quote and "**Russia plans**" in quote
    )
    assert (
        cite.startswith("— Secretary of State Antony Blinken")
        and "`000_fe06235f8a2d5290#1`" in cite
    )
    assert result.stdout.count("\n> ") == 2  # three results by default


def test_ask_json_gives_the_snippet_a_member_reads_and_the_whole_passage() -> None:
    result = corpusbot("--corpus", str(SEED_DIR), "ask", "Iranian satellites", "-k", "5", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["query"] == "Iranian satellites"
    results = payload["results"]
    assert 1 <= len(results) <= 5
    assert set(results[0]) == {"id", "title", "score", "snippet", "text"}
    assert "**Iranian satellites**" in results[0]["snippet"]
    assert results[0]["snippet"].startswith("> ")
    assert "Iranian satellites in November" in results[0]["text"]
    assert results == sorted(results, key=lambda r: -r["score"])


def test_ask_with_no_usable_terms_says_so() -> None:
    result = corpusbot("--corpus", str(SEED_DIR), "ask", "why is the?")
    assert result.returncode == 0
    assert "No matching passages" in result.stdout


def test_ask_rejects_bad_result_counts_and_huge_queries() -> None:
    assert "between 1 and 25" in corpusbot("--corpus", str(SEED_DIR), "ask", "x", "-k", "0").stderr
    huge = corpusbot("--corpus", str(SEED_DIR), "ask", "word " * 400)
    assert huge.returncode == 2 and "keep it under 1,000" in huge.stderr


def test_source_shows_the_passage_and_its_neighbours() -> None:
    result = corpusbot("--corpus", str(SEED_DIR), "source", "000_fe06235f8a2d5290#2")
    assert result.returncode == 0, result.stderr
    assert "passage 2 of 3" in result.stdout
    assert "Blinken's visit to Seoul" in result.stdout
    assert "previous: `000_fe06235f8a2d5290#1`" in result.stdout
    assert "next: `000_fe06235f8a2d5290#3`" in result.stdout


def test_unknown_source_id_names_the_closest() -> None:
    result = corpusbot("--corpus", str(SEED_DIR), "source", "000_fe06235f8a2d5290#7")
    assert result.returncode == 1
    assert "no passage or document has the id" in result.stderr
    assert "000_fe06235f8a2d5290#" in result.stderr


def test_index_reports_counts_and_skipped_files(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Apples\n\nApples are red and sweet. " * 5)
    (tmp_path / "b.txt").write_bytes(b"\x00binary\x00")
    result = corpusbot("index", env={"CORPUS_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "documents:  1" in result.stdout and "passages:   1" in result.stdout
    assert "skipped:    b.txt (binary)" in result.stdout
    assert "time:" in result.stdout


def test_settings_come_from_a_dotenv_file(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "x.txt").write_text("Zebras are striped.")
    (tmp_path / ".env").write_text(f"CORPUS_DIR={corpus}\n")
    result = corpusbot("ask", "zebras", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "**Zebras** are striped." in result.stdout


def test_missing_corpus_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = corpusbot("--corpus", str(tmp_path / "nope"), "ask", "x")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_bad_setting_is_a_clear_error() -> None:
    result = corpusbot("--corpus", str(SEED_DIR), "ask", "x", env={"BM25_B": "7"})
    assert result.returncode == 2 and "bm25_b" in result.stderr
