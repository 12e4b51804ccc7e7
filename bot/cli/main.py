"""The ``corpusbot`` command: the bot's answers in the terminal, and operator tools."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.cli.log_commands import add_log_commands
from bot.config import Settings, invalid_settings
from bot.evaluation import register as register_eval
from bot.present.answers import hit_quote, render_response, render_source
from bot.search.loading import load_service
from bot.search.service import MAX_RESULTS, QueryTooLongError, SearchService

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
    quiet = args.command in {"ask", "source", "index"}
    level = "DEBUG" if args.verbose else ("WARNING" if quiet else settings.log_level.upper())
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.corpus:
        settings.corpus_dir = args.corpus
    try:
        return int(args.handler(args, settings))
    except BrokenPipeError:  # "corpusbot ... | head": the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (OSError, ValueError) as error:  # a file that cannot be read, bad data in it
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

    ask = commands.add_parser("ask", help="answer a question from the corpus, as the bot would")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("-k", "--results", type=int, default=3, help=f"how many (1–{MAX_RESULTS})")
    ask.add_argument("--json", action="store_true", help="machine-readable output")
    ask.set_defaults(handler=_ask)

    source = commands.add_parser("source", help="show a passage (or document) by id in full")
    source.add_argument("id", help="a passage id such as doc#2, or a document id")
    source.set_defaults(handler=_source)

    index = commands.add_parser("index", help="load the corpus and report what it holds")
    index.set_defaults(handler=_index)

    run = commands.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    run.set_defaults(handler=_run)

    sync = commands.add_parser("sync", help="push the slash-command definitions to Discord")
    sync.add_argument("--guild", type=int, help="sync to this server only (instant)")
    sync.set_defaults(handler=_sync)
    add_log_commands(commands)  # corpusbot log …: bot/log_cli.py
    register_eval(commands)
    return parser


def _load(settings: Settings) -> SearchService:
    return load_service(settings)


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.results <= MAX_RESULTS:
        print(f"corpusbot: -k must be between 1 and {MAX_RESULTS}", file=sys.stderr)
        return 2
    service = _load(settings)
    try:
        response = service.search(args.question, limit=args.results)
    except QueryTooLongError as error:
        print(f"corpusbot: {error}", file=sys.stderr)
        return 2
    if args.json:
        payload = {
            "query": response.query,
            "results": [
                {
                    "id": hit.passage.id,
                    "title": hit.passage.title,
                    "score": round(hit.score, 6),
                    "snippet": hit_quote(hit),
                    "text": hit.passage.text,
                }
                for hit in response.hits
            ],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(render_response(response))
    return 0


def _source(args: argparse.Namespace, settings: Settings) -> int:
    service = _load(settings)
    view = service.open(args.id)
    if view is None:
        closest = service.closest_ids(args.id)
        hint = f" Closest ids: {', '.join(closest)}." if closest else ""
        print(f"corpusbot: no passage or document has the id {args.id!r}.{hint}", file=sys.stderr)
        return 1
    print(render_source(view))
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.discord_bot.runner import run

    return run(settings)


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from bot.discord_bot.runner import sync

    return sync(settings, args.guild)


def _index(args: argparse.Namespace, settings: Settings) -> int:
    started = time.perf_counter()
    service = _load(settings)
    summary = service.summary
    print(f"corpus:     {settings.corpus_dir}")
    print(f"documents:  {summary.documents}")
    print(f"passages:   {summary.passages}")
    print(f"vocabulary: {summary.vocabulary} terms")
    for path, reason in summary.skipped:
        print(f"skipped:    {path} ({reason})")
    for path, reason in summary.repaired:
        print(f"repaired:   {path} ({reason})")
    print(f"time:       {time.perf_counter() - started:.3f} s")
    return 0
