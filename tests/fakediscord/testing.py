"""The API tests drive the fake with: inject interactions, wait for traffic, fail on purpose.

``Controls`` is a part of ``FakeDiscord`` (``server.py``); the handles it returns are
``FakeInteraction`` (``interaction.py``).
"""

# The test-facing API takes timeout= arguments on purpose (it is what the tests read best).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

from . import payloads as P
from .errors import InjectedFailure
from .gateway import Session
from .interaction import FakeInteraction
from .interaction_payloads import DEFAULT
from .openapi import UNCHECKED, SpecViolation
from .records import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    RecordedMessage,
    RecordedRequest,
)


class Controls:
    """What a test calls on ``FakeDiscord`` to play the user's side and watch the bot's."""

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

    async def wait_for_shards(self, shard_count: int, timeout: float = 10) -> None:
        """Until every shard of ``shard_count`` has a connected session (IDENTIFIED or RESUMED)."""
        everything = set(range(shard_count))
        await self.wait_until(
            lambda: self.gateway.connected_shards(shard_count) == everything, timeout
        )

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

    def take_spec_violations(self) -> list[SpecViolation]:
        """Claim this fake's violations for the test: the pytest plugin skips them."""
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
            InjectedFailure(
                method, re.compile(path_regex), status, count, retry_after, is_global, after
            )
        )

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

    async def send_message_command(
        self,
        name: str,
        message: dict[str, Any],
        *,
        user: dict[str, Any] | None = None,
        member_permissions: int | None = None,
        roles: list[str | int] | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """Use a message context-menu command (type 2, ``data.type`` 3) on ``message``, in its
        channel: Discord sends the message whole in ``data.resolved.messages``, content included,
        whatever the bot's intents."""
        gid = message.get("guild_id")
        cmd = self.commands.find(name, gid)
        if cmd is None or cmd.get("type") != 3:
            raise KeyError(f"no message command {name!r} registered")
        ctx = self._context(user, gid, message["channel_id"], roles, member_permissions)
        ctx["locale"] = locale
        data: dict[str, Any] = {
            "id": cmd["id"],
            "name": cmd["name"],
            "type": 3,
            "target_id": message["id"],
            "resolved": {"messages": {message["id"]: json.loads(json.dumps(message))}},
        }
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return await self._inject(APPLICATION_COMMAND, data, ctx)

    async def create_forum_post(
        self,
        forum: dict[str, Any],
        title: str,
        content: str = "",
        *,
        user: dict[str, Any] | None = None,
        created_at: Any = None,
    ) -> dict[str, Any]:
        """A member opens a post in ``forum``: its thread and first message are stored and
        THREAD_CREATE (``newly_created``) is dispatched, as Discord does."""
        post = self.new_forum_post(forum, title, content, user, created_at=created_at)
        await self.dispatch_thread_create(post)
        return post

    async def dispatch_thread_create(
        self, post: dict[str, Any], *, newly_created: bool = True
    ) -> int:
        """(Again) THREAD_CREATE for a post; Discord sends ``newly_created`` only the first
        time, and a bare THREAD_CREATE when the bot is added to an existing thread."""
        data = dict(post)
        if newly_created:
            data["newly_created"] = True
        return await self.dispatch("THREAD_CREATE", data)

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
        locale: str = "en-US",
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
        ctx["locale"] = locale
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
