"""The payload Discord sends for an interaction: who, where, and the command's options.

``InteractionPayloads`` is a part of ``FakeDiscord`` (``server.py``).
"""

from __future__ import annotations

import contextlib
from typing import Any

from . import payloads as P

_OPTION_TYPES = {str: 3, int: 4, bool: 5, float: 10}


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()
"""Sentinel for ``guild_id``: the first guild. Pass ``guild_id=None`` for a DM."""


class InteractionPayloads:
    """Builds interaction payloads from test-friendly arguments."""

    def _context(
        self,
        user: dict[str, Any] | None,
        guild_id: Any,
        channel_id: Any,
        roles: list[str | int] | None,
        member_permissions: int | None,
    ) -> dict[str, Any]:
        """The user/member/guild/channel part shared by every interaction payload."""
        user = user or self.default_user
        if guild_id is DEFAULT:
            guild_id = self.guild_id
        base: dict[str, Any] = {
            "app_permissions": str(P.EVERYONE_PERMS),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": self.attachment_size_limit,
        }
        if guild_id is None:
            channel = P.dm_channel(channel_id or P.snowflake(), user)
            base.update(
                user=user,
                channel=channel,
                channel_id=channel["id"],
                context=1,
                authorizing_integration_owners={"1": user["id"]},
            )
            return base
        g = self.get_guild(guild_id)
        if g is None:
            raise KeyError(f"unknown guild {guild_id}")
        channel = self.get_channel(channel_id) if channel_id else None
        if channel is None:
            channel = next(c for c in g["channels"] if c["type"] == 0)
        role_ids = [self.role(r, g["id"])["id"] for r in roles or []]
        if member_permissions is None:
            member_permissions = 0
            for r in g["roles"]:
                if r["id"] == g["id"] or r["id"] in role_ids:
                    member_permissions |= int(r["permissions"])
            if user["id"] == g["owner_id"]:
                member_permissions = (1 << 53) - 1
        base.update(
            guild_id=g["id"],
            guild={"id": g["id"], "locale": g["preferred_locale"], "features": g["features"]},
            guild_locale=g["preferred_locale"],
            channel={**channel, "permissions": str(member_permissions)},
            channel_id=channel["id"],
            member=P.member(user, role_ids, permissions=member_permissions),
            context=0,
            authorizing_integration_owners={"0": g["id"]},
        )
        return base

    def _resolve_value(
        self, opt_type: int, value: Any, resolved: dict[str, dict[str, Any]], guild_id: Any
    ) -> Any:
        """Turn a test-friendly value into what Discord sends, filling ``resolved``."""
        if opt_type == 4:
            return int(value)
        if opt_type == 10:
            return float(value)
        if opt_type == 5:
            return bool(value)
        if opt_type == 3:
            return str(value)
        g = self.get_guild(guild_id) if guild_id else None
        if opt_type in (6, 9) and isinstance(value, dict) and "username" in value:
            resolved.setdefault("users", {})[value["id"]] = value
            if g is not None:
                m = next((m for m in g["members"] if m["user"]["id"] == value["id"]), None)
                m = {k: v for k, v in (m or P.member(value)).items() if k != "user"}
                resolved.setdefault("members", {})[value["id"]] = {**m, "permissions": "0"}
            return value["id"]
        if opt_type in (6, 9) and g is not None:
            m = next((m for m in g["members"] if m["user"]["id"] == str(value)), None)
            if m is not None:
                return self._resolve_value(opt_type, m["user"], resolved, guild_id)
        if opt_type in (8, 9) and g is not None:
            with contextlib.suppress(KeyError):
                r = self.role(value, g["id"])
                resolved.setdefault("roles", {})[r["id"]] = r
                return r["id"]
        if opt_type == 7:
            ch = self.get_channel(value)
            if ch is not None:
                resolved.setdefault("channels", {})[ch["id"]] = {
                    **ch,
                    "permissions": str(P.EVERYONE_PERMS),
                }
                return ch["id"]
        if opt_type == 11 and isinstance(value, dict):
            att = P.attachment(
                P.snowflake(),
                value.get("filename", "file.txt"),
                int(value.get("size", len(value.get("data", b"")))),
                value.get("content_type"),
                f"http://127.0.0.1:{self.port}",
            )
            resolved.setdefault("attachments", {})[att["id"]] = att
            return att["id"]
        return str(value)

    def _build_options(
        self,
        schema: list[dict[str, Any]],
        args: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        guild_id: Any,
        focused: str | None,
    ) -> list[dict[str, Any]]:
        out = []
        by_name = {o["name"]: o for o in schema}
        for name, value in args.items():
            spec = by_name.get(name)
            opt_type = spec["type"] if spec else _OPTION_TYPES.get(type(value), 3)
            opt: dict[str, Any] = {"name": name, "type": opt_type}
            if name == focused:
                # autocomplete sends what the user typed so far, unconverted
                opt["value"] = value if isinstance(value, str) else str(value)
                opt["focused"] = True
            else:
                opt["value"] = self._resolve_value(opt_type, value, resolved, guild_id)
            out.append(opt)
        return out

    def _command_data(
        self,
        name: str,
        options: dict[str, Any],
        guild_id: Any,
        focused: str | None,
    ) -> dict[str, Any]:
        parts = name.split()
        gid = self.guild_id if guild_id is DEFAULT else guild_id
        cmd = self.commands.find(parts[0], gid)
        resolved: dict[str, dict[str, Any]] = {}
        schema: list[dict[str, Any]] = cmd.get("options", []) if cmd else []
        chain: list[tuple[str, int]] = []
        for depth, sub in enumerate(parts[1:]):
            spec = next((o for o in schema if o["name"] == sub), None)
            sub_type = spec["type"] if spec else (2 if depth < len(parts) - 2 else 1)
            chain.append((sub, sub_type))
            schema = spec.get("options", []) if spec else []
        leaf = self._build_options(schema, options, resolved, gid, focused)
        for sub, sub_type in reversed(chain):
            leaf = [{"name": sub, "type": sub_type, "options": leaf}]
        data: dict[str, Any] = {
            "id": cmd["id"] if cmd else P.snowflake(),
            "name": parts[0],
            "type": 1,
            "options": leaf,
        }
        if cmd is not None and cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data
