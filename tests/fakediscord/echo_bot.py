"""A minimal discord.py 2.x bot used to validate FakeDiscord (and as a fixed-reply baseline).

Run from the repo root with the fake's env vars set::

    python -m tests.fakediscord.echo_bot [--sync] [--sync-guild GUILD_ID]

Commands: /ping (replies ECHO_REPLY or "pong"), /secret (ephemeral), /counter
(button that edits the message), /fruit (autocomplete), /slow (defer, edit
@original, then a followup), /upload (file attachment), /tools echo and
/tools math add (subcommand group).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import signal
import sys

import discord
import yarl
from discord import app_commands
from discord.ext import commands

log = logging.getLogger("echo_bot")

FRUITS = ["apple", "apricot", "banana", "blueberry", "cherry", "grape", "lemon", "mango"]


def point_discord_py_at(api_base: str, gateway_url: str) -> None:
    """Redirect discord.py's REST and Gateway endpoints (e.g. to a local fake).

    ``Route.BASE`` is a plain str prefix ending in /api/v10 (webhooks and
    interaction callbacks use it too); ``DEFAULT_GATEWAY`` is a ``yarl.URL``
    that discord.py opens directly (it never calls GET /gateway/bot) and falls
    back to after an INVALID_SESSION, so both must be set before login.
    """
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class CounterView(discord.ui.View):
    """A per-message view: pressing the button edits the same message (callback type 7)."""

    def __init__(self, count: int = 0) -> None:
        super().__init__(timeout=600)
        self.count = count

    @discord.ui.button(label="+1", style=discord.ButtonStyle.primary, custom_id="echo:inc")
    async def inc(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.count += 1
        await interaction.response.edit_message(content=f"count: {self.count}", view=self)


class EchoBot(commands.Bot):
    def __init__(self, *, sync: bool, sync_guild: int | None) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.sync_on_start = sync
        self.sync_guild = sync_guild
        self.reply = os.environ.get("ECHO_REPLY", "pong")
        self.slow_delay = float(os.environ.get("ECHO_SLOW_DELAY", "0.2"))

    async def setup_hook(self) -> None:
        register(self)
        # Syncing is an explicit deploy step (--sync), never something on_ready does.
        if self.sync_on_start:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))
        if self.sync_guild:
            guild = discord.Object(self.sync_guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d guild commands to %s", len(synced), self.sync_guild)

    async def on_ready(self) -> None:
        print(f"echo_bot ready as {self.user} ({len(self.guilds)} guilds)", flush=True)

    async def on_resumed(self) -> None:
        print("echo_bot resumed", flush=True)


def register(bot: EchoBot) -> None:
    tree = bot.tree

    @tree.command(description="Reply with a fixed text")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(bot.reply)

    @tree.command(description="Reply only you can see")
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("only for you", ephemeral=True)

    @tree.command(description="A message with a button")
    async def counter(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("count: 0", view=CounterView())

    @tree.command(description="Pick a fruit (autocomplete)")
    @app_commands.describe(name="fruit name")
    async def fruit(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"you picked {name}")

    @fruit.autocomplete("name")
    async def fruit_complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f, value=f) for f in FRUITS if f.startswith(current)][:25]

    @tree.command(description="Defer, then edit the original response")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(bot.slow_delay)
        await interaction.edit_original_response(content="done")
        await interaction.followup.send("and one more thing", ephemeral=True)

    @tree.command(description="Reply with a file")
    async def upload(interaction: discord.Interaction) -> None:
        f = discord.File(io.BytesIO(b"hello file\n"), filename="hello.txt")
        embed = discord.Embed(title="A file", description="see attachment")
        await interaction.response.send_message("here", file=f, embed=embed)

    tools = app_commands.Group(name="tools", description="Subcommand examples")
    math = app_commands.Group(name="math", description="Arithmetic", parent=tools)

    @tools.command(name="echo", description="Echo text back")
    async def tools_echo(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text)

    @math.command(name="add", description="Add two integers")
    async def math_add(interaction: discord.Interaction, a: int, b: int) -> None:
        await interaction.response.send_message(f"{a} + {b} = {a + b}")

    tree.add_command(tools)

    if bot.sync_guild:

        @tree.command(description="Guild-only command", guild=discord.Object(bot.sync_guild))
        async def guildping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"guild pong {interaction.guild_id}")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sync", action="store_true", help="sync global commands at startup")
    parser.add_argument("--sync-guild", type=int, default=None, help="also sync guild commands")
    args = parser.parse_args(argv)

    discord.utils.setup_logging(level=logging.INFO)
    api_base = os.environ.get("DISCORD_API_BASE")
    gateway_url = os.environ.get("DISCORD_GATEWAY_URL")
    if api_base and gateway_url:
        point_discord_py_at(api_base, gateway_url)
    token = os.environ["DISCORD_TOKEN"]

    bot = EchoBot(sync=args.sync, sync_guild=args.sync_guild)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
    async with bot:
        await bot.start(token)
    print("echo_bot stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
