"""`corpusbot run --processes 2 --shard-count 4`: two bot processes with two shards each, over
servers on all four shards. Every /ask is answered once and logged once, the processes take
their IDENTIFY turns one after another, a child killed outright is restarted by the
supervisor, its shards answering again, and a corpus change is built once and answered by
both."""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import bot_env, make_corpus, rows, wait_for_rows
from tests.fakediscord import FakeDiscord, FakeInteraction
from tests.fakediscord import payloads as P
from tests.fakediscord.gateway import shard_of

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(120)

SHARDS = 4
IDENTIFY_SECONDS = 1.0  # Discord's 5 s would make the test wait 15 s for the four shards
SUPERVISED = [sys.executable, "-m", "bot", "run", "--processes", "2", "--shard-count", "4"]
QUESTION = "What does Russia plan to give North Korea?"


@pytest.fixture
def fake_discord_options() -> dict[str, Any]:
    # The fake refuses (op 9) IDENTIFYs of one bucket closer together than the bot spaces them.
    return {"heartbeat_interval_ms": 2000, "identify_interval": IDENTIFY_SECONDS}


def answered_once(ix: FakeInteraction) -> bool:
    """One callback, none refused or late: the interaction reached exactly one process."""
    return ix.callback is not None and not ix.late_callbacks and not ix.rejected_callbacks


async def ask_everywhere(fake: FakeDiscord, guild_ids: list[str]) -> list[FakeInteraction]:
    """/ask in each server; waits for every reply."""
    asked = [
        await fake.send_command("ask", {"question": QUESTION}, guild_id=guild_id)
        for guild_id in guild_ids
    ]
    for ix in asked:
        message = await ix.wait_for_message(timeout=20)
        assert "satellite" in message.embeds[0]["description"]
    return asked


def child_pid(output: str, index: int) -> int:
    """The newest pid the supervisor logged for child ``index``."""
    started = re.findall(rf"process {index} \(shards [\d,]+\) started, pid (\d+)", output)
    assert started, output
    return int(started[-1])


async def test_two_processes_with_two_shards_each_answer_every_server_once(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    fake = fake_discord
    for shard_id in range(SHARDS):
        for n in range(2):
            fake.add_guild(
                f"shard {shard_id} server {n}", guild_id=P.snowflake_on_shard(shard_id, 4)
            )
    guild_ids = [g["id"] for g in fake.guilds]
    assert {shard_of(g, SHARDS) for g in guild_ids} == set(range(SHARDS))
    database = tmp_path / "log.db"
    corpus = make_corpus(tmp_path)
    env = bot_env(
        corpus,
        database,
        index_cache_dir=tmp_path / "index",
        shard_identify_seconds=IDENTIFY_SECONDS,
    )
    supervisor = await launch_bot(SUPERVISED, env, wait_ready=False, name="supervisor")
    await fake.wait_for_shards(SHARDS, timeout=60)
    assert sorted(record.shard for record in fake.gateway.identifies) == [
        (shard_id, SHARDS) for shard_id in range(SHARDS)
    ]
    # Every session holds the servers of its own shard only.
    for (shard_id, count), session in fake.gateway.shard_sessions.items():
        ready = next(frame["d"] for frame in session.events if frame["t"] == "READY")
        assert {g["id"] for g in ready["guilds"]} == {
            g for g in guild_ids if shard_of(g, count) == shard_id
        }

    asked = await ask_everywhere(fake, guild_ids)
    assert all(answered_once(ix) for ix in asked)
    logged = await wait_for_rows(database, len(asked))
    assert sorted(str(row["interaction_id"]) for row in logged) == sorted(ix.id for ix in asked)
    assert {str(row["guild_id"]) for row in logged} == set(guild_ids)

    # SIGKILL the second child (shards 2 and 3): the supervisor starts it again, and its new
    # shards IDENTIFY and answer their servers.
    killed = child_pid(supervisor.output, 1)
    os.kill(killed, signal.SIGKILL)
    await supervisor.wait_for_output(
        r"process 1 \(shards 2,3\) exited with status -9 .*; restarting in", timeout=10
    )
    await supervisor.wait_for_output(
        rf"process 1 \(shards 2,3\) started, pid (?!{killed}\b)\d+", timeout=10
    )

    def reidentified() -> bool:
        shards = [record.shard[0] for record in fake.gateway.identifies]
        connected = fake.gateway.connected_shards(SHARDS) == set(range(SHARDS))
        return connected and shards.count(2) == 2 and shards.count(3) == 2

    await fake.wait_until(reidentified, timeout=60)
    on_restarted = [g for g in guild_ids if shard_of(g, SHARDS) in (2, 3)]
    again = await ask_everywhere(fake, on_restarted)
    assert all(answered_once(ix) for ix in again)
    await wait_for_rows(database, len(asked) + len(again))
    assert len({row["interaction_id"] for row in rows(database)}) == len(asked) + len(again)
    assert fake.gateway.identify_too_fast == 0  # the processes took their turns

    # Both processes see the new file and reload, each laying it over the saved index they
    # share: nothing is built. (The merge a minute later takes the cache's build lock: one
    # process builds, the other maps what it built.)
    (corpus / "animals.md").write_text("# Animals\n\nQuokkas live on Rottnest Island.\n")
    reloaded = r"Reloaded in [\d.]+ s: 3 documents.*1 added \(animals\)"
    await fake.wait_until(lambda: len(re.findall(reloaded, supervisor.output)) == 2, timeout=40)
    loads = re.findall(
        r"corpus .*: 3 documents, .* \((built|from cache|with .*)\)", supervisor.output
    )
    assert loads == ["with changed files laid over the saved index"] * 2
    for shard_id in (0, 3):
        guild_id = next(g for g in guild_ids if shard_of(g, SHARDS) == shard_id)
        ix = await fake.send_command("ask", {"question": "quokkas"}, guild_id=guild_id)
        assert "Rottnest" in (await ix.wait_for_message(timeout=20)).embeds[0]["description"]

    supervisor.send_signal(signal.SIGTERM)
    assert await supervisor.wait(40) == 0
    assert "every process has stopped" in supervisor.output


@pytest.mark.parametrize("close_code", [None, 4000])
async def test_every_shard_resumes_after_its_connection_drops(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path, close_code: int | None
) -> None:  # type: ignore[no-untyped-def]
    """A dropped connection (a network blip, or Discord closing with a resumable code) is
    RESUMEd by each shard, and the events dispatched meanwhile are answered."""
    fake = fake_discord
    for shard_id in range(2):
        fake.add_guild(f"shard {shard_id}", guild_id=P.snowflake_on_shard(shard_id, 2))
    env = bot_env(
        make_corpus(tmp_path),
        tmp_path / "log.db",
        index_cache_dir=tmp_path / "index",
        shard_identify_seconds=IDENTIFY_SECONDS,
        watch_corpus="false",
    )
    await launch_bot(
        [sys.executable, "-m", "bot", "run", "--shard-count", "2"], env, wait_ready=False
    )
    await fake.wait_for_shards(2, timeout=60)
    assert await fake.drop_gateway(close_code) == 2
    guild_ids = [fake.guilds[-2]["id"], fake.guilds[-1]["id"]]
    asked = await ask_everywhere(fake, guild_ids)  # buffered, replayed on RESUME
    assert all(answered_once(ix) for ix in asked)
    assert fake.resume_count == 2 and fake.identify_count == 2
    await wait_for_rows(tmp_path / "log.db", 2)


async def test_a_bot_discord_requires_to_shard_says_how(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Past Discord's servers per shard the unsharded IDENTIFY is closed with 4011: the bot
    exits saying which setting to give, without a traceback."""
    fake_discord.max_guilds_per_shard = 1
    fake_discord.add_guild("a second server")
    env = bot_env(make_corpus(tmp_path), tmp_path / "log.db", watch_corpus="false")
    bot = await launch_bot([sys.executable, "-m", "bot", "run"], env, wait_ready=False)
    assert await bot.wait(60) == 1
    assert "Discord requires sharding (4011): set SHARD_COUNT" in bot.output
    assert "Traceback" not in bot.output
