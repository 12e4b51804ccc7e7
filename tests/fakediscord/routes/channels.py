"""REST: channels, their messages, guilds and members."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import payloads as P
from ..errors import DiscordHTTPError, form_error
from ..limits import check_message_body
from ..records import RecordedRequest
from ..responses import json_response


class ChannelRoutes:
    def _channel_or_404(self, cid: str) -> dict[str, Any]:
        ch = self.get_channel(cid)
        if ch is None:
            raise DiscordHTTPError(404, 10003, "Unknown Channel")
        return ch

    async def _get_channel(
        self, request: web.Request, rec: RecordedRequest, cid: str
    ) -> web.Response:
        return json_response(200, self._channel_or_404(cid))

    async def _post_channel_message(
        self, request: web.Request, rec: RecordedRequest, cid: str
    ) -> web.Response:
        ch = self._channel_or_404(cid)
        body = rec.json_object
        if self.validate:
            check_message_body(body, "")
        send = P.PERM_SEND_MESSAGES_IN_THREADS if ch.get("type") == 11 else P.PERM_SEND_MESSAGES
        if self.bot_denied(ch, send):
            raise DiscordHTTPError(403, 50013, "Missing Permissions")
        msg = self._new_message(
            body,
            rec.files,
            channel_id=cid,
            guild_id=ch.get("guild_id"),
            ix=None,
            referenced=self._referenced(cid, body.get("message_reference")),
        )
        self._record(None, "channel", msg, body, rec.files, rec.at)
        return json_response(200, msg)

    def _referenced(self, cid: str, reference: Any) -> dict[str, Any] | None:
        """The message a reply names; an unknown one is refused unless the reference says
        ``fail_if_not_exists: false`` (then the message is sent as no reply), as Discord does."""
        if not isinstance(reference, dict) or reference.get("message_id") is None:
            return None
        msg = self.messages.get(str(reference["message_id"]))
        if msg is not None and msg["channel_id"] == str(reference.get("channel_id") or cid):
            return msg
        if reference.get("fail_if_not_exists") is False:
            return None
        raise DiscordHTTPError(
            400,
            50035,
            "Invalid Form Body",
            form_error("message_reference", "Unknown message", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE"),
        )

    def _channel_message(self, cid: str, mid: str) -> dict[str, Any]:
        msg = self.messages.get(mid)
        if msg is None or msg["channel_id"] != cid:
            raise DiscordHTTPError(404, 10008, "Unknown Message")
        return msg

    async def _get_channel_message(
        self, request: web.Request, rec: RecordedRequest, cid: str, mid: str
    ) -> web.Response:
        ch = self._channel_or_404(cid)
        if self.bot_denied(ch, P.PERM_READ_HISTORY):
            raise DiscordHTTPError(403, 50001, "Missing Access")
        return json_response(200, self._channel_message(cid, mid))

    async def _edit_channel_message(
        self, request: web.Request, rec: RecordedRequest, cid: str, mid: str
    ) -> web.Response:
        msg = self._channel_message(cid, mid)
        body = rec.json_object
        self._apply_edit(msg, body, rec.files)
        self._record(None, "edit", msg, body, rec.files, rec.at)
        return json_response(200, msg)

    async def _delete_channel_message(
        self, request: web.Request, rec: RecordedRequest, cid: str, mid: str
    ) -> web.Response:
        msg = self._channel_message(cid, mid)
        del self.messages[msg["id"]]
        return json_response(204)

    async def _get_guild(
        self, request: web.Request, rec: RecordedRequest, gid: str
    ) -> web.Response:
        g = self.get_guild(gid)
        if g is None:
            raise DiscordHTTPError(404, 10004, "Unknown Guild")
        return json_response(200, {k: v for k, v in g.items() if k not in ("members", "channels")})

    async def _get_member(
        self, request: web.Request, rec: RecordedRequest, gid: str, uid: str
    ) -> web.Response:
        g = self.get_guild(gid)
        m = next((m for m in (g or {}).get("members", []) if m["user"]["id"] == uid), None)
        if m is None:
            raise DiscordHTTPError(404, 10007, "Unknown Member")
        return json_response(200, m)
