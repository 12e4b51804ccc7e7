"""The bot's Prometheus metrics, in a registry of its own (one per process, or per test).

Counters and histograms are updated where things happen (a reply recorded, a search timed, a
reload finished); values the bot already keeps (rows waiting in the query log, the index's
size, each shard's latency) are read when Prometheus scrapes, so they are never stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.observability.health import ShardState, no_shards

T = TypeVar("T")

# A search is a millisecond or two on a large corpus; past a second something is wrong.
SEARCH_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# A reply includes Discord's round trips; Discord's own deadline is 3 s before a deferral.
REPLY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)


class QueryLogCounts(Protocol):
    """What the query-log writer counts about its rows, read at scrape time."""

    @property
    def pending(self) -> int:
        """Rows recorded but not yet written."""

    @property
    def written(self) -> int:
        """Rows written this run."""

    @property
    def spilled(self) -> int:
        """Rows kept in the side file this run."""

    @property
    def lost(self) -> int:
        """Rows neither written nor kept this run."""


class BotMetrics:
    """Every metric one bot process exports, registered in its own :class:`CollectorRegistry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.questions = Counter(
            "corpusbot_questions",
            "Interactions answered (one per query-log row), by command and outcome.",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.search_seconds = Histogram(
            "corpusbot_search_seconds",
            "Time one search took in its worker thread (ranking and snippets).",
            buckets=SEARCH_BUCKETS,
            registry=self.registry,
        )
        self.reply_seconds = Histogram(
            "corpusbot_reply_seconds",
            "Time from an interaction's arrival to its reply sent (the row's latency).",
            buckets=REPLY_BUCKETS,
            registry=self.registry,
        )
        self.reloads = Counter(
            "corpusbot_reloads",
            "Corpus reloads by result: ok, failed, timeout (still building), refused.",
            ["result"],
            registry=self.registry,
        )
        self.live = LiveValues()
        self.registry.register(self.live)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)

    def question(self, command: str, outcome: str, reply_seconds: float) -> None:
        """Count one interaction recorded in the query log, and how long its reply took."""
        self.questions.labels(command=command, outcome=outcome).inc()
        self.reply_seconds.observe(reply_seconds)

    def timed_search(self, search: Callable[[], T]) -> T:
        """``search()``, its duration observed in the search histogram (even when it raises)."""
        with self.search_seconds.time():
            return search()

    def reload(self, result: str) -> None:
        """Count one corpus reload's result."""
        self.reloads.labels(result=result).inc()


class LiveValues(Collector):
    """Values read from the running bot at each scrape; each source is attached once known."""

    def __init__(self) -> None:
        self.query_log: QueryLogCounts | None = None
        self.index: Callable[[], tuple[int, int] | None] = lambda: None
        self.shards: Callable[[], Mapping[int, ShardState]] = no_shards

    def collect(self) -> Iterable[Metric]:
        """The query log's rows, the index's size and each shard's state, as they are now."""
        yield from self._query_log()
        yield from self._index()
        yield from self._shards()

    def _query_log(self) -> Iterable[Metric]:
        counts = self.query_log
        if counts is None:
            return
        yield GaugeMetricFamily(
            "corpusbot_query_log_rows_pending",
            "Query-log rows recorded and waiting to be written.",
            value=counts.pending,
        )
        for name, value, help_text in (
            ("written", counts.written, "Query-log rows written to the database this run."),
            ("spilled", counts.spilled, "Query-log rows kept in the side file this run."),
            ("lost", counts.lost, "Query-log rows neither written nor kept this run."),
        ):
            yield CounterMetricFamily(f"corpusbot_query_log_rows_{name}", help_text, value=value)

    def _index(self) -> Iterable[Metric]:
        size = self.index()
        if size is None:
            return
        documents, passages = size
        yield GaugeMetricFamily(
            "corpusbot_index_documents", "Documents in the loaded index.", value=documents
        )
        yield GaugeMetricFamily(
            "corpusbot_index_passages", "Passages in the loaded index.", value=passages
        )

    def _shards(self) -> Iterable[Metric]:
        shards = self.shards()
        connected = GaugeMetricFamily(
            "corpusbot_shard_connected",
            "1 while the shard's Gateway connection is up, else 0.",
            labels=["shard"],
        )
        latency = GaugeMetricFamily(
            "corpusbot_shard_latency_seconds",
            "The shard's last Gateway heartbeat round trip (+Inf before the first).",
            labels=["shard"],
        )
        for shard_id, state in sorted(shards.items()):
            connected.add_metric([str(shard_id)], 1.0 if state.connected else 0.0)
            latency.add_metric([str(shard_id)], state.latency_seconds)
        yield connected
        yield latency
