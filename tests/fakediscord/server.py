"""FakeDiscord: a local Discord REST API + Gateway for end-to-end tests of a real bot.

The bot runs as a subprocess pointed at this server (see ``FakeDiscord.env``);
tests in the same event loop inject interactions through the gateway and
assert on what the bot POSTed back. Everything is recorded with monotonic
timestamps so benchmarks can measure latency from dispatch to reply.
"""

# The test-facing API takes timeout= arguments on purpose (it is what the tests read best).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import payloads as P
from .gateway import Gateway, Session
from .openapi import UNCHECKED, SpecViolation, check_body

JSON_HEADERS = {"Content-Type": "application/json"}

# interaction types
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
# interaction callback types
CB_PONG = 1
CB_MESSAGE = 4
CB_DEFERRED_MESSAGE = 5
CB_DEFERRED_UPDATE = 6
CB_UPDATE_MESSAGE = 7
CB_AUTOCOMPLETE = 8
CB_MODAL = 9

_OPTION_TYPES = {str: 3, int: 4, bool: 5, float: 10}


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()
"""Sentinel for ``guild_id``: the first guild. Pass ``guild_id=None`` for a DM."""


class DiscordHTTPError(Exception):
    """Raised inside handlers; becomes a Discord-shaped JSON error response."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


def _form_error(path: str, message: str, code: str = "BASE_TYPE_MAX_LENGTH") -> dict[str, Any]:
    """Discord's nested ``errors`` object for one invalid field (path like 'data.content')."""
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(path.split(".")):
        node = {part: node}
    return node


def invalid_body(path: str, message: str) -> DiscordHTTPError:
    return DiscordHTTPError(400, 50035, "Invalid Form Body", _form_error(path, message))


@dataclass
class RecordedFile:
    """A file uploaded in a multipart request."""

    field: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """Every HTTP request the bot made, for assertions (and unexpected-call detection)."""

    method: str
    path: str  # without the /api/vN prefix, e.g. /interactions/1/tok/callback
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]
    at: float
    status: int = 0
    full_path: str = ""


REC_KEY = web.RequestKey("fakediscord_rec", RecordedRequest)


@dataclass
class RecordedMessage:
    """A message the bot made visible (or edited), with the raw body it sent."""

    kind: str  # callback | update | edit | followup | channel | deferred
    message_id: str
    body: dict[str, Any]
    message: dict[str, Any]  # the full stored message after this request
    files: list[RecordedFile]
    at: float
    interaction_id: str | None = None

    @property
    def content(self) -> str:
        return str(self.message.get("content") or "")

    @property
    def flags(self) -> int:
        return int(self.message.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & P.EPHEMERAL)

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.message.get("embeds") or [])

    @property
    def components(self) -> list[dict[str, Any]]:
        return list(self.message.get("components") or [])

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return list(self.message.get("attachments") or [])

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        return self.body.get("allowed_mentions")

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in P.iter_components(self.components) if "custom_id" in c]

    def text(self) -> str:
        """Content plus embed titles/descriptions/fields: what a user would read."""
        parts = [self.content]
        for e in self.embeds:
            parts += [e.get("title") or "", e.get("description") or ""]
            for f in e.get("fields") or []:
                parts += [f.get("name") or "", f.get("value") or ""]
            parts.append((e.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)


@dataclass
class Callback:
    """The interaction callback (initial response) the bot POSTed."""

    type: int
    data: dict[str, Any]
    files: list[RecordedFile]
    at: float

    @property
    def content(self) -> str:
        return str(self.data.get("content") or "")

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & P.EPHEMERAL)

    @property
    def choices(self) -> list[dict[str, Any]]:
        return list(self.data.get("choices") or [])


class FakeInteraction:
    """Handle for one injected interaction: its callback, messages and timings."""

    def __init__(self, fake: FakeDiscord, payload: dict[str, Any]) -> None:
        self.fake = fake
        self.payload = payload
        self.id: str = payload["id"]
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.dispatched_at: float = 0.0
        self.callback: Callback | None = None
        self.late_callbacks: list[Callback] = []
        self.rejected_callbacks: list[tuple[int, dict[str, Any]]] = []
        self.original_id: str | None = None
        # for component interactions the "original" message is the one clicked
        if self.type == MESSAGE_COMPONENT:
            self.original_id = payload["message"]["id"]
        self.messages: list[RecordedMessage] = []
        self._changed = asyncio.Event()

    def __repr__(self) -> str:
        cb = self.callback.type if self.callback else None
        return f"<FakeInteraction id={self.id} type={self.type} callback={cb}>"

    # -- views over recorded traffic ----------------------------------------

    @property
    def followups(self) -> list[RecordedMessage]:
        return [m for m in self.messages if m.kind == "followup"]

    @property
    def edits(self) -> list[RecordedMessage]:
        return [m for m in self.messages if m.kind in ("edit", "update")]

    @property
    def visible_messages(self) -> list[RecordedMessage]:
        return [m for m in self.messages if m.kind != "deferred"]

    @property
    def responded_at(self) -> float | None:
        return self.callback.at if self.callback else None

    @property
    def first_message_at(self) -> float | None:
        vis = self.visible_messages
        return vis[0].at if vis else None

    @property
    def response_latency(self) -> float | None:
        """Seconds from INTERACTION_CREATE sent to the callback POST arriving."""
        return None if self.callback is None else self.callback.at - self.dispatched_at

    @property
    def message_latency(self) -> float | None:
        """Seconds from dispatch to the first visible message (after any deferral)."""
        at = self.first_message_at
        return None if at is None else at - self.dispatched_at

    @property
    def original_message(self) -> dict[str, Any] | None:
        return self.fake.messages.get(self.original_id) if self.original_id else None

    # -- waiting --------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
        self.fake._notify()

    async def wait_until(
        self, predicate: Callable[[FakeInteraction], Any], timeout: float = 5
    ) -> Any:
        """Wait until predicate(self) is truthy and return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self!r}: condition not met within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def wait_response(self, timeout: float = 5) -> Callback:
        """The initial callback (type 4/5/6/7/8/9...)."""
        result: Callback = await self.wait_until(lambda ix: ix.callback, timeout)
        return result

    async def wait_for_message(self, timeout: float = 5) -> RecordedMessage:
        """The first visible message: a type 4/7 callback, or the edit/followup after a defer."""
        result: RecordedMessage = await self.wait_until(
            lambda ix: ix.visible_messages[0] if ix.visible_messages else None, timeout
        )
        return result

    async def wait_for_messages(self, count: int, timeout: float = 5) -> list[RecordedMessage]:
        result: list[RecordedMessage] = await self.wait_until(
            lambda ix: ix.visible_messages if len(ix.visible_messages) >= count else None, timeout
        )
        return result


@dataclass
class _Injected:
    """A canned failure for matching requests (for retry/429 behaviour tests)."""

    method: str
    pattern: re.Pattern[str]
    status: int
    count: int
    retry_after: float
    is_global: bool = False
    after: bool = False  # the request takes effect first, then fails (see inject_error)


class CommandStore:
    """Application commands registered by the bot: global ones and per guild."""

    def __init__(self) -> None:
        self.global_commands: dict[str, dict[str, Any]] = {}
        self.guild_commands: dict[str, dict[str, dict[str, Any]]] = {}
        self.version = 0

    def _bucket(self, guild_id: str | None) -> dict[str, dict[str, Any]]:
        if guild_id is None:
            return self.global_commands
        return self.guild_commands.setdefault(str(guild_id), {})

    def all(self) -> list[dict[str, Any]]:
        out = list(self.global_commands.values())
        for cmds in self.guild_commands.values():
            out += list(cmds.values())
        return out

    def names(self, guild_id: str | int | None = None) -> set[str]:
        return set(self._bucket(None if guild_id is None else str(guild_id)))

    def find(self, name: str, guild_id: str | int | None = None) -> dict[str, Any] | None:
        """Guild command first (like Discord's client), then global."""
        if guild_id is not None:
            cmd = self.guild_commands.get(str(guild_id), {}).get(name)
            if cmd is not None:
                return cmd
        return self.global_commands.get(name)

    def __contains__(self, name: object) -> bool:
        return any(c["name"] == name for c in self.all())

    def __getitem__(self, name: str) -> dict[str, Any]:
        for c in self.all():
            if c["name"] == name:
                return c
        raise KeyError(name)

    def __len__(self) -> int:
        return len(self.all())

    def _normalise(self, app_id: str, guild_id: str | None, body: dict[str, Any]) -> dict[str, Any]:
        old = self._bucket(guild_id).get(body.get("name", ""))
        self.version += 1
        cmd = {
            "id": old["id"] if old else P.snowflake(),
            "application_id": app_id,
            "version": str(self.version),
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            "contexts": None,
            "integration_types": [0],
            **body,
        }
        if guild_id is not None:
            cmd["guild_id"] = guild_id
        return cmd

    def put(self, app_id: str, guild_id: str | None, bodies: list[dict[str, Any]]) -> list[dict]:
        new = {b["name"]: self._normalise(app_id, guild_id, b) for b in bodies}
        bucket = self._bucket(guild_id)
        bucket.clear()
        bucket.update(new)
        return list(new.values())

    def upsert(self, app_id: str, guild_id: str | None, body: dict[str, Any]) -> tuple[dict, bool]:
        bucket = self._bucket(guild_id)
        existed = body.get("name") in bucket
        cmd = self._normalise(app_id, guild_id, body)
        bucket[cmd["name"]] = cmd
        return cmd, existed

    def by_id(self, guild_id: str | None, command_id: str) -> dict[str, Any] | None:
        return next((c for c in self._bucket(guild_id).values() if c["id"] == command_id), None)

    def delete(self, guild_id: str | None, command_id: str) -> bool:
        bucket = self._bucket(guild_id)
        for name, c in list(bucket.items()):
            if c["id"] == command_id:
                del bucket[name]
                return True
        return False


def _check_message_body(body: dict[str, Any], prefix: str) -> None:
    """Discord's documented size limits; a bot that exceeds them gets a 400 like in prod."""
    content = body.get("content")
    if content is not None and len(str(content)) > 2000:
        raise invalid_body(f"{prefix}content", "Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise invalid_body(f"{prefix}embeds", "Must be 10 or fewer in length.")
    total = 0
    for i, e in enumerate(embeds):
        limits = {"title": 256, "description": 4096}
        for key, limit in limits.items():
            val = e.get(key) or ""
            total += len(val)
            if len(val) > limit:
                raise invalid_body(
                    f"{prefix}embeds.{i}.{key}", f"Must be {limit} or fewer in length."
                )
        fields = e.get("fields") or []
        if len(fields) > 25:
            raise invalid_body(f"{prefix}embeds.{i}.fields", "Must be 25 or fewer in length.")
        for j, f in enumerate(fields):
            name, value = str(f.get("name") or ""), str(f.get("value") or "")
            total += len(name) + len(value)
            if not name or len(name) > 256:
                raise invalid_body(f"{prefix}embeds.{i}.fields.{j}.name", "1-256 characters.")
            if not value or len(value) > 1024:
                raise invalid_body(f"{prefix}embeds.{i}.fields.{j}.value", "1-1024 characters.")
        footer = (e.get("footer") or {}).get("text") or ""
        author = (e.get("author") or {}).get("name") or ""
        total += len(footer) + len(author)
        if len(footer) > 2048:
            raise invalid_body(f"{prefix}embeds.{i}.footer.text", "Must be 2048 or fewer.")
        if len(author) > 256:
            raise invalid_body(f"{prefix}embeds.{i}.author.name", "Must be 256 or fewer.")
    if total > 6000:
        raise invalid_body(f"{prefix}embeds", "Embed size exceeds maximum size of 6000")
    components = body.get("components") or []
    flags = int(body.get("flags") or 0)
    if not flags & (1 << 15):  # not components v2: classic limit of 5 rows x 5
        if len(components) > 5:
            raise invalid_body(f"{prefix}components", "Must be 5 or fewer in length.")
        for i, row in enumerate(components):
            if len(row.get("components") or []) > 5:
                raise invalid_body(f"{prefix}components.{i}.components", "Must be 5 or fewer.")
    for comp in P.iter_components(components):
        if len(str(comp.get("custom_id") or "")) > 100:
            raise invalid_body(f"{prefix}components", "custom_id must be 100 or fewer in length.")
        if comp.get("type") == 2 and len(str(comp.get("label") or "")) > 80:
            raise invalid_body(f"{prefix}components", "label must be 80 or fewer in length.")


def _check_choices(data: dict[str, Any]) -> None:
    choices = data.get("choices") or []
    if len(choices) > 25:
        raise invalid_body("data.choices", "Must be 25 or fewer in length.")
    for i, c in enumerate(choices):
        if not 1 <= len(str(c.get("name", ""))) <= 100:
            raise invalid_body(f"data.choices.{i}.name", "Must be between 1 and 100 in length.")
        if isinstance(c.get("value"), str) and len(c["value"]) > 100:
            raise invalid_body(f"data.choices.{i}.value", "Must be 100 or fewer in length.")


class FakeDiscord:
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
    ) -> None:
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
        self.channel_messages: list[RecordedMessage] = []
        self.requests: list[RecordedRequest] = []
        self.unknown_requests: list[RecordedRequest] = []
        self.spec_violations: list[SpecViolation] = []
        self._injected: list[_Injected] = []
        self._changed = asyncio.Event()
        self.gateway = Gateway(self)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- setup ------------------------------------------------------------------

    def _default_guild(self, guild_id: str | int | None) -> dict[str, Any]:
        return self._new_guild("Fake Guild", self.owner_user, [self.default_user], guild_id)

    def _new_guild(
        self,
        name: str,
        owner: dict[str, Any],
        others: list[dict[str, Any]],
        guild_id: str | int | None = None,
    ) -> dict[str, Any]:
        """A guild with @everyone and Moderator roles, two text channels, the bot and
        ``owner`` (every permission) and ``others`` as members."""
        gid = str(guild_id) if guild_id is not None else P.snowflake()
        everyone = P.role(gid, "@everyone", P.EVERYONE_PERMS)
        moderator = P.role(P.snowflake(), "Moderator", P.MODERATOR_PERMS, position=1)
        general = P.text_channel(P.snowflake(), gid, "general")
        log_channel = P.text_channel(P.snowflake(), gid, "bot-log", position=1)
        members = [P.member(self.bot_user), *(P.member(u) for u in (owner, *others))]
        return P.guild(
            gid,
            name,
            owner["id"],
            roles=[everyone, moderator],
            channels=[general, log_channel],
            members=members,
        )

    def add_guild(
        self,
        name: str = "Second Guild",
        owner: dict[str, Any] | None = None,
        guild_id: str | int | None = None,
    ) -> dict[str, Any]:
        """Another guild the bot is in, owned by ``owner`` (a new user by default); sent on the
        next IDENTIFY, so add it before the bot connects. Interactions take its ``id`` as
        ``guild_id``."""
        owner = owner or P.user(P.snowflake(), "second owner")
        new = self._new_guild(name, owner, [], guild_id)
        self.guilds.append(new)
        return new

    @property
    def guild(self) -> dict[str, Any]:
        """The first (default) guild."""
        return self.guilds[0]

    @property
    def guild_id(self) -> str:
        return str(self.guild["id"])

    @property
    def channel(self) -> dict[str, Any]:
        """The default guild's first text channel."""
        return next(c for c in self.guild["channels"] if c["type"] == 0)

    def get_guild(self, guild_id: Any) -> dict[str, Any] | None:
        return next((g for g in self.guilds if g["id"] == str(guild_id)), None)

    def get_channel(self, channel_id: Any) -> dict[str, Any] | None:
        for g in self.guilds:
            for c in g["channels"]:
                if c["id"] == str(channel_id):
                    return c
        return None

    def role(self, name_or_id: str | int, guild_id: Any = None) -> dict[str, Any]:
        g = self.get_guild(guild_id) if guild_id is not None else self.guild
        assert g is not None
        for r in g["roles"]:
            if r["name"] == name_or_id or r["id"] == str(name_or_id):
                return r
        raise KeyError(name_or_id)

    def make_user(self, username: str = "tester", user_id: str | int | None = None) -> dict:
        """A new human user payload (not yet a guild member; interactions embed it)."""
        return P.user(user_id, username)

    def add_member(
        self, user: dict[str, Any], roles: list[str | int] = (), guild_id: Any = None
    ) -> dict[str, Any]:
        """Add a member to a guild's cached payload (sent on the next IDENTIFY)."""
        g = self.get_guild(guild_id) if guild_id is not None else self.guild
        assert g is not None
        m = P.member(user, [self.role(r, g["id"])["id"] for r in roles])
        g["members"].append(m)
        g["member_count"] = len(g["members"])
        return m

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
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, backlog=512)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self.gateway.drop(code=1001)
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- gateway control ----------------------------------------------------------

    @property
    def identify_count(self) -> int:
        return self.gateway.identify_count

    @property
    def resume_count(self) -> int:
        return self.gateway.resume_count

    @property
    def heartbeat_count(self) -> int:
        return self.gateway.heartbeat_count

    async def wait_for_ready(self, timeout: float = 10) -> Session:
        """Until a bot is connected: IDENTIFIED and got READY, or RESUMED."""
        return await self.gateway.wait_for_ready(timeout)

    async def drop_gateway(self, code: int | None = None) -> int:
        """Close the bot's websocket: abruptly (code None) or with a close code."""
        return await self.gateway.drop(code)

    async def request_reconnect(self) -> None:
        """op 7 RECONNECT: the bot should reconnect and RESUME."""
        await self.gateway.send_op(7)

    async def invalidate_session(self, resumable: bool = False) -> None:
        await self.gateway.invalidate_session(resumable)

    async def dispatch(self, event: str, data: Any) -> int:
        """Send any gateway dispatch to the bot (buffered for RESUME if disconnected)."""
        return await self.gateway.dispatch(event, data)

    # -- waiting ----------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5) -> Any:
        """Wait until predicate() is truthy (re-checked on every request/gateway change)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))

    async def wait_for_request(
        self, method: str, path_regex: str, timeout: float = 5
    ) -> RecordedRequest:
        rx = re.compile(path_regex)
        found: RecordedRequest = await self.wait_until(
            lambda: next(
                (r for r in self.requests if r.method == method and rx.search(r.path)), None
            ),
            timeout,
        )
        return found

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

    def take_spec_violations(self) -> list[SpecViolation]:
        """Claim this fake's violations for the test: the pytest plugin no longer fails on them."""
        taken = list(self.spec_violations)
        self.spec_violations.clear()
        UNCHECKED[:] = [v for v in UNCHECKED if not any(v is t for t in taken)]
        return taken

    # -- failure injection ------------------------------------------------------------

    def inject_error(
        self,
        method: str,
        path_regex: str,
        *,
        status: int = 429,
        count: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
        after: bool = False,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` (429 = rate limit).

        With ``after`` the request is carried out first and only its answer is the error, as
        when Discord's edge times out on a request its backend completed (a 500 or 502 whose
        retry then meets "Interaction has already been acknowledged")."""
        self._injected.append(
            _Injected(method, re.compile(path_regex), status, count, retry_after, is_global, after)
        )

    # -- interaction injection ------------------------------------------------------

    def _context(
        self,
        user: dict[str, Any] | None,
        guild_id: Any,
        channel_id: Any,
        roles: list[str | int] | None,
        member_permissions: int | None,
    ) -> dict[str, Any]:
        """The user/member/guild/channel part shared by every interaction payload."""
        user = user or self.default_user
        if guild_id is DEFAULT:
            guild_id = self.guild_id
        base: dict[str, Any] = {
            "app_permissions": str(P.EVERYONE_PERMS),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": self.attachment_size_limit,
        }
        if guild_id is None:
            channel = P.dm_channel(channel_id or P.snowflake(), user)
            base.update(
                user=user,
                channel=channel,
                channel_id=channel["id"],
                context=1,
                authorizing_integration_owners={"1": user["id"]},
            )
            return base
        g = self.get_guild(guild_id)
        if g is None:
            raise KeyError(f"unknown guild {guild_id}")
        channel = self.get_channel(channel_id) if channel_id else None
        if channel is None:
            channel = next(c for c in g["channels"] if c["type"] == 0)
        role_ids = [self.role(r, g["id"])["id"] for r in roles or []]
        if member_permissions is None:
            member_permissions = 0
            for r in g["roles"]:
                if r["id"] == g["id"] or r["id"] in role_ids:
                    member_permissions |= int(r["permissions"])
            if user["id"] == g["owner_id"]:
                member_permissions = (1 << 53) - 1
        base.update(
            guild_id=g["id"],
            guild={"id": g["id"], "locale": g["preferred_locale"], "features": g["features"]},
            guild_locale=g["preferred_locale"],
            channel={**channel, "permissions": str(member_permissions)},
            channel_id=channel["id"],
            member=P.member(user, role_ids, permissions=member_permissions),
            context=0,
            authorizing_integration_owners={"0": g["id"]},
        )
        return base

    def _resolve_value(
        self, opt_type: int, value: Any, resolved: dict[str, dict[str, Any]], guild_id: Any
    ) -> Any:
        """Turn a test-friendly value into what Discord sends, filling ``resolved``."""
        if opt_type == 4:
            return int(value)
        if opt_type == 10:
            return float(value)
        if opt_type == 5:
            return bool(value)
        if opt_type == 3:
            return str(value)
        g = self.get_guild(guild_id) if guild_id else None
        if opt_type in (6, 9) and isinstance(value, dict) and "username" in value:
            resolved.setdefault("users", {})[value["id"]] = value
            if g is not None:
                m = next((m for m in g["members"] if m["user"]["id"] == value["id"]), None)
                m = {k: v for k, v in (m or P.member(value)).items() if k != "user"}
                resolved.setdefault("members", {})[value["id"]] = {**m, "permissions": "0"}
            return value["id"]
        if opt_type in (6, 9) and g is not None:
            m = next((m for m in g["members"] if m["user"]["id"] == str(value)), None)
            if m is not None:
                return self._resolve_value(opt_type, m["user"], resolved, guild_id)
        if opt_type in (8, 9) and g is not None:
            with contextlib.suppress(KeyError):
                r = self.role(value, g["id"])
                resolved.setdefault("roles", {})[r["id"]] = r
                return r["id"]
        if opt_type == 7:
            ch = self.get_channel(value)
            if ch is not None:
                resolved.setdefault("channels", {})[ch["id"]] = {
                    **ch,
                    "permissions": str(P.EVERYONE_PERMS),
                }
                return ch["id"]
        if opt_type == 11 and isinstance(value, dict):
            att = P.attachment(
                P.snowflake(),
                value.get("filename", "file.txt"),
                int(value.get("size", len(value.get("data", b"")))),
                value.get("content_type"),
                f"http://127.0.0.1:{self.port}",
            )
            resolved.setdefault("attachments", {})[att["id"]] = att
            return att["id"]
        return str(value)

    def _build_options(
        self,
        schema: list[dict[str, Any]],
        args: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        guild_id: Any,
        focused: str | None,
    ) -> list[dict[str, Any]]:
        out = []
        by_name = {o["name"]: o for o in schema}
        for name, value in args.items():
            spec = by_name.get(name)
            opt_type = spec["type"] if spec else _OPTION_TYPES.get(type(value), 3)
            opt: dict[str, Any] = {"name": name, "type": opt_type}
            if name == focused:
                # autocomplete sends what the user typed so far, unconverted
                opt["value"] = value if isinstance(value, str) else str(value)
                opt["focused"] = True
            else:
                opt["value"] = self._resolve_value(opt_type, value, resolved, guild_id)
            out.append(opt)
        return out

    def _command_data(
        self,
        name: str,
        options: dict[str, Any],
        guild_id: Any,
        focused: str | None,
    ) -> dict[str, Any]:
        parts = name.split()
        gid = self.guild_id if guild_id is DEFAULT else guild_id
        cmd = self.commands.find(parts[0], gid)
        resolved: dict[str, dict[str, Any]] = {}
        schema: list[dict[str, Any]] = cmd.get("options", []) if cmd else []
        chain: list[tuple[str, int]] = []
        for depth, sub in enumerate(parts[1:]):
            spec = next((o for o in schema if o["name"] == sub), None)
            sub_type = spec["type"] if spec else (2 if depth < len(parts) - 2 else 1)
            chain.append((sub, sub_type))
            schema = spec.get("options", []) if spec else []
        leaf = self._build_options(schema, options, resolved, gid, focused)
        for sub, sub_type in reversed(chain):
            leaf = [{"name": sub, "type": sub_type, "options": leaf}]
        data: dict[str, Any] = {
            "id": cmd["id"] if cmd else P.snowflake(),
            "name": parts[0],
            "type": 1,
            "options": leaf,
        }
        if cmd is not None and cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def _inject(
        self, itype: int, data: dict[str, Any], ctx: dict[str, Any]
    ) -> FakeInteraction:
        ix = self._register_interaction(itype, data, ctx)
        ix.dispatched_at = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", ix.payload)
        return ix

    def undelivered_command(
        self, name: str, options: dict[str, Any] | None = None
    ) -> FakeInteraction:
        """A slash command interaction no bot is told of: the test answers it over REST itself."""
        ctx = self._context(None, DEFAULT, None, None, None)
        data = self._command_data(name, options or {}, DEFAULT, None)
        ix = self._register_interaction(APPLICATION_COMMAND, data, ctx)
        ix.dispatched_at = time.monotonic()
        return ix

    def _register_interaction(
        self, itype: int, data: dict[str, Any], ctx: dict[str, Any]
    ) -> FakeInteraction:
        payload = {
            "id": P.snowflake(),
            "application_id": self.app_id,
            "type": itype,
            "data": data,
            "token": f"ixtoken.{secrets.token_urlsafe(32)}",
            "version": 1,
            **ctx,
        }
        ix = FakeInteraction(self, payload)
        self.interactions[ix.id] = ix
        self._by_token[ix.token] = ix
        return ix

    async def send_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: dict[str, Any] | None = None,
        member_permissions: int | None = None,
        roles: list[str | int] | None = None,
        guild_id: Any = DEFAULT,
        channel_id: Any = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """Invoke a slash command; ``name`` may be 'group sub' or 'group subgroup sub'.

        Option types come from the commands the bot registered (so ints stay ints);
        unregistered options are typed from the Python value.
        """
        ctx = self._context(user, guild_id, channel_id, roles, member_permissions)
        ctx["locale"] = locale
        data = self._command_data(name, options or {}, guild_id, None)
        return await self._inject(APPLICATION_COMMAND, data, ctx)

    async def send_autocomplete(
        self,
        name: str,
        options: dict[str, Any],
        focused: str | None = None,
        *,
        user: dict[str, Any] | None = None,
        guild_id: Any = DEFAULT,
        channel_id: Any = None,
        roles: list[str | int] | None = None,
    ) -> FakeInteraction:
        """Autocomplete (type 4): ``focused`` names the option being typed (default: last)."""
        focused = focused or list(options)[-1]
        ctx = self._context(user, guild_id, channel_id, roles, None)
        data = self._command_data(name, options, guild_id, focused)
        return await self._inject(AUTOCOMPLETE, data, ctx)

    def _find_message(self, message: RecordedMessage | dict[str, Any] | str | int) -> dict:
        if isinstance(message, RecordedMessage):
            mid = message.message_id
        elif isinstance(message, dict):
            mid = str(message["id"])
        else:
            mid = str(message)
        stored = self.messages.get(mid)
        if stored is None:
            raise KeyError(f"unknown (or deleted) message {mid}")
        return stored

    async def send_component(
        self,
        message: RecordedMessage | dict[str, Any] | str | int,
        custom_id: str,
        *,
        values: list[str] | None = None,
        user: dict[str, Any] | None = None,
        roles: list[str | int] | None = None,
        member_permissions: int | None = None,
        forged_custom_id: str | None = None,
    ) -> FakeInteraction:
        """Press a button / pick select values on a message the bot sent (current version).

        ``forged_custom_id`` replaces the pressed component's ``custom_id`` in the interaction,
        in its data and in the message it carries (discord.py ignores an id the message lacks):
        what a bot receives from a forger, and must not trust."""
        msg = self._find_message(message)
        comp = next(
            (c for c in P.iter_components(msg["components"]) if c.get("custom_id") == custom_id),
            None,
        )
        if comp is None:
            raise KeyError(f"message {msg['id']} has no component {custom_id!r}")
        if comp.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        gid = msg.get("guild_id")
        ctx = self._context(user, gid, msg["channel_id"], roles, member_permissions)
        sent_id = custom_id if forged_custom_id is None else forged_custom_id
        data: dict[str, Any] = {"custom_id": sent_id, "component_type": comp["type"]}
        if comp["type"] in (3, 5, 6, 7, 8):
            data["values"] = values or []
        payload_msg = json.loads(json.dumps(msg))
        if forged_custom_id is not None:
            for pressed in P.iter_components(payload_msg["components"]):
                if pressed.get("custom_id") == custom_id:
                    pressed["custom_id"] = forged_custom_id
        ctx["message"] = payload_msg
        return await self._inject(MESSAGE_COMPONENT, data, ctx)

    async def send_modal_submit(
        self,
        custom_id: str,
        fields: dict[str, str],
        *,
        user: dict[str, Any] | None = None,
        guild_id: Any = DEFAULT,
    ) -> FakeInteraction:
        """Submit a modal (type 5) with text inputs ``{custom_id: value}``."""
        ctx = self._context(user, guild_id, None, None, None)
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
            for k, v in fields.items()
        ]
        return await self._inject(MODAL_SUBMIT, {"custom_id": custom_id, "components": rows}, ctx)

    # -- HTTP plumbing ----------------------------------------------------------------

    def _respond(self, status: int, data: Any = None) -> web.Response:
        headers = dict(JSON_HEADERS)
        # generous rate-limit headers: without them discord.py serialises each route
        headers.update(
            {
                "X-RateLimit-Limit": "10000",
                "X-RateLimit-Remaining": "9999",
                "X-RateLimit-Reset-After": "1.0",
                "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
            }
        )
        if status == 204:
            del headers["Content-Type"]
            return web.Response(status=204, headers=headers)
        return web.Response(status=status, body=json.dumps(data).encode(), headers=headers)

    def _error(self, err: DiscordHTTPError) -> web.Response:
        body: dict[str, Any] = {"code": err.code, "message": err.message}
        if err.errors is not None:
            body["errors"] = err.errors
        return self._respond(err.status, body)

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
                    resp = self._injected_response(inj)
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
                    resp = self._error(err)
            rec.status = resp.status
            return resp
        finally:
            self._notify()

    def _injected_response(self, inj: _Injected) -> web.Response:
        if inj.status == 429:
            resp = self._respond(
                429,
                {
                    "message": "You are being rate limited.",
                    "retry_after": inj.retry_after,
                    "global": inj.is_global,
                    "code": 0,
                },
            )
            resp.headers["Via"] = "1.1 google"
            resp.headers["Retry-After"] = str(inj.retry_after)
            resp.headers["X-RateLimit-Remaining"] = "0"
            resp.headers["X-RateLimit-Reset-After"] = str(inj.retry_after)
            if inj.is_global:
                resp.headers["X-RateLimit-Global"] = "true"
            return resp
        return self._respond(inj.status, {"code": 0, "message": f"{inj.status}: injected error"})

    async def _unknown(self, request: web.Request) -> web.Response:
        rec = request.get(REC_KEY)
        if rec is not None:
            self.unknown_requests.append(rec)
        return self._respond(404, {"code": 0, "message": "404: Not Found"})

    def _authorized(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise DiscordHTTPError(401, 0, "401: Unauthorized")

    async def _route(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        method = request.method
        rec = request[REC_KEY]
        for m, rx, needs_auth, fn in self._routes():
            if m != method:
                continue
            match = rx.fullmatch(path)
            if match is None:
                continue
            if needs_auth:
                self._authorized(request)
            return await fn(request, rec, **match.groupdict())
        self.unknown_requests.append(rec)
        return self._respond(404, {"code": 0, "message": "404: Not Found"})

    def _routes(self) -> list[tuple[str, re.Pattern[str], bool, Callable[..., Awaitable[Any]]]]:
        if not hasattr(self, "_route_table"):
            sf = r"(?P<{}>[0-9]+)"
            app = sf.format("app")
            gid = sf.format("gid")
            cid = sf.format("cid")
            tok = r"(?P<token>[^/]+)"
            table: list[tuple[str, str, bool, Callable[..., Awaitable[Any]]]] = [
                ("GET", "/users/@me", True, self._get_me),
                ("GET", r"/users/(?P<uid>[0-9]+)", True, self._get_user),
                ("GET", "/oauth2/applications/@me", True, self._get_app),
                ("GET", "/applications/@me", True, self._get_app),
                ("GET", "/gateway", False, self._get_gateway),
                ("GET", "/gateway/bot", True, self._get_gateway),
                # application commands (global: gid absent)
                ("GET", f"/applications/{app}/commands", True, self._list_commands),
                ("PUT", f"/applications/{app}/commands", True, self._put_commands),
                ("POST", f"/applications/{app}/commands", True, self._post_command),
                ("GET", f"/applications/{app}/commands/{cid}", True, self._get_command),
                ("PATCH", f"/applications/{app}/commands/{cid}", True, self._patch_command),
                ("DELETE", f"/applications/{app}/commands/{cid}", True, self._delete_command),
                ("GET", f"/applications/{app}/guilds/{gid}/commands", True, self._list_commands),
                ("PUT", f"/applications/{app}/guilds/{gid}/commands", True, self._put_commands),
                ("POST", f"/applications/{app}/guilds/{gid}/commands", True, self._post_command),
                (
                    "GET",
                    f"/applications/{app}/guilds/{gid}/commands/permissions",
                    True,
                    self._empty_list,
                ),
                (
                    "GET",
                    f"/applications/{app}/guilds/{gid}/commands/{cid}",
                    True,
                    self._get_command,
                ),
                (
                    "PATCH",
                    f"/applications/{app}/guilds/{gid}/commands/{cid}",
                    True,
                    self._patch_command,
                ),
                (
                    "DELETE",
                    f"/applications/{app}/guilds/{gid}/commands/{cid}",
                    True,
                    self._delete_command,
                ),
                # interactions (token-authenticated, no bot auth header)
                ("POST", rf"/interactions/(?P<iid>[0-9]+)/{tok}/callback", False, self._callback),
                ("POST", f"/webhooks/{app}/{tok}", False, self._followup),
                (
                    "GET",
                    rf"/webhooks/{app}/{tok}/messages/(?P<mid>@original|[0-9]+)",
                    False,
                    self._get_webhook_message,
                ),
                (
                    "PATCH",
                    rf"/webhooks/{app}/{tok}/messages/(?P<mid>@original|[0-9]+)",
                    False,
                    self._edit_webhook_message,
                ),
                (
                    "DELETE",
                    rf"/webhooks/{app}/{tok}/messages/(?P<mid>@original|[0-9]+)",
                    False,
                    self._delete_webhook_message,
                ),
                # channels / guilds
                ("GET", f"/channels/{cid}", True, self._get_channel),
                ("POST", f"/channels/{cid}/messages", True, self._post_channel_message),
                ("POST", f"/channels/{cid}/typing", True, self._no_content),
                (
                    "GET",
                    rf"/channels/{cid}/messages/(?P<mid>[0-9]+)",
                    True,
                    self._get_channel_message,
                ),
                (
                    "PATCH",
                    rf"/channels/{cid}/messages/(?P<mid>[0-9]+)",
                    True,
                    self._edit_channel_message,
                ),
                (
                    "DELETE",
                    rf"/channels/{cid}/messages/(?P<mid>[0-9]+)",
                    True,
                    self._delete_channel_message,
                ),
                ("GET", f"/guilds/{gid}", True, self._get_guild),
                ("GET", rf"/guilds/{gid}/members/(?P<uid>[0-9]+)", True, self._get_member),
            ]
            self._route_table = [(m, re.compile(p), a, f) for m, p, a, f in table]
        return self._route_table

    # -- REST handlers: identity ---------------------------------------------------------

    async def _get_me(self, request: web.Request, rec: RecordedRequest) -> web.Response:
        return self._respond(200, {**self.bot_user, "verified": True, "mfa_enabled": False})

    async def _get_user(self, request: web.Request, rec: RecordedRequest, uid: str) -> web.Response:
        for g in self.guilds:
            for m in g["members"]:
                if m["user"]["id"] == uid:
                    return self._respond(200, m["user"])
        raise DiscordHTTPError(404, 10013, "Unknown User")

    async def _get_app(self, request: web.Request, rec: RecordedRequest) -> web.Response:
        return self._respond(200, self.application)

    async def _get_gateway(self, request: web.Request, rec: RecordedRequest) -> web.Response:
        return self._respond(
            200,
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            },
        )

    async def _empty_list(
        self, request: web.Request, rec: RecordedRequest, **_: str
    ) -> web.Response:
        return self._respond(200, [])

    async def _no_content(
        self, request: web.Request, rec: RecordedRequest, **_: str
    ) -> web.Response:
        return self._respond(204)

    # -- REST handlers: commands -------------------------------------------------------

    def _check_app(self, app: str) -> None:
        if app != self.app_id:
            raise DiscordHTTPError(404, 10002, "Unknown Application")

    async def _list_commands(
        self, request: web.Request, rec: RecordedRequest, app: str, gid: str | None = None
    ) -> web.Response:
        self._check_app(app)
        return self._respond(200, list(self.commands._bucket(gid).values()))

    async def _put_commands(
        self, request: web.Request, rec: RecordedRequest, app: str, gid: str | None = None
    ) -> web.Response:
        self._check_app(app)
        if not isinstance(rec.json, list):
            raise invalid_body("_root", "Expected a list")
        if len(rec.json) > 100:
            raise invalid_body("_root", "Must be 100 or fewer in length.")
        return self._respond(200, self.commands.put(app, gid, rec.json))

    async def _post_command(
        self, request: web.Request, rec: RecordedRequest, app: str, gid: str | None = None
    ) -> web.Response:
        self._check_app(app)
        cmd, existed = self.commands.upsert(app, gid, rec.json or {})
        return self._respond(200 if existed else 201, cmd)

    async def _get_command(
        self, request: web.Request, rec: RecordedRequest, app: str, cid: str, gid: str | None = None
    ) -> web.Response:
        self._check_app(app)
        cmd = self.commands.by_id(gid, cid)
        if cmd is None:
            raise DiscordHTTPError(404, 10063, "Unknown application command")
        return self._respond(200, cmd)

    async def _patch_command(
        self, request: web.Request, rec: RecordedRequest, app: str, cid: str, gid: str | None = None
    ) -> web.Response:
        self._check_app(app)
        cmd = self.commands.by_id(gid, cid)
        if cmd is None:
            raise DiscordHTTPError(404, 10063, "Unknown application command")
        cmd.update(rec.json or {})
        return self._respond(200, cmd)

    async def _delete_command(
        self, request: web.Request, rec: RecordedRequest, app: str, cid: str, gid: str | None = None
    ) -> web.Response:
        self._check_app(app)
        if not self.commands.delete(gid, cid):
            raise DiscordHTTPError(404, 10063, "Unknown application command")
        return self._respond(204)

    # -- REST handlers: interactions -----------------------------------------------------

    def _interaction_for(self, app: str, token: str) -> FakeInteraction:
        ix = self._by_token.get(token)
        if ix is None or app != self.app_id:
            raise DiscordHTTPError(404, 10015, "Unknown Webhook")
        return ix

    def _attachments_from(
        self, body: dict[str, Any], files: list[RecordedFile], existing: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Map the body's ``attachments`` (ids = upload index or kept ids) to stored ones."""
        by_field = {f.field: f for f in files}
        base = f"http://127.0.0.1:{self.port}"
        if "attachments" not in body:
            out = list(existing)
            for i, f in enumerate(files):
                f2 = by_field.get(f"files[{i}]", f)
                out.append(
                    P.attachment(P.snowflake(), f2.filename, len(f2.data), f2.content_type, base)
                )
            return out
        out = []
        kept = {a["id"]: a for a in existing}
        for a in body["attachments"] or []:
            aid = str(a.get("id"))
            f = by_field.get(f"files[{aid}]")
            if f is not None:
                att = P.attachment(
                    P.snowflake(),
                    a.get("filename") or f.filename,
                    len(f.data),
                    f.content_type,
                    base,
                )
                if a.get("description"):
                    att["description"] = a["description"]
                out.append(att)
            elif aid in kept:
                out.append(kept[aid])
        return out

    def _new_message(
        self,
        body: dict[str, Any],
        files: list[RecordedFile],
        *,
        channel_id: str,
        guild_id: str | None,
        ix: FakeInteraction | None,
        flags: int | None = None,
    ) -> dict[str, Any]:
        mid = P.snowflake()
        meta = None
        if ix is not None:
            u = ix.payload.get("member", {}).get("user") or ix.payload.get("user")
            meta = {
                "id": ix.id,
                "type": ix.type,
                "user": u,
                "authorizing_integration_owners": ix.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
        msg = P.message(
            message_id=mid,
            channel_id=channel_id,
            author=self.bot_user,
            body=body,
            attachments=self._attachments_from(body, files, []),
            application_id=self.app_id if ix else None,
            webhook_id=self.app_id if ix else None,
            guild_id=guild_id,
            interaction_metadata=meta,
            msg_type=20 if ix is not None and ix.type == APPLICATION_COMMAND else 0,
        )
        if flags is not None:
            msg["flags"] = flags
        self.messages[mid] = msg
        return msg

    def _apply_edit(
        self, msg: dict[str, Any], body: dict[str, Any], files: list[RecordedFile]
    ) -> None:
        for key in ("content", "embeds", "components", "poll"):
            if key in body:
                msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if "flags" in body and body["flags"] is not None:
            # ephemeral/loading bits cannot be changed by an edit
            keep = int(msg.get("flags") or 0) & P.EPHEMERAL
            msg["flags"] = (int(body["flags"]) & ~P.LOADING) | keep
        else:
            msg["flags"] = int(msg.get("flags") or 0) & ~P.LOADING
        if "attachments" in body or files:
            msg["attachments"] = self._attachments_from(body, files, msg.get("attachments", []))
        msg["edited_timestamp"] = P.iso_now()

    def _record(
        self,
        ix: FakeInteraction | None,
        kind: str,
        msg: dict[str, Any],
        body: dict[str, Any],
        files: list[RecordedFile],
        at: float,
    ) -> RecordedMessage:
        rm = RecordedMessage(
            kind=kind,
            message_id=msg["id"],
            body=body,
            message=json.loads(json.dumps(msg)),
            files=files,
            at=at,
            interaction_id=ix.id if ix else None,
        )
        if ix is not None:
            ix.messages.append(rm)
            ix._notify()
        else:
            self.channel_messages.append(rm)
        return rm

    async def _callback(
        self, request: web.Request, rec: RecordedRequest, iid: str, token: str
    ) -> web.Response:
        ix = self.interactions.get(iid)
        if ix is None or ix.token != token:
            raise DiscordHTTPError(404, 10062, "Unknown interaction")
        body = rec.json if isinstance(rec.json, dict) else {}
        cb_type = int(body.get("type", 0))
        data = body.get("data") or {}
        cb = Callback(type=cb_type, data=data, files=rec.files, at=rec.at)
        if ix.callback is not None:
            ix.late_callbacks.append(cb)
            ix._notify()
            raise DiscordHTTPError(400, 40060, "Interaction has already been acknowledged.")
        if (
            self.response_deadline is not None
            and rec.at - ix.dispatched_at > self.response_deadline
        ):
            ix.late_callbacks.append(cb)
            ix._notify()
            raise DiscordHTTPError(404, 10062, "Unknown interaction")
        try:
            self._validate_callback(ix, cb_type, data)
        except DiscordHTTPError as err:
            ix.rejected_callbacks.append((cb_type, data))
            ix._notify()
            raise err
        ix.callback = cb
        channel_id = ix.payload["channel_id"]
        guild_id = ix.payload.get("guild_id")
        resource: dict[str, Any] = {"type": cb_type}
        loading = False
        if cb_type == CB_MESSAGE:
            msg = self._new_message(
                data, rec.files, channel_id=channel_id, guild_id=guild_id, ix=ix
            )
            ix.original_id = msg["id"]
            self._record(ix, "callback", msg, data, rec.files, rec.at)
            resource["message"] = msg
        elif cb_type == CB_DEFERRED_MESSAGE:
            flags = P.LOADING | (int(data.get("flags") or 0) & P.EPHEMERAL)
            msg = self._new_message(
                {}, [], channel_id=channel_id, guild_id=guild_id, ix=ix, flags=flags
            )
            ix.original_id = msg["id"]
            self._record(ix, "deferred", msg, data, [], rec.at)
            resource["message"] = msg
            loading = True
        elif cb_type == CB_UPDATE_MESSAGE:
            msg = self.messages[str(ix.original_id)]
            self._apply_edit(msg, data, rec.files)
            self._record(ix, "update", msg, data, rec.files, rec.at)
            resource["message"] = msg
        else:
            ix._notify()
        if "with_response" not in request.query:
            return self._respond(204)
        original = self.messages.get(ix.original_id or "")
        interaction: dict[str, Any] = {
            "id": ix.id,
            "type": ix.type,
            "response_message_loading": loading,
            "response_message_ephemeral": bool(
                original and int(original.get("flags") or 0) & P.EPHEMERAL
            ),
        }
        if "message" in resource:
            interaction["response_message_id"] = resource["message"]["id"]
        out: dict[str, Any] = {"interaction": interaction}
        if cb_type in (CB_MESSAGE, CB_DEFERRED_MESSAGE, CB_UPDATE_MESSAGE, CB_MODAL):
            out["resource"] = resource
        return self._respond(200, out)

    def _validate_callback(self, ix: FakeInteraction, cb_type: int, data: dict[str, Any]) -> None:
        allowed = {
            APPLICATION_COMMAND: {CB_MESSAGE, CB_DEFERRED_MESSAGE, CB_MODAL, 10, 12},
            MESSAGE_COMPONENT: {
                CB_MESSAGE,
                CB_DEFERRED_MESSAGE,
                CB_DEFERRED_UPDATE,
                CB_UPDATE_MESSAGE,
                CB_MODAL,
                10,
                12,
            },
            AUTOCOMPLETE: {CB_AUTOCOMPLETE},
            MODAL_SUBMIT: {CB_MESSAGE, CB_DEFERRED_MESSAGE, CB_DEFERRED_UPDATE, CB_UPDATE_MESSAGE},
        }
        if cb_type not in allowed.get(ix.type, set()):
            raise DiscordHTTPError(
                400,
                50035,
                "Invalid Form Body",
                _form_error(
                    "type", "Interaction response type invalid", "INTERACTION_RESPONSE_TYPE_INVALID"
                ),
            )
        if not self.validate:
            return
        if cb_type in (CB_MESSAGE, CB_UPDATE_MESSAGE):
            _check_message_body(data, "data.")
        elif cb_type == CB_AUTOCOMPLETE:
            _check_choices(data)

    async def _followup(
        self, request: web.Request, rec: RecordedRequest, app: str, token: str
    ) -> web.Response:
        ix = self._interaction_for(app, token)
        if ix.callback is None:
            raise DiscordHTTPError(404, 10015, "Unknown Webhook")
        body = rec.json if isinstance(rec.json, dict) else {}
        if self.validate:
            _check_message_body(body, "")
        wait = rec.query.get("wait") in ("true", "True", "1")
        original = self.messages.get(ix.original_id or "")
        if (
            ix.callback.type == CB_DEFERRED_MESSAGE
            and original is not None
            and int(original.get("flags") or 0) & P.LOADING
        ):
            # the first followup after a "thinking" defer replaces the loading message
            self._apply_edit(original, body, rec.files)
            self._record(ix, "followup", original, body, rec.files, rec.at)
            return self._respond(200, original) if wait else self._respond(204)
        msg = self._new_message(
            body,
            rec.files,
            channel_id=ix.payload["channel_id"],
            guild_id=ix.payload.get("guild_id"),
            ix=ix,
        )
        self._record(ix, "followup", msg, body, rec.files, rec.at)
        return self._respond(200, msg) if wait else self._respond(204)

    def _webhook_message(self, ix: FakeInteraction, mid: str) -> dict[str, Any]:
        if mid == "@original":
            if ix.original_id is None:
                raise DiscordHTTPError(404, 10008, "Unknown Message")
            mid = ix.original_id
        msg = self.messages.get(mid)
        if msg is None:
            raise DiscordHTTPError(404, 10008, "Unknown Message")
        return msg

    async def _get_webhook_message(
        self, request: web.Request, rec: RecordedRequest, app: str, token: str, mid: str
    ) -> web.Response:
        ix = self._interaction_for(app, token)
        return self._respond(200, self._webhook_message(ix, mid))

    async def _edit_webhook_message(
        self, request: web.Request, rec: RecordedRequest, app: str, token: str, mid: str
    ) -> web.Response:
        ix = self._interaction_for(app, token)
        msg = self._webhook_message(ix, mid)
        body = rec.json if isinstance(rec.json, dict) else {}
        if self.validate:
            _check_message_body(body, "")
        self._apply_edit(msg, body, rec.files)
        self._record(ix, "edit", msg, body, rec.files, rec.at)
        return self._respond(200, msg)

    async def _delete_webhook_message(
        self, request: web.Request, rec: RecordedRequest, app: str, token: str, mid: str
    ) -> web.Response:
        ix = self._interaction_for(app, token)
        msg = self._webhook_message(ix, mid)
        del self.messages[msg["id"]]
        self._record(ix, "delete", msg, {}, [], rec.at)
        return self._respond(204)

    # -- REST handlers: channels / guilds ------------------------------------------------

    def _channel_or_404(self, cid: str) -> dict[str, Any]:
        ch = self.get_channel(cid)
        if ch is None:
            raise DiscordHTTPError(404, 10003, "Unknown Channel")
        return ch

    async def _get_channel(
        self, request: web.Request, rec: RecordedRequest, cid: str
    ) -> web.Response:
        return self._respond(200, self._channel_or_404(cid))

    async def _post_channel_message(
        self, request: web.Request, rec: RecordedRequest, cid: str
    ) -> web.Response:
        ch = self._channel_or_404(cid)
        body = rec.json if isinstance(rec.json, dict) else {}
        if self.validate:
            _check_message_body(body, "")
        msg = self._new_message(
            body, rec.files, channel_id=cid, guild_id=ch.get("guild_id"), ix=None
        )
        self._record(None, "channel", msg, body, rec.files, rec.at)
        return self._respond(200, msg)

    def _channel_message(self, cid: str, mid: str) -> dict[str, Any]:
        msg = self.messages.get(mid)
        if msg is None or msg["channel_id"] != cid:
            raise DiscordHTTPError(404, 10008, "Unknown Message")
        return msg

    async def _get_channel_message(
        self, request: web.Request, rec: RecordedRequest, cid: str, mid: str
    ) -> web.Response:
        return self._respond(200, self._channel_message(cid, mid))

    async def _edit_channel_message(
        self, request: web.Request, rec: RecordedRequest, cid: str, mid: str
    ) -> web.Response:
        msg = self._channel_message(cid, mid)
        body = rec.json if isinstance(rec.json, dict) else {}
        self._apply_edit(msg, body, rec.files)
        self._record(None, "edit", msg, body, rec.files, rec.at)
        return self._respond(200, msg)

    async def _delete_channel_message(
        self, request: web.Request, rec: RecordedRequest, cid: str, mid: str
    ) -> web.Response:
        msg = self._channel_message(cid, mid)
        del self.messages[msg["id"]]
        return self._respond(204)

    async def _get_guild(
        self, request: web.Request, rec: RecordedRequest, gid: str
    ) -> web.Response:
        g = self.get_guild(gid)
        if g is None:
            raise DiscordHTTPError(404, 10004, "Unknown Guild")
        return self._respond(200, {k: v for k, v in g.items() if k not in ("members", "channels")})

    async def _get_member(
        self, request: web.Request, rec: RecordedRequest, gid: str, uid: str
    ) -> web.Response:
        g = self.get_guild(gid)
        m = next((m for m in (g or {}).get("members", []) if m["user"]["id"] == uid), None)
        if m is None:
            raise DiscordHTTPError(404, 10007, "Unknown Member")
        return self._respond(200, m)
