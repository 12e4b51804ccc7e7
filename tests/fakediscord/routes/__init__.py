"""Discord's REST routes: the table of paths, and one module per resource family."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..errors import DiscordHTTPError
from ..records import REC_KEY
from ..responses import json_response
from .channels import ChannelRoutes
from .commands import CommandRoutes
from .identity import IdentityRoutes
from .interactions import InteractionRoutes


class RestRoutes(IdentityRoutes, CommandRoutes, InteractionRoutes, ChannelRoutes):
    """Finds the handler for a request's method and path, and checks its authorization."""

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
        return json_response(404, {"code": 0, "message": "404: Not Found"})

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
                ("POST", "/users/@me/channels", True, self._create_dm),
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
