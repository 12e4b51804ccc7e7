"""/corpus-help forum add|remove|list: a server's administrators pick its help forums, stored
in the query-log database (off by default); ``_posts`` answers the posts."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_bot.access import is_administrator
from bot.discord_bot.language import command_text, words_for
from bot.discord_bot.respond import notice, send
from bot.querylog.database import LogDatabase
from bot.querylog.forums import add_forum, enabled_forums, remove_forum


class ForumOption(app_commands.Transformer):
    """A forum channel option: Discord offers forums only (discord.py's ``ForumChannel``
    would ask for media channels too, which help forums are not)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        """A channel option."""
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        """Forums only."""
        return [discord.ChannelType.forum]

    async def transform(
        self, interaction: discord.Interaction[Any], value: Any, /
    ) -> app_commands.AppCommandChannel:
        """The channel as the interaction resolved it (no cache needed)."""
        if not isinstance(value, app_commands.AppCommandChannel):
            raise app_commands.TransformerError(value, self.type, self)
        return value


Forum = app_commands.Transform[app_commands.AppCommandChannel, ForumOption]


@app_commands.guild_only()
@app_commands.default_permissions(administrator=True)
class HelpForumCommandsCog(
    commands.GroupCog,
    name="HelpForumCommandsCog",
    group_name=command_text("command.corpus_help.name"),
    group_description=command_text("command.corpus_help.description"),
):
    """/corpus-help forum add|remove|list (administrators only; every reply private)."""

    forum = app_commands.Group(
        name=command_text("command.corpus_help.forum.name"),
        description=command_text("command.corpus_help.forum.description"),
    )

    def __init__(self, db: LogDatabase) -> None:
        self.db = db
        super().__init__()

    # --- /corpus-help forum ------------------------------------------------------------------

    @forum.command(
        name=command_text("command.corpus_help.forum.add.name"),
        description=command_text("command.corpus_help.forum.add.description"),
    )
    @app_commands.rename(channel=command_text("option.forum.name"))
    @app_commands.describe(channel=command_text("option.forum.description"))
    async def add(self, interaction: discord.Interaction[Any], channel: Forum) -> None:
        """Answer new posts in ``channel``."""
        guild_id, admin = interaction.guild_id, interaction.user.id
        if guild_id is None or await self._refused(interaction):
            return
        added = await self.db.write(lambda conn: add_forum(conn, guild_id, channel.id, admin))
        key = "help.forum_added" if added else "help.forum_already"
        await self._tell(interaction, words_for(interaction)(key, channel=channel.mention))

    @forum.command(
        name=command_text("command.corpus_help.forum.remove.name"),
        description=command_text("command.corpus_help.forum.remove.description"),
    )
    @app_commands.rename(channel=command_text("option.forum.name"))
    @app_commands.describe(channel=command_text("option.forum.description"))
    async def remove(self, interaction: discord.Interaction[Any], channel: Forum) -> None:
        """Stop answering posts in ``channel``."""
        guild_id = interaction.guild_id
        if guild_id is None or await self._refused(interaction):
            return
        removed = await self.db.write(lambda conn: remove_forum(conn, guild_id, channel.id))
        key = "help.forum_removed" if removed else "help.forum_not_enabled"
        await self._tell(interaction, words_for(interaction)(key, channel=channel.mention))

    @forum.command(
        name=command_text("command.corpus_help.forum.list.name"),
        description=command_text("command.corpus_help.forum.list.description"),
    )
    async def list_forums(self, interaction: discord.Interaction[Any]) -> None:
        """The server's help forums."""
        guild_id = interaction.guild_id
        if guild_id is None or await self._refused(interaction):
            return
        forums = await self.db.read(lambda conn: enabled_forums(conn, guild_id))
        words = words_for(interaction)
        if not forums:
            await self._tell(interaction, words("help.no_forums"))
            return
        mentions = ", ".join(f"<#{forum_id}>" for forum_id in forums)
        await self._tell(interaction, words("help.forums", forums=mentions))

    async def _refused(self, interaction: discord.Interaction[Any]) -> bool:
        """Refuse privately unless an administrator of a server the bot is installed to: the
        menu's ``default_permissions`` only hides the commands."""
        if is_administrator(interaction):
            return False
        await self._tell(interaction, words_for(interaction)("help.administrators_only"))
        return True

    async def _tell(self, interaction: discord.Interaction[Any], text: str) -> None:
        await send(interaction, notice(text), ephemeral=True)
