"""REST: who the bot is, its application, the Gateway URL, and empty answers."""

from __future__ import annotations

from aiohttp import web

from .. import payloads as P
from ..errors import DiscordHTTPError
from ..records import RecordedRequest
from ..responses import json_response


class IdentityRoutes:
    async def _get_me(self, request: web.Request, rec: RecordedRequest) -> web.Response:
        return json_response(200, {**self.bot_user, "verified": True, "mfa_enabled": False})

    async def _get_user(self, request: web.Request, rec: RecordedRequest, uid: str) -> web.Response:
        for g in self.guilds:
            for m in g["members"]:
                if m["user"]["id"] == uid:
                    return json_response(200, m["user"])
        raise DiscordHTTPError(404, 10013, "Unknown User")

    async def _create_dm(self, request: web.Request, rec: RecordedRequest) -> web.Response:
        """POST /users/@me/channels: the bot's DM channel with a user (one per user, as on
        Discord); the bot's messages to it are recorded like any channel's."""
        uid = str(rec.json_object.get("recipient_id"))
        user = next(
            (m["user"] for g in self.guilds for m in g["members"] if m["user"]["id"] == uid), None
        )
        if user is None:
            raise DiscordHTTPError(400, 50007, "Cannot send messages to this user")
        channel = next(
            (c for c in self.dm_channels.values() if c["recipients"][0]["id"] == uid), None
        )
        if channel is None:
            channel = P.dm_channel(P.snowflake(), user)
            self.dm_channels[channel["id"]] = channel
        return json_response(200, channel)

    async def _get_app(self, request: web.Request, rec: RecordedRequest) -> web.Response:
        return json_response(200, self.application)

    async def _get_gateway(self, request: web.Request, rec: RecordedRequest) -> web.Response:
        return json_response(
            200,
            {
                "url": self.gateway_url,
                "shards": self.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000 - self.gateway.identify_count,
                    "reset_after": 0,
                    "max_concurrency": self.max_concurrency,
                },
            },
        )

    async def _empty_list(
        self, request: web.Request, rec: RecordedRequest, **_: str
    ) -> web.Response:
        return json_response(200, [])

    async def _no_content(
        self, request: web.Request, rec: RecordedRequest, **_: str
    ) -> web.Response:
        return json_response(204)
