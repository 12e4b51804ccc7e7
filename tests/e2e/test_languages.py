"""The member's Discord locale reaches the search: the real bot process, a German, English and
Chinese corpus, and /ask interactions whose ``locale`` is each member's language. Detection is
the stand-in of ``tests/fake_languages.py`` (the hint decides a one-word question)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.e2e.helpers import bot_env, results_of, wait_for_rows
from tests.fakediscord.harness import fake_and_bot

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(90)

FAKE_LANGUAGES_BOT = [sys.executable, "-m", "tests.fake_languages_main", "run"]


async def test_ask_takes_a_short_questions_language_from_the_members_locale(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(DATA / "multilingual", corpus)
    database = tmp_path / "log.db"
    # No index cache: a snapshot built with the stand-ins must not be found by another process.
    env = bot_env(corpus, database, index_cache_dir="", watch_corpus="false")
    expected = {"de": "berlin-de#1", "zh-CN": "berlin-zh#1", "en-US": "berlin-en#1"}
    async with fake_and_bot(FAKE_LANGUAGES_BOT, env, name="corpusbot") as (fake, _):
        for locale, first in expected.items():
            ix = await fake.send_command("ask", {"question": "Berlin"}, locale=locale)
            message = await ix.wait_for_message()
            first_block = str(message.embeds[0]["description"]).split("\n\n")[0]
            assert f"`{first}`" in first_block, locale
        logged = await wait_for_rows(database, len(expected))
    assert [results_of(row)[0]["id"] for row in logged] == list(expected.values())
