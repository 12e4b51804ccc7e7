"""The fake Gateway: HELLO / IDENTIFY / READY / heartbeats / RESUME over a websocket.

Sessions outlive their websocket so a dropped connection can RESUME and get
the dispatches it missed replayed, which is how discord.py expects Discord to
behave after a network blip.

Sharding is Discord's: IDENTIFY names ``shard: [shard_id, shard_count]`` (``[0, 1]`` when
absent), a session gets READY and GUILD_CREATE for the guilds ``(guild_id >> 22) % shard_count``
puts on its shard only, and each guild's dispatches go to that shard's session; DMs go to shard
0. An invalid shard is closed with 4010, a shard with more than ``max_guilds_per_shard`` guilds
with 4011 (sharding required), and an IDENTIFY within ``identify_interval`` seconds of the last
one in its ``max_concurrency`` bucket (``shard_id % max_concurrency``) gets op 9, as Discord's
session-start rate limit does.
"""

# The test-facing API takes timeout= arguments on purpose (it is what the tests read best).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import WSMsgType, web


class GatewayHost(Protocol):
    """What the Gateway reads from the fake that serves it (``FakeDiscord``)."""

    app_id: str
    token: str
    bot_user: dict[str, Any]
    guilds: list[dict[str, Any]]
    heartbeat_interval_ms: int
    max_guilds_per_shard: int
    max_concurrency: int
    identify_interval: float

    @property
    def gateway_url(self) -> str: ...

    def get_guild(self, guild_id: Any) -> dict[str, Any] | None: ...

    def _notify(self) -> None: ...


log = logging.getLogger("fakediscord.gateway")

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

CLOSE_INVALID_SHARD = 4010
CLOSE_SHARDING_REQUIRED = 4011

Shard = tuple[int, int]  # (shard_id, shard_count)


def shard_of(guild_id: int | str, shard_count: int) -> int:
    """The shard a guild's events go to: ``(guild_id >> 22) % shard_count``, Discord's formula."""
    return (int(guild_id) >> 22) % shard_count


def _requested_shard(d: dict[str, Any]) -> Shard | None:
    """The IDENTIFY's ``shard`` as (id, count), ``(0, 1)`` when absent; ``None`` when invalid."""
    shard = d.get("shard")
    if shard is None:
        return (0, 1)
    if (
        not isinstance(shard, list)
        or len(shard) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in shard)
    ):
        return None
    shard_id, count = shard
    if count < 1 or not 0 <= shard_id < count:
        return None
    return (shard_id, count)


@dataclass
class IdentifyRecord:
    """One IDENTIFY the Gateway accepted: for which shard, and when (monotonic)."""

    shard: Shard
    at: float


@dataclass
class GatewayFrame:
    """One frame received from the bot (for assertions on IDENTIFY/RESUME/heartbeats)."""

    op: int
    d: Any
    at: float


class Connection:
    """One websocket; sends are serialised so frames never interleave."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ws = ws
        self.request = request
        self.query = dict(request.query)
        self.lock = asyncio.Lock()
        self.session: Session | None = None
        self.received: list[GatewayFrame] = []
        self.opened_at = time.monotonic()

    @property
    def open(self) -> bool:
        return not self.ws.closed

    async def send(self, frame: dict[str, Any]) -> bool:
        """Send without taking the lock; callers hold it. False if the socket is gone."""
        if self.ws.closed:
            return False
        try:
            await self.ws.send_str(json.dumps(frame))
        except (ConnectionError, RuntimeError):
            return False
        return True

    async def send_locked(self, frame: dict[str, Any]) -> bool:
        async with self.lock:
            return await self.send(frame)


@dataclass
class Session:
    """A gateway session: sequence numbers and every dispatch, kept for RESUME replay."""

    session_id: str
    token: str
    identify: dict[str, Any]
    shard: Shard = (0, 1)
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    conn: Connection | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def dispatch(self, event: str, data: Any) -> int:
        """Number the event, keep it for replay and send it if a socket is attached."""
        async with self.lock:
            self.seq += 1
            frame = {"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data}
            self.events.append(frame)
            conn = self.conn
            if conn is not None:
                async with conn.lock:
                    await conn.send(frame)
            return self.seq


class Gateway:
    """Websocket endpoint plus session bookkeeping for one FakeDiscord."""

    def __init__(self, fake: GatewayHost) -> None:
        self.fake = fake
        self.sessions: dict[str, Session] = {}
        self.current: Session | None = None
        # The newest session of each shard, most recently identified or resumed last.
        self.shard_sessions: dict[Shard, Session] = {}
        self.identifies: list[IdentifyRecord] = []
        self.identify_too_fast = 0  # IDENTIFYs refused by the session-start rate limit
        self.connections: list[Connection] = []
        self.identify_count = 0
        self.resume_count = 0
        self.invalid_session_count = 0
        self.heartbeat_count = 0
        self.ack_heartbeats = True
        self._ready = asyncio.Event()
        self._on_change: Callable[[], None] = fake._notify

    # -- test-facing helpers -------------------------------------------------

    @property
    def is_ready(self) -> bool:
        return self._ready.is_set()

    async def wait_for_ready(self, timeout: float) -> Session:
        await asyncio.wait_for(self._ready.wait(), timeout)
        assert self.current is not None
        return self.current

    def _live_connections(self) -> list[Connection]:
        return [c for c in self.connections if c.open]

    async def drop(self, code: int | None = None) -> int:
        """Close every live socket: abruptly (TCP abort) if code is None, else with that code."""
        conns = self._live_connections()
        self._ready.clear()
        for conn in conns:
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            if code is None:
                transport = conn.request.transport
                if transport is not None:
                    transport.abort()
            else:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.ws.close(code=code, message=b"fake drop"), 2)
        self._on_change()
        return len(conns)

    async def send_op(self, op: int, d: Any = None) -> None:
        """Send a raw non-dispatch opcode (e.g. RECONNECT) to every live socket."""
        for conn in self._live_connections():
            await conn.send_locked({"op": op, "d": d, "s": None, "t": None})

    async def invalidate_session(self, resumable: bool = False) -> None:
        """op 9: discord.py reconnects and RESUMEs (True) or re-IDENTIFIES (False)."""
        if not resumable and self.current is not None:
            self.sessions.pop(self.current.session_id, None)
        self._ready.clear()
        await self.send_op(OP_INVALID_SESSION, resumable)

    async def dispatch(self, event: str, data: Any) -> int:
        """Dispatch to the session of the shard the event's guild is on (DMs: shard 0), buffered
        for replay if its socket is down."""
        if self.current is None:
            raise RuntimeError("no bot has identified with the fake gateway yet")
        return await self.session_for(_guild_id_of(event, data)).dispatch(event, data)

    def session_for(self, guild_id: int | str | None) -> Session:
        """The newest session whose shard receives ``guild_id``'s events (``None``: a DM)."""
        for (shard_id, count), session in reversed(self.shard_sessions.items()):
            wanted = 0 if guild_id is None else shard_of(guild_id, count)
            if wanted == shard_id:
                return session
        raise RuntimeError(f"no session has the shard of guild {guild_id}")

    def connected_shards(self, shard_count: int) -> set[int]:
        """The shards of ``shard_count`` whose newest session has a live socket."""
        return {
            shard_id
            for (shard_id, count), session in self.shard_sessions.items()
            if count == shard_count and session.conn is not None and session.conn.open
        }

    def _activate(self, session: Session) -> None:
        """Make ``session`` the newest of its shard (and the current one)."""
        self.shard_sessions.pop(session.shard, None)
        self.shard_sessions[session.shard] = session
        self.current = session

    # -- websocket handler ---------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = Connection(ws, request)
        self.connections.append(conn)
        await conn.send_locked(
            {"op": OP_HELLO, "d": {"heartbeat_interval": self.fake.heartbeat_interval_ms}}
        )
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(conn, json.loads(msg.data))
                elif msg.type is WSMsgType.BINARY:
                    log.warning("binary gateway frame ignored (%d bytes)", len(msg.data))
                elif msg.type is WSMsgType.ERROR:
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                if session is self.current:
                    self._ready.clear()
            self._on_change()
        return ws

    async def _on_frame(self, conn: Connection, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        d = frame.get("d")
        conn.received.append(GatewayFrame(op=int(op or 0), d=d, at=time.monotonic()))
        if op == OP_HEARTBEAT:
            self.heartbeat_count += 1
            if self.ack_heartbeats:
                await conn.send_locked({"op": OP_HEARTBEAT_ACK})
        elif op == OP_IDENTIFY:
            await self._identify(conn, d or {})
        elif op == OP_RESUME:
            await self._resume(conn, d or {})
        elif op == OP_REQUEST_MEMBERS:
            await self._request_members(conn, d or {})
        elif op == OP_PRESENCE:
            pass
        else:
            log.info("ignoring gateway op %s", op)

    async def _identify(self, conn: Connection, d: dict[str, Any]) -> None:
        if d.get("token") != self.fake.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard = _requested_shard(d)
        if shard is None:
            await conn.ws.close(code=CLOSE_INVALID_SHARD, message=b"Invalid shard.")
            return
        fake = self.fake
        guilds = [g for g in fake.guilds if shard_of(g["id"], shard[1]) == shard[0]]
        if len(guilds) > fake.max_guilds_per_shard:
            await conn.ws.close(code=CLOSE_SHARDING_REQUIRED, message=b"Sharding required.")
            return
        if self._identifying_too_fast(shard):
            self.identify_too_fast += 1
            await conn.send_locked({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        self.identify_count += 1
        self.identifies.append(IdentifyRecord(shard, time.monotonic()))
        session = Session(session_id=uuid.uuid4().hex, token=d["token"], identify=d, shard=shard)
        self.sessions[session.session_id] = session
        conn.session = session
        ready = {
            "v": 10,
            "user": fake.bot_user,
            "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "shard": list(shard),
            "application": {"id": fake.app_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["fakediscord"],
        }
        async with session.lock:
            session.conn = conn
            self._activate(session)
        await session.dispatch("READY", ready)
        for g in guilds:
            await session.dispatch("GUILD_CREATE", g)
        self._ready.set()
        self._on_change()

    def _identifying_too_fast(self, shard: Shard) -> bool:
        """Whether the last IDENTIFY of this shard's bucket is under ``identify_interval`` ago."""
        interval = self.fake.identify_interval
        if interval <= 0:
            return False
        bucket = shard[0] % self.fake.max_concurrency
        now = time.monotonic()
        return any(
            now - record.at < interval
            for record in self.identifies
            if record.shard[0] % self.fake.max_concurrency == bucket
        )

    async def _resume(self, conn: Connection, d: dict[str, Any]) -> None:
        session = self.sessions.get(str(d.get("session_id")))
        if session is None or d.get("token") != session.token:
            self.invalid_session_count += 1
            await conn.send_locked({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        self.resume_count += 1
        client_seq = int(d.get("seq") or 0)
        conn.session = session
        async with session.lock:
            session.conn = conn
            self._activate(session)
            async with conn.lock:
                for frame in session.events:
                    if frame["s"] > client_seq:
                        await conn.send(frame)
        await session.dispatch("RESUMED", {"_trace": ["fakediscord"]})
        self._ready.set()
        self._on_change()

    async def _request_members(self, conn: Connection, d: dict[str, Any]) -> None:
        session = conn.session
        if session is None:
            return
        guild = self.fake.get_guild(d.get("guild_id"))
        members = guild["members"] if guild else []
        user_ids = d.get("user_ids")
        if user_ids:
            wanted = {str(u) for u in user_ids}
            members = [m for m in members if m["user"]["id"] in wanted]
        query = d.get("query")
        if query:
            members = [m for m in members if m["user"]["username"].startswith(query)]
        payload: dict[str, Any] = {
            "guild_id": str(d.get("guild_id")),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if d.get("nonce"):
            payload["nonce"] = d["nonce"]
        await session.dispatch("GUILD_MEMBERS_CHUNK", payload)


def _guild_id_of(event: str, data: Any) -> str | None:
    """The guild an event belongs to: its ``guild_id``, or its own ``id`` for GUILD_CREATE,
    GUILD_UPDATE and GUILD_DELETE, whose payload is the guild."""
    if not isinstance(data, dict):
        return None
    guild_id = data.get("guild_id")
    if guild_id is None and event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
        guild_id = data.get("id")
    return None if guild_id is None else str(guild_id)
