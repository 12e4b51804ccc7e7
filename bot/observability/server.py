"""The HTTP port Prometheus and a service manager look at: /metrics, /healthz, /readyz."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bot.observability.health import Readiness
from bot.observability.metrics import BotMetrics

log = logging.getLogger(__name__)

# Set by ``corpusbot run --processes P`` in each child (0..P-1): child i serves on port + i.
PROCESS_INDEX_VARIABLE = "CORPUSBOT_PROCESS_INDEX"


def metrics_port(base: int, environ: Mapping[str, str]) -> int:
    """The port this process serves on: ``base``, plus its index among several processes (0,
    any free port, stays 0)."""
    text = environ.get(PROCESS_INDEX_VARIABLE, "").strip()
    if not text:
        return base
    if not text.isdigit():
        raise ValueError(f"{PROCESS_INDEX_VARIABLE} is a process number (0, 1, …), not {text!r}")
    port = base + int(text) if base else 0
    if port > 65535:
        raise ValueError(
            f"METRICS_PORT {base} + {PROCESS_INDEX_VARIABLE} {text} is past the last port, 65535"
        )
    return port


class MetricsServer:
    """An aiohttp server in the bot's own event loop; scrapes cost the loop microseconds."""

    def __init__(self, metrics: BotMetrics, readiness: Readiness) -> None:
        self.metrics = metrics
        self.readiness = readiness
        self.port = 0
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        """The routes, for a server or a test client."""
        app = web.Application()
        app.router.add_get("/metrics", make_aiohttp_handler(self.metrics.registry))
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        return app

    async def start(self, host: str, port: int) -> None:
        """Listen on ``host:port`` (0: any free port; :attr:`port` says which)."""
        runner = web.AppRunner(self.application(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise OSError(
                f"cannot serve metrics on {host}:{port} (METRICS_HOST, METRICS_PORT): "
                f"{error.strerror or error}"
            ) from error
        self._runner = runner
        server = site._server
        sockets = getattr(server, "sockets", None) or ()
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("metrics: serving /metrics, /healthz and /readyz on %s", self.url(host))

    def url(self, host: str) -> str:
        """Where the server listens, as a URL base."""
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        """Alive: the event loop answers."""
        return web.json_response({"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        """200 once the index is loaded and every shard is connected, else 503 and why."""
        problems = self.readiness.problems()
        if problems:
            return web.json_response({"ready": False, "reason": "; ".join(problems)}, status=503)
        return web.json_response({"ready": True})
