"""Text made of blocks (paragraphs, headings, table rows), with a section at each heading: what
the HTML and Word loaders build a document from."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from bot.corpus.documents import Section, is_boilerplate_line
from bot.corpus.text import collapse_whitespace

BLOCK_SEPARATOR = "\n\n"  # a paragraph break, so passages split between blocks
LABEL_SEPARATOR = " › "


@dataclass(slots=True)
class _Heading:
    level: int
    text: str
    anchor: str | None


@dataclass(slots=True)
class SectionedText:
    """Collects a document's blocks in order; a heading starts a section labelled by the
    headings above it ("Installation › Linux") and linked by the nearest anchor among them."""

    _parts: list[str] = field(default_factory=list)
    _length: int = 0
    _sections: list[Section] = field(default_factory=list)
    _path: list[_Heading] = field(default_factory=list)
    _section_has_body: bool = False

    def heading(self, level: int, text: str, anchor: str | None = None) -> None:
        """A heading of ``level`` (1 is the outermost): a new section starts at it."""
        text = _clean(text)
        if not text:
            return
        while self._path and self._path[-1].level >= level:
            self._path.pop()
        self._path.append(_Heading(level, text, anchor))
        label = LABEL_SEPARATOR.join(heading.text for heading in self._path)
        nearest = next((h.anchor for h in reversed(self._path) if h.anchor), None)
        self.section(label, nearest, text)

    def section(self, label: str, anchor: str | None, text: str = "") -> None:
        """Start a section here, with ``text`` (its heading, if any) as its first block.

        A section holding nothing but its heading is folded into the next one, which starts
        where it did: a one-word passage would otherwise be all it gave."""
        label = _clean(label)
        if self._sections and not self._section_has_body:
            previous = self._sections.pop()
            start = previous.start
        else:
            start = self._next_start()
        self._sections.append(Section(start, label, anchor))
        self._section_has_body = False
        if text:
            self._append(text)

    def paragraph(self, text: str) -> None:
        """A block of body text (one line of web-page furniture is dropped)."""
        text = unicodedata.normalize("NFC", text.strip())
        if not text or is_boilerplate_line(text):
            return
        self._append(text)
        self._section_has_body = True

    @property
    def headings(self) -> list[str]:
        """The headings of the current section, outermost first."""
        return [heading.text for heading in self._path]

    def finish(self) -> tuple[str, tuple[Section, ...]]:
        """The text and its sections (a trailing section with no body keeps its heading)."""
        return "".join(self._parts), tuple(self._sections)

    def _next_start(self) -> int:
        return self._length + (len(BLOCK_SEPARATOR) if self._parts else 0)

    def _append(self, text: str) -> None:
        if self._parts:
            self._parts.append(BLOCK_SEPARATOR)
            self._length += len(BLOCK_SEPARATOR)
        self._parts.append(text)
        self._length += len(text)


def _clean(text: str) -> str:
    """One line, NFC, without the link marks doc generators put after a heading ("¶", "#")."""
    return unicodedata.normalize("NFC", collapse_whitespace(text).rstrip(" ¶§#🔗"))
