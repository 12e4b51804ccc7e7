"""The fake Gateway: HELLO / IDENTIFY / READY / heartbeats / RESUME over a websocket.

Sessions outlive their websocket so a dropped connection can RESUME and get
the dispatches it missed replayed, which is how discord.py expects Discord to
behave after a network blip.
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
        """Dispatch to the current session (buffered for replay if its socket is down)."""
        if self.current is None:
            raise RuntimeError("no bot has identified with the fake gateway yet")
        return await self.current.dispatch(event, data)

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
        self.identify_count += 1
        session = Session(session_id=uuid.uuid4().hex, token=d["token"], identify=d)
        self.sessions[session.session_id] = session
        conn.session = session
        fake = self.fake
        ready = {
            "v": 10,
            "user": fake.bot_user,
            "guilds": [{"id": g["id"], "unavailable": True} for g in fake.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "shard": d.get("shard") or [0, 1],
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
            self.current = session
        await session.dispatch("READY", ready)
        for g in fake.guilds:
            await session.dispatch("GUILD_CREATE", g)
        self._ready.set()
        self._on_change()

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
            self.current = session
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
