"""Metrics, health and JSON logs of the real ``corpusbot run`` process against the fake Discord:
``/readyz`` follows the index and the Gateway, ``/metrics`` counts what the query log holds,
and every log line is a JSON object without the token."""

# ruff: noqa: ASYNC109  (timeout= arguments are the intended test API)

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.helpers import BOT_ARGV, bot_env, make_corpus, wait_for_rows
from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.harness import fake_and_bot, wait_ready_or_exit

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(120)
shared = pytest.mark.asyncio(loop_scope="module")

GATED_BOT = [sys.executable, "-m", "tests.e2e.gated_start_bot"]
SERVING = r"metrics: serving /metrics, /healthz and /readyz on (http://127\.0\.0\.1:\d+)"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def scrape(base: str) -> Samples:
    status, text = await get(f"{base}/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def one(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def readyz_until(base: str, status: int, timeout: float = 30) -> str:
    """Poll ``/readyz`` until it answers ``status``; its body."""
    deadline = time.monotonic() + timeout
    while True:
        got, body = await get(f"{base}/readyz")
        if got == status:
            return body
        assert time.monotonic() < deadline, f"/readyz stayed {got} {body}"
        await asyncio.sleep(0.1)


async def test_readyz_follows_the_index_and_the_gateway(
    fake_discord: FakeDiscord, launch_bot: Any, tmp_path: Path
) -> None:
    gate = tmp_path / "load-now"
    env = bot_env(
        make_corpus(tmp_path),
        tmp_path / "log.db",
        metrics_port=0,
        load_gate_file=gate,
    )
    bot = await launch_bot(GATED_BOT, env, wait_ready=False)
    base = (await bot.wait_for_output(SERVING, timeout=30)).group(1)

    # The corpus is not loaded yet: alive, not ready, no index to count.
    assert await get(f"{base}/healthz") == (200, '{"status": "ok"}')
    assert await get(f"{base}/readyz") == (503, '{"ready": false, "reason": "index not loaded"}')
    assert one(await scrape(base), "corpusbot_index_documents") is None

    gate.touch()
    await wait_ready_or_exit(fake_discord, bot, 30)
    assert await readyz_until(base, 200) == '{"ready": true}'
    samples = await scrape(base)
    assert one(samples, "corpusbot_index_documents") == 2
    assert one(samples, "corpusbot_index_passages") == 5
    assert one(samples, "corpusbot_shard_connected", shard="0") == 1

    # Discord unreachable: the shard is down and the process not ready, until it reconnects.
    port = fake_discord.port
    await fake_discord.stop()
    body = await readyz_until(base, 503)
    assert body == '{"ready": false, "reason": "shard 0 not connected"}'
    assert one(await scrape(base), "corpusbot_shard_connected", shard="0") == 0
    await fake_discord.start(port=port)
    assert await readyz_until(base, 200, timeout=60) == '{"ready": true}'


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def json_bot(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[FakeDiscord, BotProcess, Path, str]]:
    workdir = tmp_path_factory.mktemp("metrics")
    database = workdir / "log.db"
    env = bot_env(make_corpus(workdir), database, metrics_port=0, log_format="json")
    async with fake_and_bot(BOT_ARGV, env, name="corpusbot") as (fake, bot):
        base = (await bot.wait_for_output(SERVING)).group(1)
        yield fake, bot, database, base


@shared
async def test_metrics_count_what_the_query_log_holds(
    json_bot: tuple[FakeDiscord, BotProcess, Path, str],
) -> None:
    fake, _, database, base = json_bot
    questions = ["North Korea satellite", "Russia", "zebra quantum marmalade", "Blinken", "nuclear"]
    for question in questions:
        await (await fake.send_command("ask", {"question": question})).wait_for_message()
    await (await fake.send_command("source", {"id": "no-such-passage"})).wait_for_message()
    logged = await wait_for_rows(database, len(questions) + 1)

    samples = await scrape(base)
    by_outcome = Counter((row["command"], row["outcome"]) for row in logged)
    assert len(by_outcome) >= 3  # answered and no_results /ask, a /source not found
    counted = {
        dict(labels)["command"] + "/" + dict(labels)["outcome"]: number
        for (name, labels), number in samples.items()
        if name == "corpusbot_questions_total"
    }
    assert counted == {f"{command}/{outcome}": n for (command, outcome), n in by_outcome.items()}
    assert one(samples, "corpusbot_reply_seconds_count") == len(logged)
    assert one(samples, "corpusbot_search_seconds_count") == len(questions)
    assert one(samples, "corpusbot_query_log_rows_written_total") == len(logged)
    assert one(samples, "corpusbot_query_log_rows_pending") == 0
    assert one(samples, "corpusbot_query_log_rows_spilled_total") == 0
    latency = one(samples, "corpusbot_shard_latency_seconds", shard="0")
    assert latency is not None and latency >= 0
    assert (one(samples, "process_resident_memory_bytes") or 0) > 10_000_000


@shared
async def test_every_log_line_is_a_json_object_without_the_token(
    json_bot: tuple[FakeDiscord, BotProcess, Path, str],
) -> None:
    fake, bot, _, _ = json_bot
    await bot.wait_for_output(r"invite: https://discord\.com/oauth2/authorize")
    lines = bot.output.splitlines()
    assert len(lines) >= 5
    entries = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
    assert any(entry["message"].startswith("corpus: 2 documents") for entry in entries)
    assert fake.token not in bot.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_process_i_of_several_serves_on_the_metrics_port_plus_i(
    fake_discord: FakeDiscord, launch_bot: Any, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_env(
        make_corpus(tmp_path),
        tmp_path / "log.db",
        metrics_port=port - 2,
        corpusbot_process_index=2,
    )
    bot = await launch_bot(BOT_ARGV, env)
    assert (await bot.wait_for_output(SERVING)).group(1) == f"http://127.0.0.1:{port}"
    assert await readyz_until(f"http://127.0.0.1:{port}", 200) == '{"ready": true}'


@pytest.mark.parametrize(
    ("setting", "error"),
    [
        ("taken", r"corpusbot: cannot serve metrics on 127\.0\.0\.1:\d+ \(METRICS_HOST, "),
        ("index", r"corpusbot: CORPUSBOT_PROCESS_INDEX is a process number \(0, 1, …\), not 'x'"),
    ],
)
def test_a_metrics_port_that_cannot_be_served_stops_the_start_clearly(
    tmp_path: Path, setting: str, error: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {
            **os.environ,
            **bot_env(make_corpus(tmp_path), tmp_path / "log.db"),
            "DISCORD_TOKEN": "not.a.real.token",
            "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10",  # never reached
            "METRICS_PORT": str(taken.getsockname()[1]),
        }
        if setting == "index":
            env["CORPUSBOT_PROCESS_INDEX"] = "x"
        done = subprocess.run(
            BOT_ARGV, env=env, capture_output=True, text=True, timeout=60, check=False
        )
    assert done.returncode == 2, done.stderr
    assert re.search(error, done.stderr), done.stderr
    assert "Traceback" not in done.stderr and "not.a.real.token" not in done.stderr
