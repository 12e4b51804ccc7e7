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


def installed_in_server(interaction: discord.Interaction[Any]) -> bool:
    """Used in a server the bot is installed to, not through an app a member installed to their
    own account: there Discord sends the server and the member's permissions in it, yet the
    server never let the bot in, and any member can make a server to be its administrator."""
    return interaction.is_guild_integration()


def is_moderator(interaction: discord.Interaction[Any], settings: Settings) -> bool:
    """In a server the bot is installed to, with a moderator role or the moderator
    permission."""
    if not installed_in_server(interaction):
        return False
    if role_ids(interaction) & set(settings.moderator_role_ids):
        return True
    permissions = interaction.permissions
    return permissions.administrator or bool(getattr(permissions, settings.moderator_permission))


def is_administrator(interaction: discord.Interaction[Any]) -> bool:
    """In a server the bot is installed to, with Administrator (to purge or reload)."""
    return installed_in_server(interaction) and interaction.permissions.administrator
