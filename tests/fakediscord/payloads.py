"""Builders for Discord API payloads shaped the way discord.py 2.x parses them.

Each builder fills every key discord.py reads with ``data['key']`` (not ``.get``),
so a missing field shows up here once instead of as a KeyError inside the bot.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits used by the default guild (see discord.Permissions).
PERM_ADMINISTRATOR = 1 << 3
PERM_MANAGE_GUILD = 1 << 5
PERM_MANAGE_MESSAGES = 1 << 13
PERM_VIEW_CHANNEL = 1 << 10
PERM_SEND_MESSAGES = 1 << 11
PERM_EMBED_LINKS = 1 << 14
PERM_ATTACH_FILES = 1 << 15
PERM_READ_HISTORY = 1 << 16
PERM_USE_APP_COMMANDS = 1 << 31
PERM_SEND_MESSAGES_IN_THREADS = 1 << 38
EVERYONE_PERMS = (
    PERM_VIEW_CHANNEL
    | PERM_SEND_MESSAGES
    | PERM_EMBED_LINKS
    | PERM_ATTACH_FILES
    | PERM_READ_HISTORY
    | PERM_USE_APP_COMMANDS
)
MODERATOR_PERMS = EVERYONE_PERMS | PERM_MANAGE_MESSAGES | PERM_MANAGE_GUILD

EPHEMERAL = 1 << 6
LOADING = 1 << 7

_counter = itertools.count()
_lock = threading.Lock()


def snowflake() -> str:
    """A unique, time-ordered snowflake string (Discord sends ids as strings)."""
    with _lock:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        # the low 22 bits (worker/process/increment) carry a counter so ids never collide
        return str((ms << 22) | (next(_counter) & 0x3FFFFF))


def snowflake_on_shard(shard_id: int, shard_count: int) -> str:
    """A unique snowflake whose guild would be on ``shard_id`` of ``shard_count``: its timestamp
    (the bits above 22, which Discord's ``(id >> 22) % shard_count`` reads) moved up to fit."""
    value = int(snowflake())
    ms = value >> 22
    ms += (shard_id - ms) % shard_count
    return str((ms << 22) | (value & 0x3FFFFF))


def iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def user(
    user_id: str | int | None = None,
    username: str = "tester",
    *,
    bot: bool = False,
    global_name: str | None = None,
) -> dict[str, Any]:
    return {
        "id": str(user_id or snowflake()),
        "username": username,
        "discriminator": "0",
        "global_name": global_name if global_name is not None else username,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
    }


def role(
    role_id: str | int,
    name: str,
    permissions: int,
    *,
    position: int = 0,
) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }


def text_channel(
    channel_id: str | int, guild_id: str | int, name: str = "general", *, position: int = 0
) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def forum_channel(
    channel_id: str | int,
    guild_id: str | int,
    name: str = "help",
    *,
    position: int = 0,
    permission_overwrites: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A GUILD_FORUM channel (type 15): it holds only threads, the forum's posts."""
    return {
        "id": str(channel_id),
        "type": 15,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": permission_overwrites or [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
        "available_tags": [],
        "default_reaction_emoji": None,
        "default_thread_rate_limit_per_user": 0,
        "default_sort_order": None,
        "default_forum_layout": 0,
        "default_auto_archive_duration": 1440,
    }


def thread(
    thread_id: str | int,
    guild_id: str | int,
    parent_id: str | int,
    owner_id: str | int,
    name: str,
    *,
    created_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """A PUBLIC_THREAD (type 11), as a forum post is: its id is also its first message's."""
    created = (created_at or dt.datetime.now(dt.UTC)).isoformat()
    return {
        "id": str(thread_id),
        "type": 11,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": str(thread_id),
        "rate_limit_per_user": 0,
        "message_count": 1,
        "member_count": 1,
        "total_message_sent": 1,
        "flags": 0,
        "applied_tags": [],
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": created,
            "locked": False,
            "create_timestamp": created,
        },
    }


def dm_channel(channel_id: str | int, recipient: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(channel_id), "type": 1, "recipients": [recipient], "last_message_id": None}


def member(
    user_payload: dict[str, Any],
    roles: list[str] | None = None,
    *,
    permissions: int | None = None,
    nick: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user": user_payload,
        "roles": [str(r) for r in roles or []],
        "nick": nick,
        "avatar": None,
        "banner": None,
        "joined_at": "2024-01-01T00:00:00+00:00",
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def guild(
    guild_id: str | int,
    name: str,
    owner_id: str | int,
    *,
    roles: list[dict[str, Any]],
    channels: list[dict[str, Any]],
    members: list[dict[str, Any]],
) -> dict[str, Any]:
    """A full GUILD_CREATE payload (what discord.py caches)."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "features": [],
        "emojis": [],
        "stickers": [],
        "roles": roles,
        "channels": channels,
        "threads": [],
        "members": members,
        "member_count": len(members),
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "large": False,
        "unavailable": False,
        "joined_at": "2024-01-01T00:00:00+00:00",
        "lazy": True,
        "application_id": None,
    }


def application(app_id: str, name: str, owner: dict[str, Any]) -> dict[str, Any]:
    """GET /oauth2/applications/@me: every key discord.AppInfo indexes directly."""
    return {
        "id": app_id,
        "name": name,
        "icon": None,
        "description": "fake application for tests",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "team": None,
        "verify_key": "0" * 64,
        "flags": 0,
        "summary": "",
        "tags": [],
        "approximate_guild_count": 1,
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "install_params": None,
        "integration_types_config": {"0": {}},
        "custom_install_url": None,
        "terms_of_service_url": None,
        "privacy_policy_url": None,
        "bot": owner,
    }


def message(
    *,
    message_id: str,
    channel_id: str,
    author: dict[str, Any],
    body: dict[str, Any],
    attachments: list[dict[str, Any]],
    application_id: str | None = None,
    webhook_id: str | None = None,
    guild_id: str | None = None,
    interaction_metadata: dict[str, Any] | None = None,
    msg_type: int = 0,
    referenced_message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message object as Discord returns it, built from the bot's request body."""
    data: dict[str, Any] = {
        "id": message_id,
        "type": msg_type,
        "channel_id": channel_id,
        "author": author,
        "content": body.get("content") or "",
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": attachments,
        "embeds": body.get("embeds") or [],
        "reactions": [],
        "pinned": False,
        "flags": int(body.get("flags") or 0),
        "components": body.get("components") or [],
        "sticker_items": [],
        "position": 0,
    }
    if application_id is not None:
        data["application_id"] = application_id
    if webhook_id is not None:
        data["webhook_id"] = webhook_id
    if guild_id is not None:
        data["guild_id"] = guild_id
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    if body.get("poll"):
        data["poll"] = body["poll"]
    if referenced_message is not None:
        # A reply (type 19): Discord names the message and embeds it as it is now.
        data["type"] = 19
        data["message_reference"] = {
            "type": 0,
            "message_id": referenced_message["id"],
            "channel_id": referenced_message["channel_id"],
            **({"guild_id": guild_id} if guild_id is not None else {}),
        }
        data["referenced_message"] = referenced_message
    return data


def attachment(att_id: str, filename: str, size: int, content_type: str | None, base: str) -> dict:
    url = f"{base}/attachments/{att_id}/{filename}"
    return {
        "id": att_id,
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
        "description": None,
        "ephemeral": False,
        "flags": 0,
    }


def iter_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten nested component trees (action rows, sections, containers)."""
    out: list[dict[str, Any]] = []
    stack = list(reversed(components or []))
    while stack:
        comp = stack.pop()
        out.append(comp)
        children = list(comp.get("components") or [])
        if comp.get("accessory"):
            children.append(comp["accessory"])
        if comp.get("component"):
            children.append(comp["component"])
        stack.extend(reversed(children))
    return out
