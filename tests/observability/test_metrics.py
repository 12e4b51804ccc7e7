"""The bot's metrics: counted where things happen, read live from the query log, the index and
the shards, each process (and test) in its own registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.discord_bot.reloader import CorpusReloader
from bot.observability import BotMetrics, ShardState
from bot.querylog.writer import QueryLog
from bot.search.service import SearchService
from tests.querylog.rows import locked
from tests.querylog.test_writer import record


def samples(metrics: BotMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the registry as Prometheus would read it from /metrics."""
    text = generate_latest(metrics.registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(metrics: BotMetrics, name: str, **labels: str) -> float | None:
    return samples(metrics).get((name, tuple(sorted(labels.items()))))


def test_questions_are_counted_by_command_and_outcome_with_their_reply_time() -> None:
    metrics = BotMetrics()
    for command, outcome, seconds in [
        ("ask", "answered", 0.02),
        ("ask", "answered", 0.3),
        ("ask", "no_results", 0.01),
        ("source", "rate_limited", 0.001),
    ]:
        metrics.question(command, outcome, seconds)
    assert value(metrics, "corpusbot_questions_total", command="ask", outcome="answered") == 2
    assert value(metrics, "corpusbot_questions_total", command="ask", outcome="no_results") == 1
    assert (
        value(metrics, "corpusbot_questions_total", command="source", outcome="rate_limited") == 1
    )
    assert value(metrics, "corpusbot_reply_seconds_count") == 4
    assert value(metrics, "corpusbot_reply_seconds_bucket", le="0.025") == 3
    assert value(metrics, "corpusbot_reply_seconds_sum") == pytest.approx(0.331)


def test_each_bot_metrics_has_its_own_registry() -> None:
    first, second = BotMetrics(), BotMetrics()  # a second process's would clash in the global one
    first.question("ask", "answered", 0.1)
    first.reload("ok")
    assert value(first, "corpusbot_questions_total", command="ask", outcome="answered") == 1
    assert value(second, "corpusbot_questions_total", command="ask", outcome="answered") is None
    assert value(first, "corpusbot_reloads_total", result="ok") == 1
    assert value(second, "corpusbot_reloads_total", result="ok") is None


def test_process_memory_is_exported() -> None:
    assert (value(BotMetrics(), "process_resident_memory_bytes") or 0) > 1_000_000


async def test_query_log_rows_waiting_written_and_spilled_are_read_at_scrape_time(
    tmp_path: Path,
) -> None:
    metrics = BotMetrics()
    assert value(metrics, "corpusbot_query_log_rows_pending") is None  # no log attached yet
    path = tmp_path / "log.db"
    query_log = QueryLog(path, busy_timeout_ms=20, max_buffered=2)
    metrics.live.query_log = query_log
    await query_log.start()
    try:
        with locked(path):  # another process writing: rows wait, the third goes aside
            for number in range(1, 4):
                query_log.record(record(number))
            assert value(metrics, "corpusbot_query_log_rows_pending") == 2
            assert value(metrics, "corpusbot_query_log_rows_spilled_total") == 1
            assert value(metrics, "corpusbot_query_log_rows_written_total") == 0
        assert await query_log.flush()
        assert value(metrics, "corpusbot_query_log_rows_pending") == 0
        assert value(metrics, "corpusbot_query_log_rows_written_total") == 2
        assert value(metrics, "corpusbot_query_log_rows_lost_total") == 0
    finally:
        await query_log.close()


def test_index_size_is_read_from_the_current_service(seed_service: SearchService) -> None:
    metrics = BotMetrics()
    assert value(metrics, "corpusbot_index_documents") is None  # not loaded yet
    summary = seed_service.summary
    metrics.live.index = lambda: (summary.documents, summary.passages)
    assert value(metrics, "corpusbot_index_documents") == summary.documents == 1
    assert value(metrics, "corpusbot_index_passages") == summary.passages > 1


def test_shards_are_labelled_by_shard_id() -> None:
    metrics = BotMetrics()
    metrics.live.shards = lambda: {
        2: ShardState(connected=True, latency_seconds=0.042),
        3: ShardState(connected=False, latency_seconds=float("inf")),
    }
    assert value(metrics, "corpusbot_shard_connected", shard="2") == 1
    assert value(metrics, "corpusbot_shard_connected", shard="3") == 0
    assert value(metrics, "corpusbot_shard_latency_seconds", shard="2") == 0.042
    assert value(metrics, "corpusbot_shard_latency_seconds", shard="3") == float("inf")


async def test_reloads_are_counted_by_result(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Apples are red.")
    metrics = BotMetrics()
    holder = {"service": SearchService.from_folder(tmp_path)}
    broken = {"now": False}

    def load() -> SearchService:
        if broken["now"]:
            raise OSError("the disk went away")
        return SearchService.from_folder(tmp_path)

    reloader = CorpusReloader(
        tmp_path,
        load=load,
        get=lambda: holder["service"],
        swap=lambda service: holder.update(service=service),
        on_result=metrics.reload,
    )
    await reloader.reload()
    await reloader.reload()
    broken["now"] = True
    with pytest.raises(OSError, match="disk went away"):
        await reloader.reload()
    assert value(metrics, "corpusbot_reloads_total", result="ok") == 2
    assert value(metrics, "corpusbot_reloads_total", result="failed") == 1
