"""``corpusbot run`` and ``sync``: the Discord bot itself, loaded only when asked for."""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import Settings


def add_bot_commands(commands: Any) -> None:
    """Register ``run`` and ``sync`` on the ``corpusbot`` subcommands."""
    run = commands.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    run.set_defaults(handler=_run)

    sync = commands.add_parser("sync", help="push the slash-command definitions to Discord")
    sync.add_argument("--guild", type=int, help="sync to this server only (instant)")
    sync.set_defaults(handler=_sync)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.discord_bot.runner import run

    return run(settings)


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from bot.discord_bot.runner import sync

    return sync(settings, args.guild)
