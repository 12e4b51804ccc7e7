"""The ``corpusbot`` command: the bot's answers in the terminal, and operator tools."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.cli.bot_commands import add_bot_commands
from bot.cli.corpus_commands import QUIET_COMMANDS, add_corpus_commands
from bot.cli.log_commands import add_log_commands
from bot.cli.site_commands import QUIET_SITE_COMMANDS, add_site_commands
from bot.config import Settings, invalid_settings
from bot.evaluation import register as register_eval
from bot.observability.logs import configure_logging, secret_values
from bot.snapshot.worker_pool import BuildWorkerLost

log = logging.getLogger("corpusbot")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``corpusbot`` subcommand; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        for problem in invalid_settings(error):
            print(f"corpusbot: bad setting: {problem}", file=sys.stderr)
        return 2
    quiet = args.command in QUIET_COMMANDS | QUIET_SITE_COMMANDS
    level = "DEBUG" if args.verbose else ("WARNING" if quiet else settings.log_level.upper())
    configure_logging(level, settings.log_format, secret_values(settings))
    if args.corpus:
        settings.corpus_dir = args.corpus
    try:
        return int(args.handler(args, settings))
    except BrokenPipeError:  # "corpusbot ... | head": the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    # A file that cannot be read, bad data in it, a build's worker killed (out of memory).
    except (OSError, ValueError, BuildWorkerLost) as error:
        logging.getLogger(__name__).debug("failed", exc_info=error)  # the traceback with -v
        print(f"corpusbot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="corpusbot", description=__doc__)
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: CORPUS_DIR or seeds/)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    commands = parser.add_subparsers(dest="command", required=True)

    add_corpus_commands(commands)
    add_site_commands(commands)
    add_bot_commands(commands)
    add_log_commands(commands)
    register_eval(commands)
    return parser
