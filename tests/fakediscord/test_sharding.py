"""The fake Gateway shards as Discord does: IDENTIFY names [shard_id, shard_count], each guild's
events reach only shard ``(guild_id >> 22) % shard_count``, bad shards are closed with 4010 and
overfull ones with 4011, and IDENTIFYs faster than the session-start limit get op 9."""

# ruff: noqa: ASYNC109  (timeout= arguments are the intended test API)

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.fakediscord import FakeDiscord
from tests.fakediscord import payloads as P
from tests.fakediscord.gateway import shard_of

pytestmark = pytest.mark.timeout(30)


class RawShard:
    """A bare websocket client that IDENTIFIES as one shard and collects what it is sent."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self._reader = asyncio.create_task(self._read())
        self._changed = asyncio.Event()

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                self.frames.append(json.loads(message.data))
                self._changed.set()
        self.close_code = self.ws.close_code
        self._changed.set()

    def events(self, name: str) -> list[dict[str, Any]]:
        return [f["d"] for f in self.frames if f.get("op") == 0 and f.get("t") == name]

    async def wait_for(self, check: Any, timeout: float = 5) -> None:
        async with asyncio.timeout(timeout):
            while not check():
                self._changed.clear()
                await self._changed.wait()

    async def closed(self, timeout: float = 5) -> int | None:
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.close_code


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def identify(
    fake: FakeDiscord, http: aiohttp.ClientSession, shard: Any = None, token: str | None = None
) -> RawShard:
    ws = await http.ws_connect(fake.gateway_url)
    client = RawShard(ws)
    await client.wait_for(lambda: any(f.get("op") == 10 for f in client.frames))
    payload: dict[str, Any] = {"token": token or fake.token, "intents": 1, "properties": {}}
    if shard is not None:
        payload["shard"] = shard
    await ws.send_str(json.dumps({"op": 2, "d": payload}))
    return client


def guilds_on_every_shard(fake: FakeDiscord, shard_count: int, per_shard: int = 1) -> list[str]:
    """Add ``per_shard`` guilds on each shard; their ids, shard by shard."""
    ids = []
    for shard_id in range(shard_count):
        for n in range(per_shard):
            guild_id = P.snowflake_on_shard(shard_id, shard_count)
            fake.add_guild(f"shard {shard_id} guild {n}", guild_id=guild_id)
            ids.append(guild_id)
    return ids


@pytest.mark.parametrize("shard_count", [1, 2, 4, 7])
def test_snowflakes_land_on_the_shard_asked_for(shard_count: int) -> None:
    for shard_id in range(shard_count):
        assert shard_of(P.snowflake_on_shard(shard_id, shard_count), shard_count) == shard_id


@pytest.mark.parametrize(
    ("guild_id", "shard_count", "shard_id"),
    [
        (str((5 << 22) | 0x3FFFFF), 1, 0),  # the low 22 bits never count
        (str((5 << 22) | 0x3FFFFF), 2, 1),
        (str(5 << 22), 3, 2),
        ((1 << 22) - 1, 4, 0),
        (7 << 22, 4, 3),
    ],
)
def test_shard_of_is_discords_formula(guild_id: str | int, shard_count: int, shard_id: int) -> None:
    assert shard_of(guild_id, shard_count) == shard_id


async def test_gateway_bot_reports_shards_and_session_start_limit(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeDiscord(recommended_shards=4, max_concurrency=2) as fake:
        headers = {"Authorization": f"Bot {fake.token}"}
        async with http.get(f"{fake.api_base}/gateway/bot", headers=headers) as response:
            body = await response.json()
    assert body["shards"] == 4
    assert body["url"] == fake.gateway_url
    assert body["session_start_limit"]["max_concurrency"] == 2
    assert body["session_start_limit"]["remaining"] <= body["session_start_limit"]["total"]


async def test_each_shard_gets_ready_and_guild_create_for_its_own_guilds(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeDiscord() as fake:
        guilds_on_every_shard(fake, 2, per_shard=2)
        expected = {
            shard_id: {g["id"] for g in fake.guilds if shard_of(g["id"], 2) == shard_id}
            for shard_id in (0, 1)
        }
        clients = [await identify(fake, http, [shard_id, 2]) for shard_id in (0, 1)]
        for shard_id, client in enumerate(clients):
            await client.wait_for(
                lambda c=client, s=shard_id: len(c.events("GUILD_CREATE")) == len(expected[s])
            )
            (ready,) = client.events("READY")
            assert ready["shard"] == [shard_id, 2]
            assert {g["id"] for g in ready["guilds"]} == expected[shard_id]
            assert {g["id"] for g in client.events("GUILD_CREATE")} == expected[shard_id]
        await fake.wait_for_shards(2)


async def test_a_guilds_interactions_reach_only_its_shard(http: aiohttp.ClientSession) -> None:
    async with FakeDiscord() as fake:
        guild_ids = guilds_on_every_shard(fake, 3)
        clients = [await identify(fake, http, [shard_id, 3]) for shard_id in range(3)]
        await fake.wait_for_shards(3)
        for guild_id in guild_ids:
            await fake.send_command("ask", {"question": "hello"}, guild_id=guild_id)
        for shard_id, client in enumerate(clients):
            await client.wait_for(lambda c=client: len(c.events("INTERACTION_CREATE")) == 1)
            (interaction,) = client.events("INTERACTION_CREATE")
            assert shard_of(interaction["guild_id"], 3) == shard_id
        await asyncio.sleep(0.1)  # nothing else arrives late on another shard
        assert [len(c.events("INTERACTION_CREATE")) for c in clients] == [1, 1, 1]


async def test_a_restarted_shard_takes_its_guilds_events_over(http: aiohttp.ClientSession) -> None:
    async with FakeDiscord() as fake:
        (_, guild_on_1) = guilds_on_every_shard(fake, 2)
        first = await identify(fake, http, [1, 2])
        await identify(fake, http, [0, 2])
        await fake.wait_for_shards(2)
        await first.ws.close()
        second = await identify(fake, http, [1, 2])
        await fake.wait_for_shards(2)
        await fake.send_command("ask", {"question": "hello"}, guild_id=guild_on_1)
        await second.wait_for(lambda: len(second.events("INTERACTION_CREATE")) == 1)
        assert first.events("INTERACTION_CREATE") == []


@pytest.mark.parametrize("shard", [[2, 2], [0, 0], [-1, 2], [0], "0,1", [0, True]])
async def test_an_invalid_shard_is_closed_with_4010(
    http: aiohttp.ClientSession, shard: Any
) -> None:
    async with FakeDiscord() as fake:
        client = await identify(fake, http, shard)
        assert await client.closed() == 4010
        assert fake.identify_count == 0


async def test_too_many_guilds_on_one_shard_is_closed_with_4011(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeDiscord(max_guilds_per_shard=2) as fake:
        guilds_on_every_shard(fake, 2)  # three guilds with the default one
        unsharded = await identify(fake, http)
        assert await unsharded.closed() == 4011
        clients = [await identify(fake, http, [shard_id, 4]) for shard_id in range(4)]
        await fake.wait_for_shards(4)
        assert all(c.close_code is None for c in clients)


async def test_identifying_faster_than_the_session_start_limit_gets_op_9(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeDiscord(identify_interval=30, max_concurrency=2) as fake:
        await identify(fake, http, [0, 4])
        other_bucket = await identify(fake, http, [1, 4])
        same_bucket = await identify(fake, http, [2, 4])
        await same_bucket.wait_for(lambda: any(f.get("op") == 9 for f in same_bucket.frames))
        assert same_bucket.events("READY") == []
        await other_bucket.wait_for(lambda: len(other_bucket.events("READY")) == 1)
        assert fake.gateway.identify_too_fast == 1
        assert [record.shard for record in fake.gateway.identifies] == [(0, 4), (1, 4)]


async def test_unsharded_bots_see_every_guild_as_before(http: aiohttp.ClientSession) -> None:
    async with FakeDiscord() as fake:
        guild_ids = guilds_on_every_shard(fake, 4)
        client = await identify(fake, http)
        await fake.wait_for_ready()
        (ready,) = client.events("READY")
        assert ready["shard"] == [0, 1]
        assert len(ready["guilds"]) == 5
        for guild_id in guild_ids:
            await fake.send_command("ask", {"question": "hi"}, guild_id=guild_id)
        await client.wait_for(lambda: len(client.events("INTERACTION_CREATE")) == 4)
