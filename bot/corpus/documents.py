"""The documents a corpus load yields, what it skipped or repaired, and how ids and titles are
made."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.corpus.text import (
    collapse_whitespace,
    cut_collapsed,
    first_sentence,
    first_sentence_opening,
    shorten,
)

log = logging.getLogger(__name__)

TITLE_CHARS = 80
# A text's opening a title is cut from when no sentence ends in it: a little more than a title,
# so that with its whitespace collapsed it still holds more than a title's worth.
_TITLE_OPENING_CHARS = TITLE_CHARS + 8
MAX_ID_CHARS = 80
# Whole lines of web-page furniture that must never become passages or snippets.
_BOILERPLATE_LINE = re.compile(
    r"""^\s*(?:
        comments?\s*\(\s*\d+\s*\)        # Comments(0)
      | \d+\s+comments?                  # 12 comments
      | (?:top|recent|show|view|hide|load\s+more|leave\s+a|post\s+a|add\s+a)\s+comments?
      | comments?
      | (?:share|tweet|email|print)(?:\s+(?:this|this\s+article|on\s+\w+))?
      | advertisement | sponsored(?:\s+content)?
      | (?:read|see|click\s+here\s+to\s+read)\s+more
      | related(?:\s+(?:articles|stories|posts))?
      | (?:subscribe|sign\s+up|log\s+in|sign\s+in)(?:\s+(?:now|here|to\s+\w+))?
      | (?:skip\s+to\s+(?:main\s+)?content)
    )\s*(?:[:.!]\s*)?$""",  # not \s*[:.!]?\s*: two runs of spaces retried each other's splits
    re.IGNORECASE | re.VERBOSE,
)
# Letters and digits of any script stay in ids ("東京", "café"), with "_", ".", "/" and "-".
_ID_UNSAFE = re.compile(r"[^\w./-]+")


@dataclass(frozen=True, slots=True)
class Section:
    """Where a part of a document begins (a character offset into its text), what a reader
    calls it ("Installation › Linux", "p. 12") and, for a web page, the fragment that links
    to it (``url#anchor``)."""

    start: int
    label: str
    anchor: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """One document of the corpus: its text is what passages are cut from. ``sections`` are in
    text order; no passage crosses the start of one.

    ``language`` is an ISO 639-1 code: the one the file declares (a JSONL ``lang``, Markdown
    front matter ``lang:``) as loaded, ``None`` when it declares none; indexing settles it
    (``CORPUS_LANGUAGE``, else detected) and the snapshot's documents always have one.
    """

    id: str
    title: str
    text: str
    source: str
    url: str | None = None
    sections: tuple[Section, ...] = ()
    language: str | None = None

    def link(self, section: Section | None) -> str | None:
        """The document's URL, pointing at ``section`` when it has an anchor."""
        if self.url is None:
            return None
        if section is None or section.anchor is None:
            return self.url
        return f"{self.url.partition('#')[0]}#{section.anchor}"


class DocumentText(Protocol):
    """What cutting a document into passages and counting its terms read of it: a
    :class:`Document`, or just these fields of one (what a build sends its workers)."""

    @property
    def title(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def sections(self) -> tuple[Section, ...]: ...

    @property
    def language(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file (or record) that could not be loaded, and why."""

    path: str
    reason: str


@dataclass(slots=True)
class CorpusLoad:
    """The documents loaded, plus what was skipped or repaired on the way."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    repaired: list[SkippedFile] = field(default_factory=list)

    def skip(self, path: str, reason: str) -> None:
        """Record (and log) a file or record that is not loaded."""
        log.warning("skipped %s: %s", path, reason)
        self.skipped.append(SkippedFile(path, reason))

    def repair(self, path: str, reason: str) -> None:
        """Record (and log) a file loaded with damage mended."""
        log.warning("repaired %s: %s", path, reason)
        self.repaired.append(SkippedFile(path, reason))


class Refused(Exception):
    """A file (or JSONL record) that is not loaded, and the reason a user reads."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def document_id(relative: str) -> str:
    """A readable id from the file's path under the corpus folder, stable across restarts."""
    without_suffix = relative.rsplit(".", 1)[0] if "." in Path(relative).name else relative
    return slug(without_suffix)


def slug(value: str) -> str:
    """Safe characters only, and short enough that ``cb:open:<id>#<n>`` fits a Discord
    ``custom_id`` (100 characters): a long id keeps its start plus a hash of the whole."""
    slug = _ID_UNSAFE.sub("-", unicodedata.normalize("NFC", value.strip())).strip("-") or "doc"
    if len(slug) > MAX_ID_CHARS:
        digest = hashlib.sha1(slug.encode(), usedforsecurity=False).hexdigest()[:8]
        slug = slug[: MAX_ID_CHARS - 9].rstrip("-") + "-" + digest
    return slug


def strip_boilerplate(text: str) -> str:
    """Drop lines of web-page furniture ("Comments(0)", "Top Comments", "Share this", …)."""
    lines = text.splitlines()
    kept = [line for line in lines if not is_boilerplate_line(line)]
    return "\n".join(kept).strip()


def is_boilerplate_line(line: str) -> bool:
    """Whether ``line`` is web-page furniture ("Comments(0)", "Share this", …) as a whole."""
    return _BOILERPLATE_LINE.match(line) is not None


def collapse_title(title: str) -> str:
    """Titles are one line and bounded."""
    return shorten(title, TITLE_CHARS)


def title_from_text(text: str, fallback: str) -> str:
    """A title from the text's first sentence, shortened; the file name only if there is none."""
    opening = first_sentence_opening(text, _TITLE_OPENING_CHARS)
    if opening is not None:
        collapsed = collapse_whitespace(opening)
        if len(collapsed) > TITLE_CHARS:
            # The sentence opens with more than a title's worth of these words and goes on: its
            # title is cut from them.
            return cut_collapsed(collapsed, TITLE_CHARS)
    return _title_of_first_sentence(text, fallback)


def _title_of_first_sentence(text: str, fallback: str) -> str:
    """:func:`title_from_text` by finding the whole first sentence."""
    span = first_sentence(text)
    if span is None:
        return fallback
    first = text[span.start : span.end].rstrip(".!?")
    return collapse_title(first) or fallback
