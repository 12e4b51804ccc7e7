"""What the fake records of the bot's traffic, for tests to assert on, and the type codes.

Requests, uploaded files, messages the bot made visible and interaction callbacks, each with a
monotonic timestamp so benchmarks can measure latency from dispatch to reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import payloads as P

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

    @property
    def json_object(self) -> dict[str, Any]:
        """The JSON body when it is an object (what message routes read), else an empty one."""
        return self.json if isinstance(self.json, dict) else {}


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
