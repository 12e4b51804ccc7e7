"""Each shard's state, read from a real discord.py client connected to the fake Discord."""

# ruff: noqa: ASYNC109  (timeout= arguments are the intended test API)

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator

import discord
import pytest

from bot.discord_bot.endpoints import point_discord_py_at
from bot.discord_bot.shards import shard_states
from tests.fakediscord import FakeDiscord

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def pointed_at(fake_discord: FakeDiscord) -> Iterator[FakeDiscord]:
    """discord.py's endpoints pointed at the fake for this test only."""
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    point_discord_py_at(fake_discord.api_base, fake_discord.gateway_url)
    try:
        yield fake_discord
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


async def until(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running(client: discord.Client, token: str) -> AsyncIterator[None]:
    task = asyncio.create_task(client.start(token))
    try:
        yield
    finally:
        await client.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def all_connected(client: discord.Client) -> bool:
    return all(state.connected for state in shard_states(client).values())


async def test_the_one_connection_is_shard_0_and_down_while_discord_is_away(
    pointed_at: FakeDiscord,
) -> None:
    fake = pointed_at
    client = discord.Client(intents=discord.Intents.none())
    assert shard_states(client) == {}  # not connected at all yet
    async with running(client, fake.token):
        await until(client.is_ready)
        await until(lambda: all_connected(client))
        [(shard_id, state)] = shard_states(client).items()
        assert shard_id == 0 and state.latency_seconds >= 0
        port = fake.port
        await fake.stop()  # Discord away: the connection closes and reconnecting fails
        await until(lambda: not any(s.connected for s in shard_states(client).values()))
        assert list(shard_states(client)) == [0]
        await fake.start(port=port)
        await until(lambda: all_connected(client), 60)


async def test_an_auto_sharded_client_reports_each_of_its_shards(pointed_at: FakeDiscord) -> None:
    fake = pointed_at
    client = discord.AutoShardedClient(
        intents=discord.Intents.none(), shard_count=4, shard_ids=[1, 3]
    )
    assert shard_states(client) == {}
    async with running(client, fake.token):
        await until(client.is_ready)
        await until(lambda: all_connected(client))
        assert sorted(shard_states(client)) == [1, 3]
    assert not any(state.connected for state in shard_states(client).values())
