"""Discord's documented size limits, hand-written (checked on top of the OpenAPI spec)."""

from __future__ import annotations

from typing import Any

from . import payloads as P
from .errors import invalid_body


def check_message_body(body: dict[str, Any], prefix: str) -> None:
    """Discord's documented size limits; a bot that exceeds them gets a 400 like in prod."""
    content = body.get("content")
    if content is not None and len(str(content)) > 2000:
        raise invalid_body(f"{prefix}content", "Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise invalid_body(f"{prefix}embeds", "Must be 10 or fewer in length.")
    total = 0
    for i, e in enumerate(embeds):
        limits = {"title": 256, "description": 4096}
        for key, limit in limits.items():
            val = e.get(key) or ""
            total += len(val)
            if len(val) > limit:
                raise invalid_body(
                    f"{prefix}embeds.{i}.{key}", f"Must be {limit} or fewer in length."
                )
        fields = e.get("fields") or []
        if len(fields) > 25:
            raise invalid_body(f"{prefix}embeds.{i}.fields", "Must be 25 or fewer in length.")
        for j, f in enumerate(fields):
            name, value = str(f.get("name") or ""), str(f.get("value") or "")
            total += len(name) + len(value)
            if not name or len(name) > 256:
                raise invalid_body(f"{prefix}embeds.{i}.fields.{j}.name", "1-256 characters.")
            if not value or len(value) > 1024:
                raise invalid_body(f"{prefix}embeds.{i}.fields.{j}.value", "1-1024 characters.")
        footer = (e.get("footer") or {}).get("text") or ""
        author = (e.get("author") or {}).get("name") or ""
        total += len(footer) + len(author)
        if len(footer) > 2048:
            raise invalid_body(f"{prefix}embeds.{i}.footer.text", "Must be 2048 or fewer.")
        if len(author) > 256:
            raise invalid_body(f"{prefix}embeds.{i}.author.name", "Must be 256 or fewer.")
    if total > 6000:
        raise invalid_body(f"{prefix}embeds", "Embed size exceeds maximum size of 6000")
    components = body.get("components") or []
    flags = int(body.get("flags") or 0)
    if not flags & (1 << 15):  # not components v2: classic limit of 5 rows x 5
        if len(components) > 5:
            raise invalid_body(f"{prefix}components", "Must be 5 or fewer in length.")
        for i, row in enumerate(components):
            if len(row.get("components") or []) > 5:
                raise invalid_body(f"{prefix}components.{i}.components", "Must be 5 or fewer.")
    for comp in P.iter_components(components):
        if len(str(comp.get("custom_id") or "")) > 100:
            raise invalid_body(f"{prefix}components", "custom_id must be 100 or fewer in length.")
        if comp.get("type") == 2 and len(str(comp.get("label") or "")) > 80:
            raise invalid_body(f"{prefix}components", "label must be 80 or fewer in length.")


def check_choices(data: dict[str, Any]) -> None:
    choices = data.get("choices") or []
    if len(choices) > 25:
        raise invalid_body("data.choices", "Must be 25 or fewer in length.")
    for i, c in enumerate(choices):
        if not 1 <= len(str(c.get("name", ""))) <= 100:
            raise invalid_body(f"data.choices.{i}.name", "Must be between 1 and 100 in length.")
        if isinstance(c.get("value"), str) and len(c["value"]) > 100:
            raise invalid_body(f"data.choices.{i}.value", "Must be 100 or fewer in length.")
