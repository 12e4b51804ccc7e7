"""What an operator watches: Prometheus metrics, health and readiness over HTTP, JSON logs.

Nothing here knows Discord or the search: the bot hands in plain values and callables, so the
package sits below the Discord layer and each process (or test) has its own registry.
"""

from bot.observability.health import Readiness, ShardState
from bot.observability.logs import configure_logging
from bot.observability.metrics import BotMetrics, QueryLogCounts
from bot.observability.server import MetricsServer, metrics_port

__all__ = [
    "BotMetrics",
    "MetricsServer",
    "QueryLogCounts",
    "Readiness",
    "ShardState",
    "configure_logging",
    "metrics_port",
]
