"""FakeDiscord: a local Discord REST API + Gateway for end-to-end tests of a real bot.

The bot runs as a subprocess pointed at this server (see ``FakeDiscord.env``);
tests in the same event loop inject interactions through the gateway and
assert on what the bot POSTed back. Everything is recorded with monotonic
timestamps so benchmarks can measure latency from dispatch to reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import payloads as P
from .command_store import CommandStore
from .errors import DiscordHTTPError, InjectedFailure
from .gateway import Gateway
from .interaction import FakeInteraction
from .interaction_payloads import InteractionPayloads
from .openapi import UNCHECKED, SpecViolation, check_body
from .records import REC_KEY, RecordedFile, RecordedMessage, RecordedRequest
from .responses import error_response, injected_response, json_response
from .routes import RestRoutes
from .state import DiscordState
from .testing import Controls


class FakeDiscord(DiscordState, InteractionPayloads, Controls, RestRoutes):
    """A local Discord (REST under /api/v10 + Gateway at /gateway) on 127.0.0.1.

    ``response_deadline`` mimics Discord's 3 s limit for the initial callback
    (later callbacks get 404 Unknown Interaction); ``None`` disables it.
    ``rest_latency`` adds a delay to every REST response (for benchmarks).
    ``attachment_size_limit`` is the upload limit interactions report; like Discord, a request
    with a bigger file is refused (413, code 40005).
    ``default_guild_id`` fixes the default guild's id (for rows a test writes before start-up).

    With ``validate`` (the default) every JSON body, and the ``payload_json`` of every upload, is
    checked against Discord's OpenAPI spec (``openapi.py``): a body Discord would refuse gets
    Discord's 400 (code 50035, Invalid Form Body, with the ``errors`` object) and is kept in
    ``spec_violations``; the pytest plugin fails the test it arrived in, even if the bot swallowed
    the 400. A test that sends a bad body on purpose claims it with ``take_spec_violations()``.
    ``validate=False`` turns off these checks and the hand-written size limits.

    Sharding (``gateway.py``): ``GET /gateway/bot`` recommends ``recommended_shards`` and reports
    ``max_concurrency``; a shard holding more than ``max_guilds_per_shard`` guilds is refused
    (4011), and with ``identify_interval`` (Discord's is 5 s; 0, the default, lets tests restart
    bots at once) IDENTIFYs of one bucket closer together than that get op 9.
    """

    def __init__(
        self,
        guilds: list[dict[str, Any]] | None = None,
        *,
        heartbeat_interval_ms: int = 41_250,
        token: str | None = None,
        response_deadline: float | None = 3.0,
        rest_latency: float = 0.0,
        validate: bool = True,
        attachment_size_limit: int = 10 * 1024 * 1024,
        default_guild_id: str | int | None = None,
        recommended_shards: int = 1,
        max_guilds_per_shard: int = 2500,
        max_concurrency: int = 1,
        identify_interval: float = 0.0,
    ) -> None:
        self.recommended_shards = recommended_shards
        self.max_guilds_per_shard = max_guilds_per_shard
        self.max_concurrency = max_concurrency
        self.identify_interval = identify_interval
        self.attachment_size_limit = attachment_size_limit
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.response_deadline = response_deadline
        self.rest_latency = rest_latency
        self.validate = validate
        self.app_id = P.snowflake()
        self.token = token or f"fake.{secrets.token_urlsafe(24)}"
        self.bot_user = P.user(self.app_id, "corpusbot-test", bot=True)
        self.owner_user = P.user(P.snowflake(), "owner")
        self.default_user = P.user(P.snowflake(), "tester")
        self.application = P.application(self.app_id, "corpusbot-test", self.owner_user)
        self.guilds: list[dict[str, Any]] = (
            guilds if guilds is not None else [self._default_guild(default_guild_id)]
        )
        self.commands = CommandStore()
        self.interactions: dict[str, FakeInteraction] = {}
        self._by_token: dict[str, FakeInteraction] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.threads: dict[str, dict[str, Any]] = {}  # forum posts, by id
        self.dm_channels: dict[str, dict[str, Any]] = {}  # the bot's DMs, by channel id
        self.channel_messages: list[RecordedMessage] = []
        self.requests: list[RecordedRequest] = []
        self.unknown_requests: list[RecordedRequest] = []
        self.spec_violations: list[SpecViolation] = []
        self._injected: list[InjectedFailure] = []
        self._changed = asyncio.Event()
        self.gateway = Gateway(self)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def env(self) -> dict[str, str]:
        """The DISCORD_* variables a bot process needs to talk to this fake."""
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_BASE": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
            "DISCORD_APPLICATION_ID": self.app_id,
            "DISCORD_GUILD_ID": self.guild_id,
        }

    async def start(self, port: int = 0) -> FakeDiscord:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_route("*", "/api/v{version:\\d+}{path:/.*}", self._route)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        # Gateway sockets close once the site stops listening: closed before, a bot could
        # reconnect in between and hold the shutdown for its whole timeout.
        app.on_shutdown.append(self._drop_gateway)
        # A handler still running when the server stops (a request held on purpose) is
        # cancelled after this, rather than aiohttp's default minute.
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=5.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, backlog=512)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _drop_gateway(self, _: web.Application) -> None:
        with contextlib.suppress(Exception):
            await self.gateway.drop(code=1001)

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- spec validation --------------------------------------------------------------

    def _check_spec(self, rec: RecordedRequest) -> SpecViolation | None:
        """Validate a request's JSON body against Discord's spec; record what it refuses."""
        if not self.validate or rec.json is None or not rec.full_path.startswith("/api/v"):
            return None
        violation = check_body(rec.method, rec.path, rec.json)
        if violation is not None:
            self.spec_violations.append(violation)
            UNCHECKED.append(violation)
        return violation

    # -- HTTP plumbing ----------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)
        now = time.monotonic()
        body: Any = None
        files: list[RecordedFile] = []
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            form = await request.post()
            for key, val in form.items():
                if isinstance(val, web.FileField):
                    files.append(RecordedFile(key, val.filename, val.content_type, val.file.read()))
                elif key == "payload_json":
                    # a part sent as application/json arrives as bytes, a text/plain one as str
                    body = json.loads(val if isinstance(val, str) else bytes(val))
        else:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
        path = re.sub(r"^/api/v\d+", "", request.path)
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            json=body,
            files=files,
            at=now,
            full_path=request.path,
        )
        self.requests.append(rec)
        request[REC_KEY] = rec
        violation = self._check_spec(rec)
        try:
            if self.rest_latency:
                await asyncio.sleep(self.rest_latency)
            for inj in self._injected:
                if inj.count > 0 and inj.method == request.method and inj.pattern.search(path):
                    inj.count -= 1
                    if inj.after:
                        with contextlib.suppress(DiscordHTTPError):
                            await handler(request)
                    resp = injected_response(inj)
                    break
            else:
                try:
                    if any(len(f.data) > self.attachment_size_limit for f in files):
                        raise DiscordHTTPError(413, 40005, "Request entity too large")
                    if violation is not None:
                        raise DiscordHTTPError(
                            400, 50035, "Invalid Form Body", violation.discord_errors()
                        )
                    resp = await handler(request)
                except DiscordHTTPError as err:
                    resp = error_response(err)
            rec.status = resp.status
            return resp
        finally:
            self._notify()

    async def _unknown(self, request: web.Request) -> web.Response:
        rec = request.get(REC_KEY)
        if rec is not None:
            self.unknown_requests.append(rec)
        return json_response(404, {"code": 0, "message": "404: Not Found"})
