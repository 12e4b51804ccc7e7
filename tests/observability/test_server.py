"""The metrics port over a real socket: /metrics, /healthz, /readyz, and which port to use."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from bot.observability import BotMetrics, MetricsServer, Readiness, ShardState, metrics_port


@pytest_asyncio.fixture
async def server() -> AsyncIterator[MetricsServer]:
    running = MetricsServer(BotMetrics(), Readiness())
    await running.start("127.0.0.1", 0)
    try:
        yield running
    finally:
        await running.stop()


async def get(server: MetricsServer, path: str) -> tuple[int, str, str]:
    """Status, content type and body of ``GET path``."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.url('127.0.0.1')}{path}") as response,
    ):
        return response.status, response.content_type, await response.text()


async def test_healthz_answers_while_the_process_lives(server: MetricsServer) -> None:
    assert await get(server, "/healthz") == (200, "application/json", '{"status": "ok"}')


async def test_readyz_waits_for_the_index_then_every_shard(server: MetricsServer) -> None:
    readiness = server.readiness
    shards = {0: ShardState(True, 0.05), 1: ShardState(False, float("inf"))}
    readiness.shards = lambda: shards
    steps = []
    for change in ("start", "index", "shard 1", "stopping"):
        if change == "index":
            readiness.index_loaded = True
        elif change == "shard 1":
            shards[1] = ShardState(True, 0.07)
        elif change == "stopping":
            readiness.stopping = True
        status, kind, body = await get(server, "/readyz")
        assert kind == "application/json"
        steps.append((status, body))
    assert steps == [
        (503, '{"ready": false, "reason": "index not loaded"}'),
        (503, '{"ready": false, "reason": "shard 1 not connected"}'),
        (200, '{"ready": true}'),
        (503, '{"ready": false, "reason": "stopping"}'),
    ]


async def test_readyz_is_not_ready_before_any_gateway_connection(server: MetricsServer) -> None:
    server.readiness.index_loaded = True
    assert await get(server, "/readyz") == (
        503,
        "application/json",
        '{"ready": false, "reason": "gateway not connected"}',
    )


async def test_metrics_are_in_prometheus_text_format(server: MetricsServer) -> None:
    server.metrics.question("ask", "answered", 0.2)
    status, kind, body = await get(server, "/metrics")
    assert (status, kind) == (200, "text/plain")
    families = {family.name: family for family in text_string_to_metric_families(body)}
    [sample] = families["corpusbot_questions"].samples
    assert sample.labels == {"command": "ask", "outcome": "answered"} and sample.value == 1
    assert families["corpusbot_reply_seconds"].type == "histogram"


async def test_other_paths_are_not_found(server: MetricsServer) -> None:
    assert (await get(server, "/"))[0] == 404
    assert (await get(server, "/metrics/../../etc/passwd"))[0] == 404


async def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = MetricsServer(BotMetrics(), Readiness())
        with pytest.raises(OSError, match=rf"cannot serve metrics on 127\.0\.0\.1:{port} "):
            await server.start("127.0.0.1", port)


@pytest.mark.parametrize(
    ("base", "environ", "port"),
    [
        (9464, {}, 9464),
        (9464, {"CORPUSBOT_PROCESS_INDEX": ""}, 9464),
        (9464, {"CORPUSBOT_PROCESS_INDEX": "0"}, 9464),
        (9464, {"CORPUSBOT_PROCESS_INDEX": "3"}, 9467),
        (0, {"CORPUSBOT_PROCESS_INDEX": "3"}, 0),  # any free port, for each process
    ],
)
def test_each_process_serves_on_the_port_plus_its_index(
    base: int, environ: dict[str, str], port: int
) -> None:
    assert metrics_port(base, environ) == port


@pytest.mark.parametrize(
    ("base", "index", "error"),
    [
        (9464, "two", "CORPUSBOT_PROCESS_INDEX is a process number"),
        (9464, "-1", "CORPUSBOT_PROCESS_INDEX is a process number"),
        (65535, "1", "past the last port"),
    ],
)
def test_a_bad_process_index_is_a_clear_error(base: int, index: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        metrics_port(base, {"CORPUSBOT_PROCESS_INDEX": index})
