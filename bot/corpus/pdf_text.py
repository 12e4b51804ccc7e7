"""A PDF's extracted lines made readable: running headers and footers dropped, words broken
at line ends ("infor-" / "mation") joined again, and lines joined into paragraphs."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from bot.corpus.text import collapse_whitespace

# A running line is looked for among each page's first and last lines.
EDGE_LINES = 2
# It runs when it is on at least this share of the pages with text, and on 3 of them at least.
RUNNING_SHARE = 0.5
RUNNING_MIN_PAGES = 3
# A line ending a sentence and shorter than this share of the page's longest ends a paragraph.
SHORT_LINE_SHARE = 0.75

_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"\w+(?:[-\u2010]\w+)*")
# A word broken at a line end: letters, then a hyphen (or a soft hyphen) and nothing after.
_BROKEN_END = re.compile(r"(?<![\w-])(\w*[^\W\d_])([-\u2010\u00ad])$")
_HYPHENS = ("-", "\u2010", "\u00ad")
_LONGEST_WORD = 100
_NEXT_START = re.compile(r"^(\w+)")
_PARAGRAPH_END = re.compile(r"[.!?:][\"'”’)\]]*$")


def running_line_keys(pages: Iterable[Sequence[str]]) -> frozenset[str]:
    """The keys (see :func:`line_key`) of headers and footers that run on most pages: lines
    among a page's first or last few that recur, page numbers aside, on half the pages."""
    counts: Counter[str] = Counter()
    with_text = 0
    for lines in pages:
        if not lines:
            continue
        with_text += 1
        counts.update({line_key(line) for line in _edge_lines(lines)})
    needed = max(RUNNING_MIN_PAGES, math.ceil(with_text * RUNNING_SHARE))
    return frozenset(key for key, count in counts.items() if count >= needed)


def without_running_lines(lines: Sequence[str], running: frozenset[str]) -> list[str]:
    """The page's lines without the running headers and footers at its top and bottom."""
    kept = list(lines)
    top = 0
    while top < min(EDGE_LINES, len(kept)) and line_key(kept[top]) in running:
        top += 1
    kept = kept[top:]
    bottom = 0
    while bottom < min(EDGE_LINES, len(kept)) and line_key(kept[-1 - bottom]) in running:
        bottom += 1
    return kept[: len(kept) - bottom]


def line_key(line: str) -> str:
    """What a running line has in common from page to page: its words, any number a "#"."""
    return _DIGITS.sub("#", collapse_whitespace(line).casefold())


def vocabulary(pages: Iterable[Sequence[str]]) -> frozenset[str]:
    """The document's words (case-folded, hyphenated compounds whole), leaving out the halves
    of words broken at line ends, which are not words of their own."""
    words: set[str] = set()
    broken_before = False
    for lines in pages:
        for line in lines:
            found = _WORD.findall(line)
            if broken_before and found:
                found = found[1:]
            broken_before = _broken_end(line) is not None
            if broken_before and found:
                found = found[:-1]
            words.update(word.casefold() for word in found)
    return frozenset(words)


def paragraphs(lines: Sequence[str], words: frozenset[str]) -> list[str]:
    """The page's lines joined into paragraphs, broken words mended (see :func:`joins`)."""
    longest = max((len(line) for line in lines), default=0)
    found: list[str] = []
    parts: list[str] = []
    for line in lines:
        if parts:
            _mend(parts, line, words)
        parts.append(line)
        if len(line) < longest * SHORT_LINE_SHARE and _PARAGRAPH_END.search(line):
            found.append("".join(parts))
            parts = []
    if parts:
        found.append("".join(parts))
    return found


def joins(head: str, hyphen: str, tail: str, words: frozenset[str]) -> bool:
    """Whether ``head`` + hyphen at a line end and ``tail`` starting the next are one word
    broken by the typesetter ("infor-" "mation") rather than a compound ("well-" "known").

    A soft hyphen always joins; a capital or a digit after it never does ("Jean-" "Paul",
    "COVID-" "19"). Otherwise the document's own words decide: the joined word or the
    hyphenated one, whichever it uses elsewhere, and two words it knows stay a compound. A
    pair it has no other sight of is joined: typesetters break words far more often than
    they break compounds at their hyphen."""
    if hyphen == "\u00ad":
        return True
    if not tail[:1].islower():
        return False
    joined = (head + tail).casefold()
    if joined in words:
        return True
    if f"{head}-{tail}".casefold() in words:
        return False
    return not (head.casefold() in words and tail.casefold() in words)


def _mend(parts: list[str], line: str, words: frozenset[str]) -> None:
    """Join the last of ``parts`` to ``line`` by a space, or, when a word is broken between
    them, by nothing (the typesetter's hyphen removed) or by the compound's own hyphen."""
    broken = _broken_end(parts[-1])
    following = _NEXT_START.match(line)
    if broken is None or following is None:
        parts.append(" ")
        return
    head, hyphen = broken
    parts[-1] = parts[-1][: -len(hyphen)]
    parts.append("" if joins(head, hyphen, following.group(1), words) else "-")


def _broken_end(line: str) -> tuple[str, str] | None:
    """The word and hyphen a line ends with, when it ends with a broken word."""
    if not line.endswith(_HYPHENS):
        return None
    # Only the line's end is searched: a word longer than this is no word to mend.
    found = _BROKEN_END.search(line[-_LONGEST_WORD:])
    return (found.group(1), found.group(2)) if found else None


def _edge_lines(lines: Sequence[str]) -> list[str]:
    if len(lines) <= 2 * EDGE_LINES:
        return list(lines)
    return [*lines[:EDGE_LINES], *lines[-EDGE_LINES:]]
