"""Point discord.py at another REST API and Gateway (a rate-limit proxy, or the tests' fake)."""

from __future__ import annotations

import discord
import yarl


def point_discord_py_at(api_base: str | None, gateway_url: str | None) -> None:
    """Redirect discord.py's endpoints; ``None`` keeps Discord's own.

    ``Route.BASE`` prefixes every REST call, webhooks and interaction callbacks included. A plain
    ``commands.Bot`` never asks ``GET /gateway/bot``: it opens ``DEFAULT_GATEWAY`` directly, also
    after an INVALID_SESSION, so that is the attribute to change.
    """
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
