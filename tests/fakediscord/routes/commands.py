"""REST: application commands, global and per guild."""

from __future__ import annotations

from aiohttp import web

from ..errors import DiscordHTTPError, invalid_body
from ..records import RecordedRequest
from ..responses import json_response


class CommandRoutes:
    def _check_app(self, app: str) -> None:
        if app != self.app_id:
            raise DiscordHTTPError(404, 10002, "Unknown Application")

    async def _list_commands(
        self, request: web.Request, rec: RecordedRequest, app: str, gid: str | None = None
    ) -> web.Response:
        self._check_app(app)
        return json_response(200, list(self.commands._bucket(gid).values()))

    async def _put_commands(
        self, request: web.Request, rec: RecordedRequest, app: str, gid: str | None = None
    ) -> web.Response:
        self._check_app(app)
        if not isinstance(rec.json, list):
            raise invalid_body("_root", "Expected a list")
        if len(rec.json) > 100:
            raise invalid_body("_root", "Must be 100 or fewer in length.")
        return json_response(200, self.commands.put(app, gid, rec.json))

    async def _post_command(
        self, request: web.Request, rec: RecordedRequest, app: str, gid: str | None = None
    ) -> web.Response:
        self._check_app(app)
        cmd, existed = self.commands.upsert(app, gid, rec.json or {})
        return json_response(200 if existed else 201, cmd)

    async def _get_command(
        self, request: web.Request, rec: RecordedRequest, app: str, cid: str, gid: str | None = None
    ) -> web.Response:
        self._check_app(app)
        cmd = self.commands.by_id(gid, cid)
        if cmd is None:
            raise DiscordHTTPError(404, 10063, "Unknown application command")
        return json_response(200, cmd)

    async def _patch_command(
        self, request: web.Request, rec: RecordedRequest, app: str, cid: str, gid: str | None = None
    ) -> web.Response:
        self._check_app(app)
        cmd = self.commands.by_id(gid, cid)
        if cmd is None:
            raise DiscordHTTPError(404, 10063, "Unknown application command")
        cmd.update(rec.json or {})
        return json_response(200, cmd)

    async def _delete_command(
        self, request: web.Request, rec: RecordedRequest, app: str, cid: str, gid: str | None = None
    ) -> web.Response:
        self._check_app(app)
        if not self.commands.delete(gid, cid):
            raise DiscordHTTPError(404, 10063, "Unknown application command")
        return json_response(204)
