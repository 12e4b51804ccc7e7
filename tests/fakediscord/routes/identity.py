"""REST: who the bot is, its application, the Gateway URL, and empty answers."""

from __future__ import annotations

from aiohttp import web

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
