"""REST: interaction callbacks, followups and the interaction webhook's messages."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import payloads as P
from ..errors import DiscordHTTPError, form_error
from ..interaction import FakeInteraction
from ..limits import check_choices, check_message_body
from ..records import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    CB_AUTOCOMPLETE,
    CB_DEFERRED_MESSAGE,
    CB_DEFERRED_UPDATE,
    CB_MESSAGE,
    CB_MODAL,
    CB_UPDATE_MESSAGE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    Callback,
    RecordedRequest,
)
from ..responses import json_response


class InteractionRoutes:
    def _interaction_for(self, app: str, token: str) -> FakeInteraction:
        ix = self._by_token.get(token)
        if ix is None or app != self.app_id:
            raise DiscordHTTPError(404, 10015, "Unknown Webhook")
        return ix

    async def _callback(
        self, request: web.Request, rec: RecordedRequest, iid: str, token: str
    ) -> web.Response:
        ix = self.interactions.get(iid)
        if ix is None or ix.token != token:
            raise DiscordHTTPError(404, 10062, "Unknown interaction")
        body = rec.json_object
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
            return json_response(204)
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
        return json_response(200, out)

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
                form_error(
                    "type", "Interaction response type invalid", "INTERACTION_RESPONSE_TYPE_INVALID"
                ),
            )
        if not self.validate:
            return
        if cb_type in (CB_MESSAGE, CB_UPDATE_MESSAGE):
            check_message_body(data, "data.")
        elif cb_type == CB_AUTOCOMPLETE:
            check_choices(data)

    async def _followup(
        self, request: web.Request, rec: RecordedRequest, app: str, token: str
    ) -> web.Response:
        ix = self._interaction_for(app, token)
        if ix.callback is None:
            raise DiscordHTTPError(404, 10015, "Unknown Webhook")
        body = rec.json_object
        if self.validate:
            check_message_body(body, "")
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
            return json_response(200, original) if wait else json_response(204)
        msg = self._new_message(
            body,
            rec.files,
            channel_id=ix.payload["channel_id"],
            guild_id=ix.payload.get("guild_id"),
            ix=ix,
        )
        self._record(ix, "followup", msg, body, rec.files, rec.at)
        return json_response(200, msg) if wait else json_response(204)

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
        return json_response(200, self._webhook_message(ix, mid))

    async def _edit_webhook_message(
        self, request: web.Request, rec: RecordedRequest, app: str, token: str, mid: str
    ) -> web.Response:
        ix = self._interaction_for(app, token)
        msg = self._webhook_message(ix, mid)
        body = rec.json_object
        if self.validate:
            check_message_body(body, "")
        self._apply_edit(msg, body, rec.files)
        self._record(ix, "edit", msg, body, rec.files, rec.at)
        return json_response(200, msg)

    async def _delete_webhook_message(
        self, request: web.Request, rec: RecordedRequest, app: str, token: str, mid: str
    ) -> web.Response:
        ix = self._interaction_for(app, token)
        msg = self._webhook_message(ix, mid)
        del self.messages[msg["id"]]
        self._record(ix, "delete", msg, {}, [], rec.at)
        return json_response(204)
