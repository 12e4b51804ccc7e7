"""What the importer reads in a page (its links, its canonical URL) and the one change it makes
to it: a ``<link rel="canonical">`` naming the page's URL, which the HTML loader cites."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Bytes of a page are read as Latin-1 here: one character per byte, so the parser's positions
# are byte offsets, and every encoding a web page uses in practice is ASCII in its markup.
_AS_BYTES = "latin-1"


@dataclass
class PageFacts:
    """The links of a page, as written, and where its head starts."""

    links: list[str] = field(default_factory=list)
    base: str | None = None
    canonical: str | None = None
    has_charset: bool = False
    head_end: int | None = None  # the byte just after ``<head …>``
    html_end: int | None = None  # the byte just after ``<html …>``


class _FactFinder(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = PageFacts()
        self._line_starts = [0]
        newline = text.find("\n")
        while newline != -1:
            self._line_starts.append(newline + 1)
            newline = text.find("\n", newline + 1)

    def _tag_end(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column + len(self.get_starttag_text() or "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        rel = values.get("rel", "").lower().split()
        facts = self.facts
        if tag == "a" and values.get("href"):
            facts.links.append(values["href"])
        elif tag == "link" and "canonical" in rel and facts.canonical is None:
            facts.canonical = values.get("href", "").strip() or None
        elif tag == "base" and facts.base is None and values.get("href"):
            facts.base = values["href"].strip()
        elif tag == "meta" and (
            "charset" in values or values.get("http-equiv", "").lower() == "content-type"
        ):
            facts.has_charset = True
        elif tag == "head" and facts.head_end is None:
            facts.head_end = self._tag_end()
        elif tag == "html" and facts.html_end is None:
            facts.html_end = self._tag_end()


def read_page(body: bytes) -> PageFacts:
    """The links, base, canonical link and head position of an HTML page."""
    text = body.decode(_AS_BYTES)
    finder = _FactFinder(text)
    finder.feed(text)
    finder.close()
    return finder.facts


def with_citation(body: bytes, facts: PageFacts, url: str, charset: str | None) -> bytes:
    """``body`` with a canonical link to ``url`` at the top of its head, unless it already
    names an absolute one, and the charset its server declared when the page does not say."""
    added = ""
    if not (facts.canonical or "").lower().startswith(("http://", "https://")):
        added += f'<link rel="canonical" href="{html.escape(url, quote=True)}">'
    if charset and not facts.has_charset:
        added += f'<meta charset="{html.escape(charset, quote=True)}">'
    if not added:
        return body
    if facts.head_end is not None:
        at = facts.head_end
    elif facts.html_end is not None:
        at, added = facts.html_end, f"<head>{added}</head>"
    else:
        at = 0
    return body[:at] + added.encode("ascii", "xmlcharrefreplace") + body[at:]
