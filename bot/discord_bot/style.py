"""Discord's length limits and the bot's colour, shared by every module that builds a reply."""

from __future__ import annotations

import discord

DESCRIPTION_LIMIT = 4096
TITLE_LIMIT = 256
FIELD_LIMIT = 1024
URL_LIMIT = 2048
FOOTER_LIMIT = 2048
COLOUR = discord.Colour.blurple()
