"""``corpusbot run`` and ``sync``: the Discord bot itself, loaded only when asked for."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from bot.config import Settings, shard_problem

log = logging.getLogger(__name__)


def add_bot_commands(commands: Any) -> None:
    """Register ``run`` and ``sync`` on the ``corpusbot`` subcommands."""
    run = commands.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    run.add_argument(
        "--shard-count", type=int, metavar="N", help="shards in all (default: SHARD_COUNT)"
    )
    run.add_argument(
        "--shard-ids",
        type=_shard_list,
        metavar="0,1",
        help="the shards to run (default: SHARD_IDS, else all)",
    )
    run.add_argument(
        "--processes",
        type=int,
        metavar="P",
        help="run P bot processes over the shards, restarting one that dies",
    )
    run.set_defaults(handler=_run)

    sync = commands.add_parser("sync", help="push the slash-command definitions to Discord")
    sync.add_argument("--guild", type=int, help="sync to this server only (instant)")
    sync.set_defaults(handler=_sync)


def _shard_list(text: str) -> list[int]:
    """``--shard-ids 0,1,2`` as a list of shard numbers."""
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma list of shard numbers") from None


def _run(args: argparse.Namespace, settings: Settings) -> int:
    shard_count = args.shard_count if args.shard_count is not None else settings.shard_count
    shard_ids = args.shard_ids if args.shard_ids is not None else settings.shard_ids
    if args.processes is not None and shard_count is None:
        shard_count = args.processes  # one shard a process
        log.info("--processes %d without a shard count: one shard each", args.processes)
    if shard_count is not None and shard_count < 1:
        return _refuse("--shard-count must be at least 1")
    problem = shard_problem(shard_count, shard_ids)
    if problem:
        return _refuse(problem)
    if args.processes is not None:
        from bot.cluster import split_shards

        shards = shard_ids or list(range(shard_count or 1))
        try:
            split_shards(shards, args.processes)
        except ValueError as error:
            return _refuse(str(error))
        return _supervise(settings, shard_count or 1, shards, args.processes, args.verbose)
    from bot.discord_bot.runner import run

    return run(settings.model_copy(update={"shard_count": shard_count, "shard_ids": shard_ids}))


def _supervise(
    settings: Settings, shard_count: int, shard_ids: list[int], processes: int, verbose: bool
) -> int:
    from bot.cluster.supervisor import supervise
    from bot.discord_bot.runner import token_or_none

    if token_or_none(settings) is None:
        return 2
    # --corpus and -v reach the children as the settings they stand for
    environment = {**os.environ, "CORPUS_DIR": str(settings.corpus_dir)}
    if verbose:
        environment["LOG_LEVEL"] = "DEBUG"
    return supervise(shard_count, shard_ids, processes, environment)


def _refuse(problem: str) -> int:
    print(f"corpusbot run: {problem}", file=sys.stderr)
    return 2


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from bot.discord_bot.runner import sync

    return sync(settings, args.guild)
