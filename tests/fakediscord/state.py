"""The fake's Discord: guilds, channels, roles, members, messages and interactions.

``DiscordState`` is a part of ``FakeDiscord`` (``server.py``), which sets its attributes up.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from . import payloads as P
from .interaction import FakeInteraction
from .records import APPLICATION_COMMAND, RecordedFile, RecordedMessage


class DiscordState:
    """Guilds and their members, messages and the interactions they answer."""

    # -- setup ------------------------------------------------------------------

    def _default_guild(self, guild_id: str | int | None) -> dict[str, Any]:
        return self._new_guild("Fake Guild", self.owner_user, [self.default_user], guild_id)

    def _new_guild(
        self,
        name: str,
        owner: dict[str, Any],
        others: list[dict[str, Any]],
        guild_id: str | int | None = None,
    ) -> dict[str, Any]:
        """A guild with @everyone and Moderator roles, two text channels, the bot and
        ``owner`` (every permission) and ``others`` as members."""
        gid = str(guild_id) if guild_id is not None else P.snowflake()
        everyone = P.role(gid, "@everyone", P.EVERYONE_PERMS)
        moderator = P.role(P.snowflake(), "Moderator", P.MODERATOR_PERMS, position=1)
        general = P.text_channel(P.snowflake(), gid, "general")
        log_channel = P.text_channel(P.snowflake(), gid, "bot-log", position=1)
        members = [P.member(self.bot_user), *(P.member(u) for u in (owner, *others))]
        return P.guild(
            gid,
            name,
            owner["id"],
            roles=[everyone, moderator],
            channels=[general, log_channel],
            members=members,
        )

    def add_guild(
        self,
        name: str = "Second Guild",
        owner: dict[str, Any] | None = None,
        guild_id: str | int | None = None,
    ) -> dict[str, Any]:
        """Another guild the bot is in, owned by ``owner`` (a new user by default); sent on the
        next IDENTIFY, so add it before the bot connects. Interactions take its ``id`` as
        ``guild_id``."""
        owner = owner or P.user(P.snowflake(), "second owner")
        new = self._new_guild(name, owner, [], guild_id)
        self.guilds.append(new)
        return new

    @property
    def guild(self) -> dict[str, Any]:
        """The first (default) guild."""
        return self.guilds[0]

    @property
    def guild_id(self) -> str:
        return str(self.guild["id"])

    @property
    def channel(self) -> dict[str, Any]:
        """The default guild's first text channel."""
        return next(c for c in self.guild["channels"] if c["type"] == 0)

    def get_guild(self, guild_id: Any) -> dict[str, Any] | None:
        return next((g for g in self.guilds if g["id"] == str(guild_id)), None)

    def get_channel(self, channel_id: Any) -> dict[str, Any] | None:
        """A guild channel, a thread (a forum post) or the bot's DM channel, by id."""
        for g in self.guilds:
            for c in g["channels"]:
                if c["id"] == str(channel_id):
                    return c
        return self.threads.get(str(channel_id)) or self.dm_channels.get(str(channel_id))

    def add_forum(
        self, name: str = "help", guild_id: Any = None, *, denied_to_bot: int = 0
    ) -> dict[str, Any]:
        """A forum channel (type 15) in a guild's cached payload (sent on the next IDENTIFY, so
        add it before the bot connects). ``denied_to_bot`` permission bits are denied to the bot
        by an overwrite, which Discord's REST enforces too (see :meth:`bot_denied`)."""
        g = self._guild_or_default(guild_id)
        overwrites = []
        if denied_to_bot:
            overwrites.append(
                {"id": self.bot_user["id"], "type": 1, "allow": "0", "deny": str(denied_to_bot)}
            )
        forum = P.forum_channel(
            P.snowflake(),
            g["id"],
            name,
            position=len(g["channels"]),
            permission_overwrites=overwrites,
        )
        g["channels"].append(forum)
        return forum

    def bot_denied(self, channel: dict[str, Any], permission: int) -> bool:
        """Whether an overwrite on the channel (on its parent, for a thread) denies the bot
        ``permission``."""
        parent = self.get_channel(channel["parent_id"]) if channel.get("type") == 11 else channel
        for overwrite in (parent or channel).get("permission_overwrites") or []:
            if overwrite["id"] == self.bot_user["id"] and int(overwrite["deny"]) & permission:
                return True
        return False

    def member_message(
        self, channel_id: Any, content: str, user: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A message a member posted (the bot is not told: it has no message intents)."""
        channel = self.get_channel(channel_id)
        assert channel is not None, f"unknown channel {channel_id}"
        return self._member_message(P.snowflake(), channel, content, user or self.default_user)

    def _member_message(
        self, message_id: str, channel: dict[str, Any], content: str, user: dict[str, Any]
    ) -> dict[str, Any]:
        msg = P.message(
            message_id=message_id,
            channel_id=channel["id"],
            author=user,
            body={"content": content},
            attachments=[],
            guild_id=channel.get("guild_id"),
        )
        self.messages[message_id] = msg
        return msg

    def new_forum_post(
        self,
        forum: dict[str, Any],
        title: str,
        content: str,
        user: dict[str, Any] | None = None,
        *,
        created_at: Any = None,
    ) -> dict[str, Any]:
        """A post in a forum: a thread and its first message, which share an id."""
        user = user or self.default_user
        post_id = P.snowflake()
        thread = P.thread(
            post_id, forum["guild_id"], forum["id"], user["id"], title, created_at=created_at
        )
        self.threads[post_id] = thread
        self._member_message(post_id, thread, content, user)
        return thread

    def _guild_or_default(self, guild_id: Any) -> dict[str, Any]:
        """The guild with ``guild_id``; the default guild for ``None``."""
        g = self.get_guild(guild_id) if guild_id is not None else self.guild
        assert g is not None, f"unknown guild {guild_id}"
        return g

    def role(self, name_or_id: str | int, guild_id: Any = None) -> dict[str, Any]:
        g = self._guild_or_default(guild_id)
        for r in g["roles"]:
            if r["name"] == name_or_id or r["id"] == str(name_or_id):
                return r
        raise KeyError(name_or_id)

    def make_user(self, username: str = "tester", user_id: str | int | None = None) -> dict:
        """A new human user payload (not yet a guild member; interactions embed it)."""
        return P.user(user_id, username)

    def add_member(
        self, user: dict[str, Any], roles: list[str | int] = (), guild_id: Any = None
    ) -> dict[str, Any]:
        """Add a member to a guild's cached payload (sent on the next IDENTIFY)."""
        g = self._guild_or_default(guild_id)
        m = P.member(user, [self.role(r, g["id"])["id"] for r in roles])
        g["members"].append(m)
        g["member_count"] = len(g["members"])
        return m

    def _attachments_from(
        self, body: dict[str, Any], files: list[RecordedFile], existing: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Map the body's ``attachments`` (ids = upload index or kept ids) to stored ones."""
        by_field = {f.field: f for f in files}
        base = f"http://127.0.0.1:{self.port}"
        if "attachments" not in body:
            out = list(existing)
            for i, f in enumerate(files):
                f2 = by_field.get(f"files[{i}]", f)
                out.append(
                    P.attachment(P.snowflake(), f2.filename, len(f2.data), f2.content_type, base)
                )
            return out
        out = []
        kept = {a["id"]: a for a in existing}
        for a in body["attachments"] or []:
            aid = str(a.get("id"))
            f = by_field.get(f"files[{aid}]")
            if f is not None:
                att = P.attachment(
                    P.snowflake(),
                    a.get("filename") or f.filename,
                    len(f.data),
                    f.content_type,
                    base,
                )
                if a.get("description"):
                    att["description"] = a["description"]
                out.append(att)
            elif aid in kept:
                out.append(kept[aid])
        return out

    def _new_message(
        self,
        body: dict[str, Any],
        files: list[RecordedFile],
        *,
        channel_id: str,
        guild_id: str | None,
        ix: FakeInteraction | None,
        flags: int | None = None,
        referenced: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        mid = P.snowflake()
        meta = None
        if ix is not None:
            u = ix.payload.get("member", {}).get("user") or ix.payload.get("user")
            meta = {
                "id": ix.id,
                "type": ix.type,
                "user": u,
                "authorizing_integration_owners": ix.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
        msg = P.message(
            message_id=mid,
            channel_id=channel_id,
            author=self.bot_user,
            body=body,
            attachments=self._attachments_from(body, files, []),
            application_id=self.app_id if ix else None,
            webhook_id=self.app_id if ix else None,
            guild_id=guild_id,
            interaction_metadata=meta,
            msg_type=20 if ix is not None and ix.type == APPLICATION_COMMAND else 0,
            referenced_message=referenced,
        )
        if flags is not None:
            msg["flags"] = flags
        self.messages[mid] = msg
        return msg

    def _apply_edit(
        self, msg: dict[str, Any], body: dict[str, Any], files: list[RecordedFile]
    ) -> None:
        for key in ("content", "embeds", "components", "poll"):
            if key in body:
                msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if "flags" in body and body["flags"] is not None:
            # ephemeral/loading bits cannot be changed by an edit
            keep = int(msg.get("flags") or 0) & P.EPHEMERAL
            msg["flags"] = (int(body["flags"]) & ~P.LOADING) | keep
        else:
            msg["flags"] = int(msg.get("flags") or 0) & ~P.LOADING
        if "attachments" in body or files:
            msg["attachments"] = self._attachments_from(body, files, msg.get("attachments", []))
        msg["edited_timestamp"] = P.iso_now()

    def _record(
        self,
        ix: FakeInteraction | None,
        kind: str,
        msg: dict[str, Any],
        body: dict[str, Any],
        files: list[RecordedFile],
        at: float,
    ) -> RecordedMessage:
        rm = RecordedMessage(
            kind=kind,
            message_id=msg["id"],
            body=body,
            message=json.loads(json.dumps(msg)),
            files=files,
            at=at,
            interaction_id=ix.id if ix else None,
        )
        if ix is not None:
            ix.messages.append(rm)
            ix._notify()
        else:
            self.channel_messages.append(rm)
        return rm

    def _register_interaction(
        self, itype: int, data: dict[str, Any], ctx: dict[str, Any]
    ) -> FakeInteraction:
        payload = {
            "id": P.snowflake(),
            "application_id": self.app_id,
            "type": itype,
            "data": data,
            "token": f"ixtoken.{secrets.token_urlsafe(32)}",
            "version": 1,
            **ctx,
        }
        ix = FakeInteraction(self, payload)
        self.interactions[ix.id] = ix
        self._by_token[ix.token] = ix
        return ix
