"""The member's language: replies in the interaction's locale, commands localized for Discord.

Discord sends every interaction with the member's client language (``interaction.locale``);
replies are worded in it when it is shipped, in English otherwise. Command and option names,
descriptions and choices are :func:`command_text` strings, which :class:`CatalogTranslator`
turns into the ``name_localizations`` / ``description_localizations`` Discord shows each member.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.i18n.catalog import EN, Messages, messages_for


def words_for(interaction: discord.Interaction[Any]) -> Messages:
    """The bot's words in the language of the member who acted."""
    return messages_for(getattr(interaction.locale, "value", None))


def command_text(key: str) -> app_commands.locale_str:
    """A command's name, description or choice: English here, each shipped language through
    :class:`CatalogTranslator` when the commands are synced."""
    return app_commands.locale_str(EN(key), key=key)


class CatalogTranslator(app_commands.Translator):
    """Localizes the command definitions from the message catalog."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The catalog's text for ``locale``; ``None`` (Discord shows English) for English, a
        language not shipped, or a string with no catalog key."""
        key = string.extras.get("key")
        if not isinstance(key, str):
            return None
        return messages_for(locale.value).translated(key)
