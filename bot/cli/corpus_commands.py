"""``corpusbot ask``, ``source`` and ``index``: the bot's answers and the corpus in the terminal,
as exactly the Markdown Discord shows."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from bot.config import Settings
from bot.corpus.languages import language_code
from bot.present.answers import hit_quote, render_response, render_source
from bot.search.loading import BUILD_NOT_SAVED, load_service
from bot.search.service import MAX_RESULTS, QueryTooLongError, SearchHit

# These print what they were asked for and nothing else: the log shows only warnings.
QUIET_COMMANDS = frozenset({"ask", "source", "index"})


def add_corpus_commands(commands: Any) -> None:
    """Register ``ask``, ``source`` and ``index`` on the ``corpusbot`` subcommands."""
    ask = commands.add_parser("ask", help="answer a question from the corpus, as the bot would")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("-k", "--results", type=int, default=3, help=f"how many (1–{MAX_RESULTS})")
    ask.add_argument("--json", action="store_true", help="machine-readable output")
    ask.add_argument(
        "--lang",
        metavar="CODE",
        help="the question's language when it is too short to tell (en, de, pt-BR…), "
        "as a member's Discord locale is",
    )
    ask.set_defaults(handler=_ask)

    source = commands.add_parser("source", help="show a passage (or document) by id in full")
    source.add_argument("id", help="a passage id such as doc#2, or a document id")
    source.set_defaults(handler=_source)

    index = commands.add_parser("index", help="load the corpus and report what it holds")
    index.add_argument(
        "--full",
        action="store_true",
        help="build the index in full and save it, folding in the files changed since the "
        f"saved one (a merge), instead of laying them over it; exit status {BUILD_NOT_SAVED} "
        "when INDEX_CACHE_DIR is set but the build could not be saved there",
    )
    index.set_defaults(handler=_index)


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.results <= MAX_RESULTS:
        print(f"corpusbot: -k must be between 1 and {MAX_RESULTS}", file=sys.stderr)
        return 2
    if args.lang is not None and language_code(args.lang) is None:
        print(
            f"corpusbot: --lang {args.lang!r} is not a language code such as en, de or pt-BR",
            file=sys.stderr,
        )
        return 2
    service = load_service(settings)
    try:
        response = service.search(args.question, limit=args.results, locale=args.lang)
    except QueryTooLongError as error:
        print(f"corpusbot: {error}", file=sys.stderr)
        return 2
    if args.json:
        payload = {"query": response.query, "results": [_hit_json(hit) for hit in response.hits]}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(render_response(response))
    return 0


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    """One result for ``ask --json``; ``section`` and ``link`` only where the document has them."""
    passage = hit.passage
    result: dict[str, Any] = {
        "id": passage.id,
        "title": passage.title,
        "score": round(hit.score, 6),
        "snippet": hit_quote(hit),
        "text": passage.text,
    }
    if passage.section is not None:
        result["section"] = passage.section.label
    if passage.link is not None:
        result["link"] = passage.link
    return result


def _source(args: argparse.Namespace, settings: Settings) -> int:
    service = load_service(settings)
    view = service.open(args.id)
    if view is None:
        closest = service.closest_ids(args.id)
        hint = f" Closest ids: {', '.join(closest)}." if closest else ""
        print(f"corpusbot: no passage or document has the id {args.id!r}.{hint}", file=sys.stderr)
        return 1
    print(render_source(view))
    return 0


def _index(args: argparse.Namespace, settings: Settings) -> int:
    started = time.perf_counter()
    service = load_service(settings, layered=not args.full)
    summary = service.summary
    if service.layered:
        how = "the saved index with the files changed since laid over it"
    else:
        how = "saved" if service.snapshot.cached else "built"
    print(f"corpus:     {settings.corpus_dir}")
    print(f"index:      {how}")
    print(f"documents:  {summary.documents}")
    print(f"passages:   {summary.passages}")
    print(f"vocabulary: {summary.vocabulary} terms")
    by_language = sorted(service.passages_by_language.items(), key=lambda item: -item[1])
    languages = ", ".join(f"{code} {count}" for code, count in by_language)
    print(f"languages:  {languages or 'none'} (passages)")
    for path, reason in summary.skipped:
        print(f"skipped:    {path} ({reason})")
    for path, reason in summary.repaired:
        print(f"repaired:   {path} ({reason})")
    print(f"time:       {time.perf_counter() - started:.3f} s")
    cache = settings.index_cache_dir
    if args.full and cache is not None and service.snapshot.directory is None:
        # A bot runs this to build in a child process and then maps the saved build: a build
        # left in this process's memory is lost to it, and the warning above says why.
        print(f"corpusbot: the build could not be saved in {cache}", file=sys.stderr)
        return BUILD_NOT_SAVED
    return 0
