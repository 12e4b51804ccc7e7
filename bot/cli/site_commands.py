"""``corpusbot import-site``: copy a documentation site into the corpus folder."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.corpus.site_import import (
    BadSiteUrl,
    ForeignFolder,
    ImportOptions,
    ImportReport,
    ImportStopped,
    import_site,
)
from bot.corpus.site_import.urls import site_folder_name, site_origin

# Warnings and the progress line are all it shows on stderr; the summary goes to stdout.
QUIET_SITE_COMMANDS = frozenset({"import-site"})


def add_site_commands(commands: Any) -> None:
    """Register ``import-site`` on the ``corpusbot`` subcommands."""
    site = commands.add_parser(
        "import-site",
        help="copy a web site's pages into the corpus folder (re-run to update it)",
        description=(
            "Copy the pages of one site (its sitemap's, else those its links reach from URL) "
            "into a corpus folder as HTML files that cite their URLs. Re-running it rewrites "
            "only changed pages and removes pages gone from the site."
        ),
    )
    site.add_argument("url", help="the site's start page, e.g. https://docs.example.com/")
    site.add_argument(
        "--into",
        type=Path,
        help="the folder to copy into (default: a folder named after the site in the corpus)",
    )
    site.add_argument(
        "--max-pages", type=int, help="fetch at most this many pages (IMPORT_SITE_MAX_PAGES)"
    )
    site.add_argument(
        "--rate",
        type=float,
        help="requests per second at most (IMPORT_SITE_REQUESTS_PER_SECOND)",
    )
    site.set_defaults(handler=_import_site)


def _import_site(args: argparse.Namespace, settings: Settings) -> int:
    if args.max_pages is not None and args.max_pages < 1:
        print("corpusbot: --max-pages must be at least 1", file=sys.stderr)
        return 2
    if args.rate is not None and not 0 < args.rate <= 100:
        print("corpusbot: --rate must be more than 0 and at most 100", file=sys.stderr)
        return 2
    try:
        folder = args.into or settings.corpus_dir / site_folder_name(site_origin(args.url))
        report = asyncio.run(import_site(_options(args, settings, folder)))
    except (BadSiteUrl, ForeignFolder, ImportStopped) as error:
        print(f"corpusbot: {error}", file=sys.stderr)
        return 2
    print(_summary(report))
    return 0


def _options(args: argparse.Namespace, settings: Settings, folder: Path) -> ImportOptions:
    return ImportOptions(
        start_url=args.url,
        folder=folder,
        max_pages=args.max_pages or settings.import_site_max_pages,
        requests_per_second=args.rate or settings.import_site_requests_per_second,
        timeout_seconds=settings.import_site_timeout_seconds,
        max_page_bytes=settings.import_site_max_page_bytes,
    )


def _summary(report: ImportReport) -> str:
    found_by = "its sitemap" if report.found_by == "sitemap" else "following its links"
    lines = [
        f"site:     {report.site} ({found_by})",
        f"folder:   {report.folder}",
        f"pages:    {report.new:,} new, {report.changed:,} changed, "
        f"{report.unchanged:,} unchanged, {report.removed:,} removed",
    ]
    if report.failed or report.skipped or report.not_fetched:
        lines.append(
            f"not read: {report.failed:,} failed, {report.skipped:,} skipped "
            f"(robots.txt or not a web page), {report.not_fetched:,} past the page cap"
        )
    if report.warnings:
        lines.append(f"warnings: {len(report.warnings):,} (above)")
    return "\n".join(lines)
