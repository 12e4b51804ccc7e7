"""``import_site``: copy one web site's pages into a corpus folder, and keep the copy current.

The pages are those its sitemap lists, or else those reached by links from the start page,
on the start page's origin only, as far as robots.txt allows, one request at a time at a polite
rate, up to a page cap. Each page is written as it arrives (memory holds one page, plus the
URLs), with a canonical link naming its URL for citations. A re-run asks each page "changed
since?" (ETag, Last-Modified), rewrites only pages whose content changed, and deletes the files
of pages gone from the site."""

from __future__ import annotations

import hashlib
import logging
import zlib
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urljoin
from urllib.robotparser import RobotFileParser

from bot.corpus.site_import.fetch import Fetched, Fetcher, FetchError, Validators
from bot.corpus.site_import.folder import OutsideFolder, remove_page, target_path, write_atomically
from bot.corpus.site_import.pages import PageFacts, read_page, with_citation
from bot.corpus.site_import.progress import ImportProgress
from bot.corpus.site_import.sitemap import BadSitemap, Sitemap, parse_sitemap
from bot.corpus.site_import.state import SavedPage, SiteState
from bot.corpus.site_import.urls import (
    normalise,
    page_file,
    resolve_link,
    same_origin,
    site_origin,
    with_hash,
)

log = logging.getLogger(__name__)

ROBOTS_AGENT = "corpusbot"
USER_AGENT = "corpusbot/0.1 (site importer; honours robots.txt as corpusbot)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
GONE = frozenset({404, 410})
ROBOTS_MAX_BYTES = 512 * 1024
# The sitemap protocol's own limits: 50 MB uncompressed, 50,000 URLs; an index may name more.
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
MAX_SITEMAPS = 50


class ImportStopped(Exception):
    """The import cannot go on at all (robots.txt unreadable); the message says why."""


@dataclass(frozen=True)
class ImportOptions:
    """What to import, where to, and how politely."""

    start_url: str
    folder: Path
    max_pages: int = 5000
    requests_per_second: float = 2.0
    timeout_seconds: float = 30.0
    max_page_bytes: int = 5 * 1024 * 1024
    progress: bool | None = None  # None: on a terminal only


@dataclass
class ImportReport:
    """What an import did, for the closing summary."""

    site: str
    folder: Path
    found_by: str = "links"
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    skipped: int = 0
    not_fetched: int = 0
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        """Log one warning and keep it for the summary."""
        log.warning("%s", message)
        self.warnings.append(message)


async def import_site(options: ImportOptions) -> ImportReport:
    """Import the site at ``options.start_url`` into ``options.folder``; see the module."""
    origin = site_origin(options.start_url)
    start = normalise(options.start_url)
    assert start is not None  # site_origin checked it
    state = SiteState.open(options.folder, origin)
    report = ImportReport(site=origin, folder=options.folder)
    fetcher = Fetcher(
        origin,
        user_agent=USER_AGENT,
        requests_per_second=options.requests_per_second,
        timeout_seconds=options.timeout_seconds,
        max_bytes=options.max_page_bytes,
    )
    try:
        async with fetcher:
            robots = await _read_robots(fetcher, origin)
            delay = robots.crawl_delay(ROBOTS_AGENT)
            if delay:
                fetcher.slow_down(float(delay))
            listed = await _sitemap_pages(fetcher, origin, robots, report)
            if listed is not None:
                report.found_by = "sitemap"
            crawl = _Crawl(options, fetcher, robots, state, report)
            await crawl.run(listed if listed is not None else [start], listed is None)
    finally:
        state.close()
    return report


class _Crawl:
    """One pass over the site's pages: fetch, write what changed, then remove what is gone."""

    def __init__(
        self,
        options: ImportOptions,
        fetcher: Fetcher,
        robots: RobotFileParser,
        state: SiteState,
        report: ImportReport,
    ) -> None:
        self.options = options
        self.fetcher = fetcher
        self.robots = robots
        self.state = state
        self.report = report
        self.progress = ImportProgress(enabled=options.progress)
        self.claims = {page.file: page.url for page in state.pages.values()}
        self.finals: set[str] = set()
        self.kept: set[str] = set()
        self.gone: set[str] = set()

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets corpusbot fetch ``url``."""
        return self.robots.can_fetch(ROBOTS_AGENT, url)

    async def run(self, first: list[str], follow_links: bool) -> None:
        """Visit ``first`` (and, when ``follow_links``, every page they lead to)."""
        queue = deque(dict.fromkeys(first))
        seen = set(queue)
        done = 0
        while queue and done < self.options.max_pages:
            url = queue.popleft()
            if not self.allowed(url):
                self.report.skipped += 1
                self.gone.add(url)
                log.info("%s: disallowed by robots.txt, not fetched", url)
                continue
            links = await self.visit(url)
            done += 1
            if follow_links:
                for link in links:
                    if link not in seen:
                        seen.add(link)
                        queue.append(link)
            self.progress.update(
                done=done,
                known=min(len(seen), self.options.max_pages),
                written=self.report.new + self.report.changed,
                failed=self.report.failed,
            )
        self.progress.close()
        self.report.not_fetched = len(queue)
        if queue:
            self.report.warn(
                f"stopped at the page cap ({self.options.max_pages:,} pages, --max-pages); "
                f"{len(queue):,} more pages known were not fetched"
            )
        # Pages not reached are gone only if every page of the site was reached: the sitemap
        # names them all; a crawl of links knows them all only if it was not cut short.
        complete = not follow_links or not queue
        for url in list(self.state.pages):
            if url in self.gone or (complete and url not in self.kept):
                self.remove(url)

    async def visit(self, url: str) -> list[str]:
        """Fetch one page and bring its file up to date; returns the pages it links to."""
        previous = self.state.pages.get(url)
        validators = None
        if previous is not None and (self.options.folder / previous.file).is_file():
            validators = Validators(previous.final_url, previous.etag, previous.last_modified)
        try:
            fetched = await self.fetcher.get(url, validators=validators, allowed=self.allowed)
            return self.take(url, fetched, previous)
        except (FetchError, OutsideFolder) as error:
            self.report.failed += 1
            self.kept.add(url)  # a page that failed this time keeps its last copy
            self.report.warn(f"{url}: {error}")
            return []
        except OSError as error:
            raise OSError(f"cannot write a page into {self.options.folder}: {error}") from error

    def take(self, url: str, fetched: Fetched, previous: SavedPage | None) -> list[str]:
        """Act on one page's answer; returns the pages it links to."""
        if fetched.status == 304 and previous is not None:
            self.keep(url, previous, fetched)
            self.finals.add(previous.final_url)
            self.report.unchanged += 1
            saved = (self.options.folder / previous.file).read_bytes()
            return self.links_of(read_page(saved), previous.final_url)
        if fetched.status in GONE:
            self.gone.add(url)
            self.report.warn(f"{url}: {fetched.status} {_phrase(fetched.status)}, not imported")
            return []
        if fetched.status != 200:
            raise FetchError(f"the site answered {fetched.status} {_phrase(fetched.status)}")
        if fetched.content_type not in HTML_TYPES:
            self.report.skipped += 1
            self.gone.add(url)
            log.info("%s: %s, not a web page, skipped", url, fetched.content_type or "no type")
            return []
        if fetched.url in self.finals:  # a redirect to a page already imported this run
            self.gone.add(url)
            return []
        self.finals.add(fetched.url)
        return self.save(url, fetched, previous)

    def save(self, url: str, fetched: Fetched, previous: SavedPage | None) -> list[str]:
        """Write a fetched page if its content changed; returns the pages it links to."""
        body, charset = _utf8_if_utf16(fetched.body, fetched.charset)
        facts = read_page(body)
        digest = hashlib.sha256(body).hexdigest()
        file = self.file_for(url, fetched.url, previous)
        page = SavedPage(url, file, fetched.url, digest, fetched.etag, fetched.last_modified)
        if (
            previous is not None
            and (previous.file, previous.final_url, previous.sha256)
            == (file, page.final_url, digest)
            and (self.options.folder / file).is_file()
        ):
            self.keep(url, previous, fetched)
            self.report.unchanged += 1
            return self.links_of(facts, page.final_url)
        # A page's own relative canonical link is honoured; anything but http(s) is not.
        citation = normalise(urljoin(fetched.url, facts.canonical or "")) or fetched.url
        data = with_citation(body, facts, citation, charset)
        write_atomically(target_path(self.options.folder, file), data)
        if previous is not None and previous.file != file:
            remove_page(self.options.folder, previous.file)
        self.state.saved(page)
        self.kept.add(url)
        if previous is None:
            self.report.new += 1
        else:
            self.report.changed += 1
        return self.links_of(facts, page.final_url)

    def keep(self, url: str, previous: SavedPage, fetched: Fetched) -> None:
        """Keep a page's file; record new validators if the answer brought any."""
        self.kept.add(url)
        self.claims[previous.file] = url
        etag = fetched.etag or previous.etag
        modified = fetched.last_modified or previous.last_modified
        if (etag, modified) != (previous.etag, previous.last_modified):
            self.state.saved(
                SavedPage(url, previous.file, previous.final_url, previous.sha256, etag, modified)
            )

    def file_for(self, url: str, final_url: str, previous: SavedPage | None) -> str:
        """The page's file: its old one while its URL is the same, else one made from the URL."""
        if previous is not None and previous.final_url == final_url:
            return previous.file
        file = page_file(final_url)
        if self.claims.get(file, url) != url:
            file = with_hash(file, url)
        self.claims[file] = url
        return file

    def links_of(self, facts: PageFacts, page_url: str) -> list[str]:
        """The same-site pages a page links to (``javascript:``, ``mailto:`` and the like not)."""
        base = urljoin(page_url, facts.base) if facts.base else page_url
        found = (resolve_link(base, href, self.fetcher.origin) for href in facts.links)
        return [link for link in found if link is not None]

    def remove(self, url: str) -> None:
        """Delete a page's file (one gone from the site, or now disallowed)."""
        page = self.state.pages[url]
        if self.claims.get(page.file) in (None, url):
            remove_page(self.options.folder, page.file)
        self.state.removed(url)
        self.report.removed += 1


async def _read_robots(fetcher: Fetcher, origin: str) -> RobotFileParser:
    """The site's robots.txt rules: none if it has none; raises :class:`ImportStopped` if it
    cannot be read (the site may forbid everything, so nothing is fetched)."""
    robots = RobotFileParser(f"{origin}/robots.txt")
    try:
        fetched = await fetcher.get(f"{origin}/robots.txt", max_bytes=ROBOTS_MAX_BYTES)
    except FetchError as error:
        raise ImportStopped(
            f"cannot read {origin}/robots.txt ({error}), so cannot tell what the site allows"
        ) from None
    if fetched.status in (401, 403):  # the rules themselves are private: assume "none"
        robots.parse(["User-agent: *", "Disallow: /"])
    elif 400 <= fetched.status < 500:  # no robots.txt: no rules
        robots.parse([])
    elif fetched.status != 200:
        raise ImportStopped(f"{origin}/robots.txt answered {fetched.status}; try again later")
    else:
        robots.parse(fetched.body.decode("utf-8", "replace").splitlines())
    return robots


async def _sitemap_pages(
    fetcher: Fetcher, origin: str, robots: RobotFileParser, report: ImportReport
) -> list[str] | None:
    """The site's pages as its sitemaps list them, or ``None`` if it has no usable sitemap."""
    named = [normalise(url) for url in robots.site_maps() or []]
    todo = deque(url for url in named if url and same_origin(url, origin))
    default = f"{origin}/sitemap.xml"
    if not todo:
        todo.append(default)
    pages: dict[str, None] = {}
    seen: set[str] = set()
    elsewhere = 0
    while todo and len(seen) < MAX_SITEMAPS:
        url = todo.popleft()
        if url in seen:
            continue
        seen.add(url)
        listed = await _read_sitemap(fetcher, url, url != default, report)
        if listed is None:
            continue
        for location in listed.pages:
            page = normalise(location)
            if page is not None and same_origin(page, origin):
                pages[page] = None
            else:
                elsewhere += 1
        for location in listed.sitemaps:
            sitemap = normalise(location)
            if sitemap is not None and same_origin(sitemap, origin):
                todo.append(sitemap)
    if elsewhere:
        report.warn(f"the sitemap lists {elsewhere:,} URLs on other sites; they are not imported")
    if todo:
        report.warn(f"more than {MAX_SITEMAPS} sitemaps; only the first {MAX_SITEMAPS} are read")
    return list(pages) if pages else None


async def _read_sitemap(
    fetcher: Fetcher, url: str, named: bool, report: ImportReport
) -> Sitemap | None:
    """One sitemap file parsed, or ``None`` (with a warning unless it is just absent)."""
    try:
        fetched = await fetcher.get(url, max_bytes=SITEMAP_MAX_BYTES)
        if fetched.status != 200:
            if named or fetched.status not in GONE:
                report.warn(f"{url}: answered {fetched.status}, not read")
            return None
        return parse_sitemap(_gunzipped(fetched.body))
    except (FetchError, BadSitemap) as error:
        report.warn(f"{url}: {error}; the site's links are followed instead")
        return None


def _gunzipped(body: bytes) -> bytes:
    """A ``.xml.gz`` sitemap's XML, at most :data:`SITEMAP_MAX_BYTES` of it."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        xml = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, SITEMAP_MAX_BYTES + 1)
    except zlib.error as error:
        raise BadSitemap(f"not valid gzip ({error})") from None
    if len(xml) > SITEMAP_MAX_BYTES:
        raise BadSitemap(f"larger than {SITEMAP_MAX_BYTES:,} bytes once uncompressed")
    return xml


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "(an unknown status)"


def _utf8_if_utf16(body: bytes, charset: str | None) -> tuple[bytes, str | None]:
    """UTF-16 and UTF-32 pages as UTF-8, so the canonical link can be added as ASCII."""
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(codec, "replace").encode("utf-8"), "utf-8"
    return body, charset
