# ruff: noqa: ASYNC109  (timeout= arguments are the intended test API)
"""The real bot with its query log on PostgreSQL (``QUERY_LOG_URL``), against the fake Discord:
/ask is answered and logged there, /querylog reads it back, and a server that is down when the
bot starts only delays the rows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import SEED_DIR
from tests.e2e.helpers import BOT_ARGV, bot_env
from tests.fakediscord import FakeDiscord
from tests.pg import PostgresCluster, running_cluster

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(90)

QUESTION = "What does Russia plan to give North Korea?"
SECRET = "e2e-pa55word"  # the test server trusts local connections: any password does


def with_password(url: str) -> str:
    """``url`` with a password in it, which the bot must never print."""
    return url.replace("postgres@", f"postgres:{SECRET}@")


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    """A cluster of this module's own, which a test stops and starts."""
    with running_cluster() as started:
        yield started


def logged(url: str) -> list[dict[str, Any]]:
    """The log's questions (none while the server is down or the tables not made yet)."""
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            cursor = conn.execute("SELECT * FROM queries ORDER BY id")
            names = [column.name for column in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return []


async def wait_for_logged(url: str, count: int, timeout: float = 20) -> list[dict[str, Any]]:
    """Poll until ``count`` questions are logged; fail with what is there."""
    deadline = time.monotonic() + timeout
    while True:
        found = await asyncio.to_thread(logged, url)
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) == count, f"expected {count} rows, found {found}"
            return found
        await asyncio.sleep(0.1)


async def test_ask_is_answered_and_logged_in_postgresql(
    fake_discord: FakeDiscord, launch_bot: Any, cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = cluster.new_database()
    env = bot_env(
        SEED_DIR, tmp_path / "log.db", query_log_url=with_password(url), watch_corpus="false"
    )
    bot = await launch_bot(BOT_ARGV, env)
    ix = await fake_discord.send_command("ask", {"question": QUESTION})
    message = await ix.wait_for_message()
    assert "North Korea" in message.embeds[0]["description"]
    [row] = await wait_for_logged(url, 1)
    assert row["interaction_id"] == int(ix.id)
    assert (row["command"], row["query"], row["outcome"]) == ("ask", QUESTION, "answered")
    assert row["guild_id"] == int(fake_discord.guild_id)
    assert row["query_key"] == QUESTION.lower().rstrip("?")

    listing = await fake_discord.send_command("querylog recent", {}, user=fake_discord.owner_user)
    shown = await listing.wait_for_message()
    assert shown.ephemeral and QUESTION in str(shown.embeds)
    assert SECRET not in bot.output
    assert not (tmp_path / "log.db").exists()  # nothing went to SQLite


async def test_a_server_down_when_the_bot_starts_only_delays_the_rows(
    fake_discord: FakeDiscord, launch_bot: Any, cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = cluster.new_database()
    await asyncio.to_thread(cluster.stop)
    try:
        env = bot_env(
            SEED_DIR, tmp_path / "log.db", query_log_url=with_password(url), watch_corpus="false"
        )
        bot = await launch_bot(BOT_ARGV, env)
        asked = []
        for n in range(3):
            ix = await fake_discord.send_command("ask", {"question": f"{QUESTION} {n}"})
            await ix.wait_for_message()  # answered while the log cannot be written
            asked.append(int(ix.id))
        await bot.wait_for_output(r"not writable")
    finally:
        await asyncio.to_thread(cluster.start)
    rows = await wait_for_logged(url, 3, timeout=30)
    assert [row["interaction_id"] for row in rows] == asked
    assert SECRET not in bot.output


LOAD = 500
IN_FLIGHT = 25


async def test_a_restart_during_500_asks_logs_every_answered_question_once(
    fake_discord: FakeDiscord, launch_bot: Any, cluster: PostgresCluster, tmp_path: Path
) -> None:
    """``pg_ctl stop -m fast`` and start again while members ask: every /ask is answered
    meanwhile, and afterwards each is in the log exactly once."""
    url = cluster.new_database()
    env = bot_env(
        SEED_DIR, tmp_path / "log.db", query_log_url=with_password(url), watch_corpus="false"
    )
    bot = await launch_bot(BOT_ARGV, env)

    async def ask(n: int) -> int:
        ix = await fake_discord.send_command("ask", {"question": f"{QUESTION} {n}"})
        message = await ix.wait_for_message(timeout=30)
        assert "North Korea" in message.embeds[0]["description"]
        return int(ix.id)

    asked: list[int] = []
    try:
        for first in range(0, LOAD, IN_FLIGHT):
            if first == LOAD // 3 // IN_FLIGHT * IN_FLIGHT:
                await asyncio.to_thread(cluster.stop)  # the server goes away with rows arriving
                stopped = asyncio.create_task(
                    bot.wait_for_output(r"not writable|error connecting", timeout=30)
                )
            asked += await asyncio.gather(*(ask(n) for n in range(first, first + IN_FLIGHT)))
            if not cluster.is_running():
                await stopped  # the bot met the server gone, its rows kept; now it comes back
                await asyncio.to_thread(cluster.start)
    finally:
        if not cluster.is_running():
            await asyncio.to_thread(cluster.start)
    rows = await wait_for_logged(url, LOAD, timeout=60)
    assert sorted(row["interaction_id"] for row in rows) == sorted(asked)
    assert len(set(asked)) == LOAD
    assert SECRET not in bot.output
