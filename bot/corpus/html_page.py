"""HTML pages: the main content only (trafilatura finds it: no navigation, header, footer,
banners, scripts or styles), titled from ``<title>`` or the first ``<h1>``, one section per
heading, linked through the page's canonical URL and the heading's anchor."""

from __future__ import annotations

import codecs
import logging
import re
import urllib.parse
from collections import defaultdict, deque
from collections.abc import Iterator

import lxml.html
from lxml import etree

from bot.corpus.documents import (
    CorpusLoad,
    Document,
    Refused,
    collapse_title,
    document_id,
    title_from_text,
)
from bot.corpus.sections import SectionedText
from bot.corpus.text import collapse_whitespace

HTML_SUFFIXES = frozenset({".html", ".htm"})
# Finding a page's main content costs time in proportion to its size and, more, to its number of
# elements (about 0.3 ms an element for a page of nested <div>s, measured on the 2-core machine).
# A documentation page is well under both bounds; a page over them (a hostile 50 MB one, an
# archive of a whole forum) is skipped with a warning, never left to take minutes.
MAX_PAGE_BYTES = 8 * 1024 * 1024
MAX_PAGE_ELEMENTS = 30_000
MAX_URL_CHARS = 2048
NO_HTML = "no HTML content in the page"
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_HEADING_LEVEL = re.compile(r"h([1-6])")
# A <meta charset> (or http-equiv content type) near the top: libxml2 then decodes as it says.
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}charset\s*=", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_UTF8_CHECK_CHUNK = 1 << 20
# Characters a URL fragment keeps as they are; anything else is percent-encoded, so an anchor can
# never end a Markdown link ("(", ")") or hold a space.
_FRAGMENT_SAFE = "-._~!$&'*+,;=:@/?"
# trafilatura warns about a page it finds nothing in; the load's own warning says so once.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def documents(raw: bytes, relative: str, result: CorpusLoad) -> Iterator[Document]:
    """The one document of an HTML page: its main content, with a section per heading."""
    if len(raw) > MAX_PAGE_BYTES:
        raise Refused(f"too large for an HTML page ({len(raw):,} bytes, over {MAX_PAGE_BYTES:,})")
    page = _parse(raw, relative, result)
    elements = sum(1 for _ in page.iter())
    if elements > MAX_PAGE_ELEMENTS:
        raise Refused(
            f"too many elements for an HTML page ({elements:,}, over {MAX_PAGE_ELEMENTS:,})"
        )
    title = _page_title(page)
    url = canonical_url(page)
    anchors = _heading_anchors(page)
    # Imported here: it takes most of a second, which a corpus without web pages never pays.
    import trafilatura

    extracted = trafilatura.bare_extraction(
        page,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        favor_recall=True,
        with_metadata=False,
        deduplicate=False,
        fast=True,
    )
    body = getattr(extracted, "body", None)
    if body is None:
        raise Refused("no main text found in the page")
    text = _sectioned_text(body, anchors)
    body_text, sections = text.finish()
    if not body_text.strip():
        raise Refused("no main text found in the page")
    yield Document(
        document_id(relative),
        title or title_from_text(body_text, relative),
        body_text,
        relative,
        url,
        sections,
    )


def _parse(raw: bytes, relative: str, result: CorpusLoad) -> lxml.html.HtmlElement:
    """The page's tree: no network, no entity expansion beyond HTML's own, no huge text nodes."""
    parser = lxml.html.HTMLParser(
        encoding=_encoding(raw, relative, result),
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        huge_tree=False,
        default_doctype=False,
    )
    try:
        page = lxml.html.document_fromstring(raw, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        page = None
    if page is None:
        raise Refused(NO_HTML)
    return page


def _encoding(raw: bytes, relative: str, result: CorpusLoad) -> str | None:
    """How to decode the page: its byte-order mark, else its own ``<meta charset>`` (``None``
    lets the parser read it), else UTF-8, else Windows-1252 (said as a repair)."""
    for mark, encoding in _BOMS:
        if raw.startswith(mark):
            return encoding
    if _META_CHARSET.search(raw, 0, 4096):
        return None
    if _is_utf8(raw):
        return "utf-8"
    result.repair(relative, "not valid UTF-8 and no <meta charset>; read as Windows-1252")
    return "windows-1252"


def has_unicode_bom(raw: bytes) -> bool:
    """Whether the page starts with a UTF-8 or UTF-16 byte-order mark (UTF-16 text has NULs)."""
    return any(raw.startswith(mark) for mark, _ in _BOMS)


def _is_utf8(raw: bytes) -> bool:
    """Whether ``raw`` is valid UTF-8, checked a chunk at a time (never a second copy of a
    large page in memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    try:
        for start in range(0, len(raw), _UTF8_CHECK_CHUNK):
            decoder.decode(view[start : start + _UTF8_CHECK_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _page_title(page: lxml.html.HtmlElement) -> str | None:
    for path in ("//title", "//h1"):
        for element in page.xpath(path):
            title = collapse_title(element.text_content())
            if title:
                return title
    return None


def canonical_url(page: lxml.html.HtmlElement) -> str | None:
    """The page's ``<link rel="canonical">`` when it is an absolute http(s) URL, never a
    ``javascript:`` or other scheme a citation link must not carry."""
    for link in page.xpath("//link[@rel][@href]"):
        if "canonical" not in str(link.get("rel", "")).lower().split():
            continue
        return web_url(str(link.get("href", "")))
    return None


def web_url(value: str) -> str | None:
    """``value`` if it is an absolute http(s) URL of printable characters, else ``None``."""
    value = value.strip()
    if (
        not value
        or len(value) > MAX_URL_CHARS
        or any(c.isspace() or not c.isprintable() for c in value)
    ):
        return None
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    return value


def _heading_anchors(page: lxml.html.HtmlElement) -> dict[str, deque[str | None]]:
    """Each heading's anchor, by its text, in page order: the heading's own id, else an anchor
    inside it (``<a id>``, ``<a name>``, a ``href="#…"`` link mark), else the id of the section
    it opens (Sphinx's ``<section id>``)."""
    anchors: dict[str, deque[str | None]] = defaultdict(deque)
    for heading in page.iter(*_HEADING_TAGS):
        key = heading_key(heading.text_content())
        if key:
            anchors[key].append(_anchor_of(heading))
    return anchors


def heading_key(text: str) -> str:
    """A heading's text as the page and the extracted content both give it."""
    return collapse_whitespace(text).rstrip(" ¶§#🔗").casefold()


def _anchor_of(heading: lxml.html.HtmlElement) -> str | None:
    candidates = [heading.get("id")]
    for inner in heading.iter("a"):
        candidates += [inner.get("id"), inner.get("name")]
        href = inner.get("href") or ""
        if href.startswith("#"):
            candidates.append(href[1:])
    parent = heading.getparent()
    if parent is not None and parent.tag in {"section", "div", "article"}:
        first = next(iter(parent.iter(*_HEADING_TAGS)), None)
        if first is heading:
            candidates.append(parent.get("id"))
    for candidate in candidates:
        if candidate and candidate.strip():
            return urllib.parse.quote(candidate.strip(), safe=_FRAGMENT_SAFE)
    return None


def _sectioned_text(body: etree._Element, anchors: dict[str, deque[str | None]]) -> SectionedText:
    """The extracted content's blocks in order: headings start sections, tables give a line a
    row, lists a line an item."""
    text = SectionedText()
    for element in body:
        tag = str(element.tag)
        if tag == "head":
            key = heading_key(_text_of(element))
            found = anchors.get(key)
            anchor = found.popleft() if found else None
            text.heading(_level(element), _text_of(element), anchor)
        elif tag == "table":
            text.paragraph("\n".join(_table_rows(element)))
        elif tag == "list":
            text.paragraph("\n".join(_text_of(item) for item in element.iter("item")))
        else:
            text.paragraph(_text_of(element))
    return text


def _level(head: etree._Element) -> int:
    match = _HEADING_LEVEL.fullmatch(str(head.get("rend", "")))
    return int(match.group(1)) if match else 2


def _table_rows(table: etree._Element) -> Iterator[str]:
    for row in table.iter("row"):
        cells = [_text_of(cell) for cell in row.iter("cell")]
        line = " | ".join(cell for cell in cells if cell)
        if line:
            yield line


def _text_of(element: etree._Element) -> str:
    return collapse_whitespace("".join(element.itertext()))
