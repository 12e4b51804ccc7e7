"""Helpers for end-to-end tests of the real ``corpusbot run`` process against the fake Discord."""

# ruff: noqa: ASYNC109  (timeout= arguments are the intended test API)

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import SEED_DIR

BOT_ARGV = [sys.executable, "-m", "bot", "run"]

HOSTILE_DOCUMENT = """\
# Giveaway rules @everyone

Ping @here and <@123456789012345678> and the role <@&456> in <#789> about the nitro giveaway.
Claim it at [free nitro](https://evil.example/claim) `right now` **today** ||secret|| ~~gone~~.
"""


def make_corpus(root: Path) -> Path:
    """The seed article plus a hostile plain-text document (raw markup kept), in a fresh folder."""
    corpus = root / "corpus"
    shutil.copytree(SEED_DIR, corpus)
    (corpus / "giveaway.txt").write_text(HOSTILE_DOCUMENT, encoding="utf-8")
    return corpus


# Shorter passages than the defaults, so the one seed article gives the four passages that
# paging, neighbours and navigation need (tests/search/test_service.py covers the defaults).
SHORT_PASSAGES = {"passage_min_words": 40, "passage_max_words": 120}


def bot_env(corpus: Path, database: Path, **settings: Any) -> dict[str, str]:
    """Environment for one bot process: its corpus, its log, and any setting overrides."""
    env = {
        "CORPUS_DIR": str(corpus),
        "QUERY_LOG_PATH": str(database),
        "ASK_COOLDOWN_RATE": "1000",
        "LOG_LEVEL": "INFO",
        **{key.upper(): str(value) for key, value in SHORT_PASSAGES.items()},
    }
    env.update({key.upper(): str(value) for key, value in settings.items()})
    return env


def rows(database: Path, where: str = "1", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Query-log rows as dicts (a fresh read-only connection each call)."""
    if not database.exists():
        return []
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    connection.row_factory = sqlite3.Row
    try:
        found = connection.execute(f"SELECT * FROM queries WHERE {where} ORDER BY id", params)
        return [dict(row) for row in found.fetchall()]
    except sqlite3.OperationalError:
        return []
    finally:
        connection.close()


async def wait_for_rows(
    database: Path, count: int, where: str = "1", params: tuple[Any, ...] = (), timeout: float = 10
) -> list[dict[str, Any]]:
    """Poll until the log holds ``count`` matching rows; fail with what it holds."""
    deadline = time.monotonic() + timeout
    while True:
        found = rows(database, where, params)
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) == count, f"expected {count} rows, found {len(found)}: {found}"
            return found
        await asyncio.sleep(0.05)


def row_for(database: Path, interaction_id: str) -> dict[str, Any] | None:
    """The single row of one interaction, if written."""
    found = rows(database, "interaction_id = ?", (int(interaction_id),))
    return found[0] if found else None


def results_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The decoded ``results`` JSON column."""
    return list(json.loads(row["results"]))


def set_immutable(paths: list[Path], on: bool) -> None:
    """Make files unwritable even for root (``chattr +i``), or writable again."""
    subprocess.run(["chattr", "+i" if on else "-i", *map(str, paths)], check=True)


def assert_outlived_by_none(pid: int, what: str) -> None:
    """Fail unless process ``pid`` (``what``, a child the bot started) has gone with the bot."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return
    raise AssertionError(f"{what} {pid} outlived the bot")
