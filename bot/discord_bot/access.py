"""Who may review the query log: checked on every use, whatever Discord's menu shows.

``default_permissions`` only hides commands, and server admins can override it per role or
channel, so the runtime check is what counts: a configured moderator role, or the configured
permission in the channel (Administrator implies every permission).
"""

from __future__ import annotations

from typing import Any

import discord

from bot.config import Settings


def moderator_permissions(settings: Settings) -> discord.Permissions:
    """The permission that hides /querylog from everyone else (``MODERATOR_PERMISSION``)."""
    name = settings.moderator_permission
    if name not in discord.Permissions.VALID_FLAGS:
        raise ValueError(f"MODERATOR_PERMISSION={name!r} is not a Discord permission name")
    return discord.Permissions(**{name: True})


def role_ids(interaction: discord.Interaction[Any]) -> set[int]:
    """The member's role ids, straight from the interaction (no role cache needed)."""
    user = interaction.user
    if not isinstance(user, discord.Member):
        return set()
    return set(user._roles)


def is_moderator(interaction: discord.Interaction[Any], settings: Settings) -> bool:
    """In a server, with a moderator role or the moderator permission."""
    if interaction.guild_id is None:
        return False
    if role_ids(interaction) & set(settings.moderator_role_ids):
        return True
    permissions = interaction.permissions
    return permissions.administrator or bool(getattr(permissions, settings.moderator_permission))


def is_administrator(interaction: discord.Interaction[Any]) -> bool:
    """In a server, with Administrator (needed to purge)."""
    return interaction.guild_id is not None and interaction.permissions.administrator
