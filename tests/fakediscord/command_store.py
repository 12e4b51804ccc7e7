"""The application commands a bot registered, global and per guild."""

from __future__ import annotations

from typing import Any

from . import payloads as P


class CommandStore:
    """Application commands registered by the bot: global ones and per guild."""

    def __init__(self) -> None:
        self.global_commands: dict[str, dict[str, Any]] = {}
        self.guild_commands: dict[str, dict[str, dict[str, Any]]] = {}
        self.version = 0

    def _bucket(self, guild_id: str | None) -> dict[str, dict[str, Any]]:
        if guild_id is None:
            return self.global_commands
        return self.guild_commands.setdefault(str(guild_id), {})

    def all(self) -> list[dict[str, Any]]:
        out = list(self.global_commands.values())
        for cmds in self.guild_commands.values():
            out += list(cmds.values())
        return out

    def names(self, guild_id: str | int | None = None) -> set[str]:
        return set(self._bucket(None if guild_id is None else str(guild_id)))

    def find(self, name: str, guild_id: str | int | None = None) -> dict[str, Any] | None:
        """Guild command first (like Discord's client), then global."""
        if guild_id is not None:
            cmd = self.guild_commands.get(str(guild_id), {}).get(name)
            if cmd is not None:
                return cmd
        return self.global_commands.get(name)

    def __contains__(self, name: object) -> bool:
        return any(c["name"] == name for c in self.all())

    def __getitem__(self, name: str) -> dict[str, Any]:
        for c in self.all():
            if c["name"] == name:
                return c
        raise KeyError(name)

    def __len__(self) -> int:
        return len(self.all())

    def _normalise(self, app_id: str, guild_id: str | None, body: dict[str, Any]) -> dict[str, Any]:
        old = self._bucket(guild_id).get(body.get("name", ""))
        self.version += 1
        cmd = {
            "id": old["id"] if old else P.snowflake(),
            "application_id": app_id,
            "version": str(self.version),
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            "contexts": None,
            "integration_types": [0],
            **body,
        }
        if guild_id is not None:
            cmd["guild_id"] = guild_id
        return cmd

    def put(self, app_id: str, guild_id: str | None, bodies: list[dict[str, Any]]) -> list[dict]:
        new = {b["name"]: self._normalise(app_id, guild_id, b) for b in bodies}
        bucket = self._bucket(guild_id)
        bucket.clear()
        bucket.update(new)
        return list(new.values())

    def upsert(self, app_id: str, guild_id: str | None, body: dict[str, Any]) -> tuple[dict, bool]:
        bucket = self._bucket(guild_id)
        existed = body.get("name") in bucket
        cmd = self._normalise(app_id, guild_id, body)
        bucket[cmd["name"]] = cmd
        return cmd, existed

    def by_id(self, guild_id: str | None, command_id: str) -> dict[str, Any] | None:
        return next((c for c in self._bucket(guild_id).values() if c["id"] == command_id), None)

    def delete(self, guild_id: str | None, command_id: str) -> bool:
        bucket = self._bucket(guild_id)
        for name, c in list(bucket.items()):
            if c["id"] == command_id:
                del bucket[name]
                return True
        return False
